/* mimeout: the writing side of a MIME rewrite.  A rewriter that changes
 * one part copies every other byte of the message as it came (mtree.h
 * gives the places); this writes what it changes: a part's header fields
 * with the content fields left out or replaced, a boundary that occurs
 * nowhere in the message, a body in its transfer encoding.  Library code:
 * never prints, never exits. */
#ifndef PORTCULLIS_MIMEOUT_H
#define PORTCULLIS_MIMEOUT_H
#include <stddef.h>
#include "buf.h"
#include "decode.h"
#include "hdr.h"

/* mimeout_fields: which fields to copy */
#define MIMEOUT_CONTENT 0x1   /* Content-* fields */
#define MIMEOUT_OTHER   0x2   /* every other field */

#define MIMEOUT_BOUNDARY 64   /* room for a boundary we make */

int mimeout_is_content(const struct hdr *, size_t i);
int mimeout_fields(struct buf *out, const struct hdr *, unsigned what,
	const char *const *drop);
int mimeout_boundary(const char *msg, size_t len, char *out, size_t n);
int mimeout_body(struct buf *out, enum decode_cte, const char *, size_t,
	const char *eol);
enum decode_cte mimeout_cte(enum decode_cte was, const char *, size_t);

#endif
