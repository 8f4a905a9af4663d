/* emit: write a message back out, with header lines added on top and some
 * fields left out, every other byte exactly as it came.  Used by the
 * rewriters and by every checker's -a mode. */
#ifndef PORTCULLIS_EMIT_H
#define PORTCULLIS_EMIT_H
#include "buf.h"
#include "hdr.h"
#include "msg.h"

/* Decides, for field i, whether to leave it out (non-zero) or keep it. */
typedef int (*emit_drop_fn)(void *arg, const struct hdr *, size_t i);

int emit_message(int fd, const struct msg *, const struct hdr *,
	const struct buf *add, emit_drop_fn drop, void *arg);
int emit_copy_rest(int from, int to);
int emit_eol_convert(const struct buf *in, const char *eol, struct buf *out);

/* What an edit callback decides for field i: keep it as it came, leave it
 * out, or write instead the bytes it put in repl (exactly those bytes: the
 * callback keeps the field's own line ends and folding).  -1: an error,
 * with errno. */
#define EMIT_KEEP    0
#define EMIT_DROP    1
#define EMIT_REPLACE 2
typedef int (*emit_edit_fn)(void *arg, const struct hdr *, size_t i,
	struct buf *repl);

int emit_head_edit(struct buf *out, const struct msg *, const struct hdr *,
	const struct buf *add, emit_edit_fn edit, void *arg, size_t *rest);
int emit_message_edit(int fd, const struct msg *, const struct hdr *,
	const struct buf *add, emit_edit_fn edit, void *arg);

#endif
