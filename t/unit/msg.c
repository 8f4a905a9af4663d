/* Unit tests for lib/message/msg.c: the split of a message into its parts. */
#include <string.h>

#include "msg.h"
#include "tap.h"

static const struct {
	const char *name, *in;
	size_t      len;        /* 0: strlen(in) */
	size_t      from_len, hdr_len, body_off;
	int         has_sep, crlf;
} rows[] = {
	{ "LF message", "A: b\n\nbody\n", 0, 0, 5, 6, 1, 0 },
	{ "CRLF message", "A: b\r\n\r\nbody\r\n", 0, 0, 6, 8, 1, 1 },
	{ "mbox From line kept apart", "From x Mon\nA: b\n\nB\n", 0, 11, 5, 17, 1, 0 },
	{ "no body, no separator", "A: b\n", 0, 0, 5, 5, 0, 0 },
	{ "empty input", "", 0, 0, 0, 0, 0, 0 },
	{ "separator first: no headers", "\nbody\n", 0, 0, 0, 1, 1, 0 },
	{ "NUL in header survives", "A: b\0c\n\nX", 9, 0, 7, 8, 1, 0 },
	{ "blank line with CR only", "A: b\n\r\nbody", 0, 0, 5, 7, 1, 0 },
	{ "From line only", "From x", 0, 6, 0, 6, 0, 0 },
};

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct msg m;
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);
		char name[256];

		msg_from_mem(rows[i].in, len, &m);
		snprintf(name, sizeof name, "%s: bytes kept", rows[i].name);
		tap_ok(m.raw.len == len && memcmp(m.raw.p, rows[i].in, len) == 0, name);
		snprintf(name, sizeof name, "%s: from_len", rows[i].name);
		tap_is_long((long)m.from_len, (long)rows[i].from_len, name);
		snprintf(name, sizeof name, "%s: hdr_len", rows[i].name);
		tap_is_long((long)m.hdr_len, (long)rows[i].hdr_len, name);
		snprintf(name, sizeof name, "%s: body_off", rows[i].name);
		tap_is_long((long)m.body_off, (long)rows[i].body_off, name);
		snprintf(name, sizeof name, "%s: separator", rows[i].name);
		tap_is_long(m.has_sep, rows[i].has_sep, name);
		snprintf(name, sizeof name, "%s: crlf", rows[i].name);
		tap_is_long(m.crlf, rows[i].crlf, name);
		msg_free(&m);
	}
	return tap_done();
}
