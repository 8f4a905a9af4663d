/* Unit tests for lib/core/emit.c: a message written back byte for byte, with
 * added lines in its own line-end convention and chosen fields left out. */
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "emit.h"
#include "show.h"
#include "tap.h"
#include "tmpdir.h"

/* Drop every field whose name is in arg (NULL-terminated list). */
static int
drop_names(void *arg, const struct hdr *h, size_t i)
{
	const char *const *n;

	for (n = arg; *n; n++)
		if (hdr_name_is(h, i, *n))
			return 1;
	return 0;
}

static const struct {
	const char *name, *in;
	size_t      len;     /* 0: strlen(in) */
	const char *add;     /* NULL: none */
	const char *drop;    /* one field name, or NULL */
	const char *want;    /* as show_add renders it */
} rows[] = {
	{ "unchanged", "A: 1\nB: 2\n\nbody\n", 0, NULL, NULL, "A: 1\\nB: 2\\n\\nbody\\n" },
	{ "added on top, LF", "A: 1\n\nb\n", 0, "X: y\n", NULL, "X: y\\nA: 1\\n\\nb\\n" },
	{ "added lines made CRLF for a CRLF message", "A: 1\r\n\r\nb\r\n", 0,
	  "X: y\nZ: w\n", NULL, "X: y\\r\\nZ: w\\r\\nA: 1\\r\\n\\r\\nb\\r\\n" },
	{ "added CRLF lines made LF for an LF message", "A: 1\n\nb\n", 0,
	  "X: y\r\n", NULL, "X: y\\nA: 1\\n\\nb\\n" },
	{ "added line without its end gets one", "A: 1\n\nb", 0, "X: y", NULL,
	  "X: y\\nA: 1\\n\\nb" },
	{ "mbox From line stays first", "From a@b Mon\nA: 1\n\nb\n", 0, "X: y\n", NULL,
	  "From a@b Mon\\nX: y\\nA: 1\\n\\nb\\n" },
	{ "field dropped with its folding", "A: 1\nX-Spam: yes\n\tmore\nB: 2\n\nb\n", 0,
	  NULL, "X-Spam", "A: 1\\nB: 2\\n\\nb\\n" },
	{ "every copy dropped", "X-Spam: 1\nA: 1\nx-spam: 2\n\nb\n", 0, "X-Spam: 0\n",
	  "X-Spam", "X-Spam: 0\\nA: 1\\n\\nb\\n" },
	{ "bytes kept exactly: NUL, bare CR, 8-bit, no final newline",
	  "A: \0\r\xe9\nB : 2\nnocolon\n\n\0body\r", 28, NULL, NULL,
	  "A: \\x00\\r\\xe9\\nB : 2\\nnocolon\\n\\n\\x00body\\r" },
	{ "no header section", "\nbody\n", 0, "X: y\n", NULL, "X: y\\n\\nbody\\n" },
	{ "no body", "A: 1\n", 0, NULL, "A", "" },
	{ "empty message", "", 0, NULL, NULL, "" },
};

int
main(void)
{
	struct buf got = BUF_INIT, out = BUF_INIT;
	char path[256];
	size_t i;

	tmpdir_make();
	snprintf(path, sizeof path, "%s/out", tmpdir_path);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);
		const char *names[2] = { rows[i].drop, NULL };
		struct buf add = BUF_INIT;
		struct msg m;
		struct hdr h;
		char name[160], chunk[4096];
		ssize_t r;
		int fd;

		msg_from_mem(rows[i].in, len, &m);
		hdr_parse(&h, m.raw.p, m.hdr_off, m.hdr_len, NULL);
		if (rows[i].add)
			buf_adds(&add, rows[i].add);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		snprintf(name, sizeof name, "emit: %s: returns 0", rows[i].name);
		tap_ok(emit_message(fd, &m, &h, &add, rows[i].drop ? drop_names : NULL,
		    (void *)names) == 0, name);
		lseek(fd, 0, SEEK_SET);
		buf_reset(&out);
		while ((r = read(fd, chunk, sizeof chunk)) > 0)
			buf_add(&out, chunk, (size_t)r);
		close(fd);
		buf_reset(&got);
		buf_adds(&got, "");
		show_add(&got, out.p, out.len);
		snprintf(name, sizeof name, "emit: %s", rows[i].name);
		tap_is(buf_cstr(&got), rows[i].want, name);
		buf_free(&add);
		hdr_free(&h);
		msg_free(&m);
	}
	/* a write error is reported, not ignored */
	{
		struct msg m;
		struct hdr h;
		msg_from_mem("A: 1\n\nb\n", 8, &m);
		hdr_parse(&h, m.raw.p, m.hdr_off, m.hdr_len, NULL);
		tap_is_long(emit_message(-1, &m, &h, NULL, NULL, NULL), -1,
		    "emit: bad descriptor is -1");
		hdr_free(&h);
		msg_free(&m);
	}
	buf_free(&got);
	buf_free(&out);
	tmpdir_remove();
	return tap_done();
}
