/* Unit tests for lib/message/encode.c, lib/message/mimeout.c and
 * lib/content/charset.c: base64 and quoted-printable written as RFC 2045
 * says (line lengths, soft breaks, white space before a break, "From "
 * and "." at a line's start) and read back by lib/message/decode.c to the
 * same bytes; the encoding a rewritten part needs; charset conversions
 * strict and replacing. */
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "decode.h"
#include "encode.h"
#include "mimeout.h"
#include "show.h"
#include "tap.h"

static const struct {
	const char *in, *want;
} qp[] = {
	{ "plain text\n", "plain text\n" },
	{ "a=b\n", "a=3Db\n" },
	{ "trailing space \n", "trailing space=20\n" },
	{ "trailing tab\t\n", "trailing tab=09\n" },
	{ "From here\n", "=46rom here\n" },
	{ ".\n", "=2E\n" },
	{ "caf\xc3\xa9\r\n", "caf=C3=A9\n" },
	{ "no final break", "no final break" },
	{ "bare\rcr\n", "bare=0Dcr\n" },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=\n"
	  "xxxxxx\n" },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xe9\n",
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=\n"
	  "=E9\n" },
};

static const struct {
	const char *in, *want;
} b64[] = {
	{ "", "" },
	{ "f", "Zg==\n" },
	{ "fo", "Zm8=\n" },
	{ "foo", "Zm9v\n" },
	{ "foobar", "Zm9vYmFy\n" },
};

static void
roundtrip(const char *name, const char *s, size_t n)
{
	struct buf e = BUF_INIT, d = BUF_INIT;
	unsigned fl = 0;
	size_t i, col = 0, maxcol = 0;
	char t[128];

	encode_qp(s, n, "\r\n", &e);
	for (i = 0; i < e.len; i++) {
		if (e.p[i] == '\n') {
			col = 0;
			continue;
		}
		if (++col > maxcol && e.p[i] != '\r')
			maxcol = col;
	}
	snprintf(t, sizeof t, "qp %s: lines within 76", name);
	tap_ok(maxcol <= ENCODE_LINE, t);
	decode_qp(e.p, e.len, &d, (size_t)-1, &fl);
	snprintf(t, sizeof t, "qp %s: decodes to the same bytes", name);
	/* line breaks come back as CRLF */
	{
		struct buf want = BUF_INIT;
		for (i = 0; i < n; i++) {
			if (s[i] == '\n' && !(i > 0 && s[i - 1] == '\r'))
				buf_addc(&want, '\r');
			buf_addc(&want, s[i]);
		}
		tap_ok(d.len == want.len && memcmp(d.p, want.p, d.len) == 0 && fl == 0, t);
		buf_free(&want);
	}
	buf_reset(&e);
	buf_reset(&d);
	encode_base64(s, n, "\n", &e);
	decode_base64(e.p, e.len, &d, (size_t)-1, &fl);
	snprintf(t, sizeof t, "base64 %s: decodes to the same bytes", name);
	tap_ok(d.len == n && memcmp(d.p, s, n) == 0 && fl == 0, t);
	buf_free(&e);
	buf_free(&d);
}

int
main(void)
{
	struct buf o = BUF_INIT, s = BUF_INIT;
	char all[1024], b[MIMEOUT_BOUNDARY];
	size_t i;
	int eight, longl;

	for (i = 0; i < sizeof qp / sizeof qp[0]; i++) {
		buf_reset(&o);
		buf_reset(&s);
		encode_qp(qp[i].in, strlen(qp[i].in), "\n", &o);
		show_add(&s, qp[i].in, strlen(qp[i].in));
		tap_is(o.p ? o.p : "", qp[i].want, s.p);
	}
	for (i = 0; i < sizeof b64 / sizeof b64[0]; i++) {
		buf_reset(&o);
		encode_base64(b64[i].in, strlen(b64[i].in), "\n", &o);
		tap_is(o.p ? o.p : "", b64[i].want, b64[i].in);
	}
	for (i = 0; i < sizeof all; i++)
		all[i] = (char)(i * 7 + i / 256);
	roundtrip("every byte", all, sizeof all);
	roundtrip("text", "From me\n. \nend = \t\nx", 21);
	buf_reset(&o);
	encode_base64(all, 570, "\r\n", &o);
	tap_ok(o.len > 78 && memcmp(o.p + 76, "\r\n", 2) == 0, "base64: 76 a line, then CRLF");
	buf_reset(&o);
	encode_lines("a\r\nb\nc", 6, "\r\n", &o);
	tap_is(o.p, "a\r\nb\r\nc\r\n", "encode_lines: every line ends in eol");

	tap_ok(encode_needs("abc\n", 4, &eight, &longl) == 0, "ASCII needs nothing");
	encode_needs("caf\xc3\xa9", 5, &eight, &longl);
	tap_ok(eight && !longl, "8-bit text needs 8 bits");
	tap_is_long(mimeout_cte(DECODE_7BIT, "caf\xc3\xa9", 5), DECODE_QP, "7bit with 8-bit text: QP");
	tap_is_long(mimeout_cte(DECODE_8BIT, "caf\xc3\xa9", 5), DECODE_8BIT, "8bit stays 8bit");
	tap_is_long(mimeout_cte(DECODE_BASE64, "abc", 3), DECODE_BASE64, "base64 stays base64");
	tap_is_long(mimeout_cte(DECODE_7BIT, "abc", 3), DECODE_7BIT, "7bit stays 7bit");
	tap_ok(mimeout_boundary("x", 1, b, sizeof b) == 0 &&
	    strncmp(b, "=_portcullis_", 13) == 0 && strlen(b) == 37, "a boundary");

	buf_reset(&o);
	tap_ok(charset_conv("UTF-8", "ISO-8859-1", "caf\xc3\xa9", 5, &o,
	    CHARSET_STRICT) == 0 && o.len == 4 && (unsigned char)o.p[3] == 0xe9,
	    "charset: UTF-8 to latin-1");
	buf_reset(&o);
	tap_ok(charset_conv("UTF-8", "ISO-8859-1", "\xe2\x80\x93", 3, &o,
	    CHARSET_STRICT) == -1 && o.len == 0, "charset: an en dash is not latin-1 (strict)");
	buf_reset(&o);
	charset_conv("UTF-8", "UTF-8", "a\xff" "b", 3, &o, CHARSET_REPLACE);
	tap_is(o.p, "a\xef\xbf\xbd" "b", "charset: invalid UTF-8 replaced");
	buf_reset(&o);
	tap_ok(charset_conv("x-no-such", "UTF-8", "a", 1, &o, CHARSET_REPLACE) == -1,
	    "charset: an unknown charset is an error");
	tap_ok(!charset_ascii_compat("UTF-16LE") && !charset_ascii_compat("iso-2022-jp") &&
	    charset_ascii_compat("windows-1252"), "charset: ASCII-compatible ones");
	tap_ok(charset_valid_utf8("caf\xc3\xa9", 5) && !charset_valid_utf8("\xc0\xaf", 2) &&
	    !charset_valid_utf8("\xed\xa0\x80", 3) && !charset_valid_utf8("\xe2\x80", 2),
	    "charset: UTF-8 validity (overlong, surrogate, cut short)");
	buf_free(&o);
	buf_free(&s);
	return tap_done();
}
