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
