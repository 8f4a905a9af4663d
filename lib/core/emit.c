/* emit: write a message with headers added and fields dropped (see
 * emit.h).  Everything not dropped is copied byte for byte, including what
 * lies beyond the parsed header fields when a header limit was hit. */
#include <string.h>
#include <unistd.h>

#include "emit.h"
#include "io.h"

/* Copy in to out, every line ending in eol (lines we add follow the
 * message's own convention). */
int
emit_eol_convert(const struct buf *in, const char *eol, struct buf *out)
{
	size_t i, start = 0;

	for (i = 0; i < in->len; i++) {
		if (in->p[i] != '\n')
			continue;
		size_t e = i;
		if (e > start && in->p[e - 1] == '\r')
			e--;
		if (buf_add(out, in->p + start, e - start) == -1 ||
		    buf_adds(out, eol) == -1)
			return -1;
		start = i + 1;
	}
	if (start < in->len) {
		if (buf_add(out, in->p + start, in->len - start) == -1 ||
		    buf_adds(out, eol) == -1)
			return -1;
	}
	return 0;
}

/* Write m to fd: its mbox From line, then add, then its header fields
 * except those drop() refuses, then the rest (separator and body) as is.
 * 0, or -1 with errno. */
int
emit_message(int fd, const struct msg *m, const struct hdr *h,
    const struct buf *add, emit_drop_fn drop, void *arg)
{
	const char *p = m->raw.p ? m->raw.p : "";
	struct buf lines = BUF_INIT;
	size_t i, pos;
	int rc = -1;

	if (io_write_all(fd, p, m->from_len) == -1)
		return -1;
	if (add && add->len) {
		if (emit_eol_convert(add, msg_eol(m), &lines) == -1 ||
		    io_write_all(fd, lines.p, lines.len) == -1)
			goto out;
	}
	pos = m->hdr_off;
	for (i = 0; i < h->n; i++) {
		const struct hdr_field *f = &h->f[i];
		if (f->off > pos && io_write_all(fd, p + pos, f->off - pos) == -1)
			goto out;
		if (!(drop && drop(arg, h, i)) &&
		    io_write_all(fd, p + f->off, f->len) == -1)
			goto out;
		pos = f->off + f->len;
	}
	if (pos < m->raw.len && io_write_all(fd, p + pos, m->raw.len - pos) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&lines);
	return rc;
}

/* Copy the rest of an input we stopped reading at the size cap, so that
 * an oversized message still passes through whole. */
int
emit_copy_rest(int from, int to)
{
	char b[65536];
	ssize_t r;

	while ((r = io_read_some(from, b, sizeof b)) > 0)
		if (io_write_all(to, b, (size_t)r) == -1)
			return -1;
	return r == 0 ? 0 : -1;
}

/* The head of m as edit() decides it, appended to out: its mbox From line,
 * add, then every field kept, replaced or left out, up to the end of the
 * last parsed field.  *rest is where the part to copy unchanged (the
 * separator, the body, and anything beyond a header limit) begins.  All in
 * memory, so that a caller can fail before it writes a byte.  0, or -1
 * with errno. */
int
emit_head_edit(struct buf *out, const struct msg *m, const struct hdr *h,
    const struct buf *add, emit_edit_fn edit, void *arg, size_t *rest)
{
	const char *p = m->raw.p ? m->raw.p : "";
	struct buf repl = BUF_INIT;
	size_t i, pos;
	int rc = -1;

	if (buf_add(out, p, m->from_len) == -1)
		return -1;
	if (add && add->len && emit_eol_convert(add, msg_eol(m), out) == -1)
		return -1;
	pos = m->hdr_off;
	for (i = 0; i < h->n; i++) {
		const struct hdr_field *f = &h->f[i];
		int what = EMIT_KEEP;

		if (f->off > pos && buf_add(out, p + pos, f->off - pos) == -1)
			goto out;
		buf_reset(&repl);
		if (edit && (what = edit(arg, h, i, &repl)) == -1)
			goto out;
		if ((what == EMIT_KEEP && buf_add(out, p + f->off, f->len) == -1) ||
		    (what == EMIT_REPLACE && buf_add(out, repl.p, repl.len) == -1))
			goto out;
		pos = f->off + f->len;
	}
	*rest = pos;
	rc = 0;
out:
	buf_free(&repl);
	return rc;
}

/* Write m to fd as emit_head_edit decides its head, then the rest as is.
 * Nothing is written when the edit fails.  0, or -1 with errno. */
int
emit_message_edit(int fd, const struct msg *m, const struct hdr *h,
    const struct buf *add, emit_edit_fn edit, void *arg)
{
	struct buf head = BUF_INIT;
	size_t rest;
	int rc = -1;

	if (emit_head_edit(&head, m, h, add, edit, arg, &rest) == -1)
		goto out;
	if (io_write_all(fd, head.p ? head.p : "", head.len) == -1 ||
	    (rest < m->raw.len &&
	    io_write_all(fd, m->raw.p + rest, m->raw.len - rest) == -1))
		goto out;
	rc = 0;
out:
	buf_free(&head);
	return rc;
}
