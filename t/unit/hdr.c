/* Unit tests for lib/message/hdr.c: the field list, unfolding, lookups by name and
 * RFC 2047 decoding, with the hostile shapes real mail has (bare CR, NUL,
 * 8-bit, overlong lines, continuation first, limits). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hdr.h"
#include "show.h"
#include "tap.h"

/* A parsed section as one line: "Name=value {flags}" per field, joined by
 * " | ", then " || " and the section limit flags when one was hit.  Field
 * flags as letters: N no colon, B bad name, O obsolete name, L long line,
 * Z NUL, 8 8-bit, R bare CR; section: T too many, G too big. */
static void
render(const struct hdr *h, struct buf *out)
{
	static const struct { unsigned f; char c; } fl[] = {
		{ HDR_NOCOLON, 'N' }, { HDR_BADNAME, 'B' }, { HDR_OBSNAME, 'O' },
		{ HDR_LONGLINE, 'L' }, { HDR_NUL, 'Z' }, { HDR_8BIT, '8' },
		{ HDR_BARECR, 'R' },
	};
	struct buf v = BUF_INIT;
	size_t i, k;

	buf_reset(out);
	buf_adds(out, "");
	for (i = 0; i < h->n; i++) {
		if (i)
			buf_adds(out, " | ");
		show_add(out, h->base + h->f[i].off, h->f[i].name_len);
		buf_addc(out, '=');
		hdr_value(h, i, &v);
		show_add(out, v.p, v.len);
		if (h->f[i].flags) {
			buf_adds(out, " {");
			for (k = 0; k < sizeof fl / sizeof fl[0]; k++)
				if (h->f[i].flags & fl[k].f)
					buf_addc(out, fl[k].c);
			buf_addc(out, '}');
		}
	}
	if (h->flags & (HDR_TOOMANY | HDR_TOOBIG)) {
		buf_adds(out, " || ");
		if (h->flags & HDR_TOOMANY)
			buf_addc(out, 'T');
		if (h->flags & HDR_TOOBIG)
			buf_addc(out, 'G');
	}
	buf_free(&v);
}

static const struct {
	const char *name, *in;
	size_t      len;         /* 0: strlen(in) */
	size_t      max_fields, max_bytes;
	const char *want;
} rows[] = {
	{ "two fields, LF", "From: a\nTo: b\n", 0, 0, 0, "From=a | To=b" },
	{ "two fields, CRLF", "From: a\r\nTo: b\r\n", 0, 0, 0, "From=a | To=b" },
	{ "folding with LF keeps the white space",
	  "Subject: a\n b\n\tc\nTo: d\n", 0, 0, 0, "Subject=a b\\tc | To=d" },
	{ "folding with CRLF", "Subject: a\r\n b\r\n  c\r\nTo: d\r\n", 0, 0, 0,
	  "Subject=a b  c | To=d" },
	{ "mixed line ends in one field", "A: 1\r\n 2\n 3\r\n", 0, 0, 0, "A=1 2 3" },
	{ "duplicate fields both kept", "To: a\nTo: b\n", 0, 0, 0, "To=a | To=b" },
	{ "obsolete space before colon", "Subject : x\n", 0, 0, 0, "Subject=x {O}" },
	{ "obsolete tab before colon", "Subject\t: x\n", 0, 0, 0, "Subject=x {O}" },
	{ "line without colon kept, nameless", "From: a\nnocolon line\nTo: b\n",
	  0, 0, 0, "From=a | =nocolon line {N} | To=b" },
	{ "continuation as the first line", " cont\nFrom: a\n", 0, 0, 0,
	  "=cont {N} | From=a" },
	{ "tab continuation first", "\tx: y\nA: b\n", 0, 0, 0, "=x: y {N} | A=b" },
	{ "name with a space is bad", "Fr om: a\n", 0, 0, 0, "Fr om=a {B}" },
	{ "empty name is bad", ": no name\n", 0, 0, 0, "=no name {B}" },
	{ "8-bit name is bad and 8-bit", "X\xe9: a\n", 0, 0, 0, "X\\xe9=a {B8}" },
	{ "colon inside the value", "X: a:b\n", 0, 0, 0, "X=a:b" },
	{ "empty value", "X:\nY:  \n", 0, 0, 0, "X= | Y=" },
	{ "no space after colon", "X:y\n", 0, 0, 0, "X=y" },
	{ "white-space-only continuation", "X: a\n \nY: b\n", 0, 0, 0, "X=a | Y=b" },
	{ "NUL in the value", "X: a\0b\n", 7, 0, 0, "X=a\\x00b {Z}" },
	{ "NUL in the name", "Sub\0ject: x\n", 12, 0, 0, "Sub\\x00ject=x {BZ}" },
	{ "8-bit value", "X: caf\xc3\xa9\n", 0, 0, 0, "X=caf\\xc3\\xa9 {8}" },
	{ "bare CR inside", "X: a\rb\nY: c\n", 0, 0, 0, "X=a\\rb {R} | Y=c" },
	{ "CR CR LF", "X: a\r\r\n", 0, 0, 0, "X=a {R}" },
	{ "bare CR in a continuation", "X: a\n b\rc\n", 0, 0, 0, "X=a b\\rc {R}" },
	{ "empty section", "", 0, 0, 0, "" },
	{ "last line without newline", "From: a\nTo: b", 0, 0, 0, "From=a | To=b" },
	{ "last line a lone CR", "A: b\r", 0, 0, 0, "A=b" },
	{ "too many fields: rest not parsed", "A: 1\nB: 2\nC: 3\n", 0, 2, 0,
	  "A=1 | B=2 || T" },
	{ "exactly max fields is not too many", "A: 1\nB: 2\n", 0, 2, 0,
	  "A=1 | B=2" },
	{ "continuations do not count as fields", "A: 1\n 2\n 3\nB: 4\n", 0, 2, 0,
	  "A=1 2 3 | B=4" },
	{ "too big: cut at max_bytes", "A: 1\nB: 2\nC: 3\n", 0, 0, 10,
	  "A=1 | B=2 || G" },
	{ "too big inside a field: the part kept", "A: 1\nB: 2\nC: 3\n", 0, 0, 12,
	  "A=1 | B=2 | C= || G" },
	{ "exactly max bytes is not too big", "A: 1\nB: 2\n", 0, 0, 10,
	  "A=1 | B=2" },
	{ "both limits", "A: 1\nB: 2\nC: 3\nD: 4\n", 0, 2, 12, "A=1 | B=2 || TG" },
};

/* Fields must tile the section: each starts where the last ended. */
static int
tiles(const struct hdr *h, size_t off, size_t len)
{
	size_t i, pos = off;

	for (i = 0; i < h->n; i++) {
		if (h->f[i].off != pos)
			return 0;
		pos += h->f[i].len;
	}
	return (h->flags & (HDR_TOOMANY | HDR_TOOBIG)) || pos == off + len;
}

static void
test_parse(void)
{
	struct buf got = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct hdr_limits lim = { rows[i].max_fields, rows[i].max_bytes };
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);
		struct hdr h;
		char name[256];

		tap_ok(hdr_parse(&h, rows[i].in, 0, len, &lim) == 0, rows[i].name);
		render(&h, &got);
		snprintf(name, sizeof name, "%s: fields", rows[i].name);
		tap_is(buf_cstr(&got), rows[i].want, name);
		snprintf(name, sizeof name, "%s: fields cover the bytes", rows[i].name);
		tap_ok(tiles(&h, 0, len), name);
		hdr_free(&h);
	}
	buf_free(&got);
}

/* Inputs too big for a table row: built here. */
static void
test_built(void)
{
	struct buf in = BUF_INIT, got = BUF_INIT;
	struct hdr_limits lim = { 0, 0 };
	struct hdr h;
	size_t i;

	/* RFC 5322 2.1.1: 998 octets without the line end is still fine */
	buf_adds(&in, "X: ");
	for (i = 3; i < 998; i++)
		buf_addc(&in, 'a');
	buf_adds(&in, "\r\nY: b\r\n");
	hdr_parse(&h, in.p, 0, in.len, NULL);
	tap_is_long((long)(h.f[0].flags & HDR_LONGLINE), 0, "998 octets is not long");
	hdr_free(&h);

	buf_reset(&in);
	buf_adds(&in, "X: ");
	for (i = 3; i < 999; i++)
		buf_addc(&in, 'a');
	buf_adds(&in, "\nY: b\n");
	hdr_parse(&h, in.p, 0, in.len, NULL);
	tap_is_long((long)h.n, 2, "999 octets: both fields");
	tap_is_long((long)(h.f[0].flags & HDR_LONGLINE), HDR_LONGLINE,
	    "999 octets is HDR_LONGLINE");
	tap_is_long((long)(h.f[1].flags & HDR_LONGLINE), 0, "next field is not long");
	tap_is_long((long)(h.flags & HDR_LONGLINE), HDR_LONGLINE,
	    "section carries the field's flag");
	hdr_free(&h);

	/* a long continuation line marks the field it belongs to */
	buf_reset(&in);
	buf_adds(&in, "X: a\n ");
	for (i = 0; i < 2000; i++)
		buf_addc(&in, 'b');
	buf_adds(&in, "\n");
	hdr_parse(&h, in.p, 0, in.len, NULL);
	tap_is_long((long)(h.f[0].flags & HDR_LONGLINE), HDR_LONGLINE,
	    "long continuation line is HDR_LONGLINE");
	hdr_free(&h);

	/* the default limits hold: 3000 fields stop at HDR_MAX_FIELDS */
	buf_reset(&in);
	for (i = 0; i < 3000; i++)
		buf_adds(&in, "X: y\n");
	hdr_parse(&h, in.p, 0, in.len, NULL);
	tap_is_long((long)h.n, HDR_MAX_FIELDS, "default field limit");
	tap_ok((h.flags & HDR_TOOMANY) != 0, "default field limit: HDR_TOOMANY");
	hdr_free(&h);

	/* and a 300 KB section stops at HDR_MAX_BYTES */
	buf_reset(&in);
	buf_adds(&in, "X: ");
	for (i = 0; i < 300 * 1024; i++)
		buf_addc(&in, i % 80 ? 'a' : '\n');
	hdr_parse(&h, in.p, 0, in.len, &lim);
	tap_ok((h.flags & HDR_TOOBIG) != 0, "default byte limit: HDR_TOOBIG");
	tap_ok(h.f[h.n - 1].off + h.f[h.n - 1].len <= HDR_MAX_BYTES,
	    "default byte limit: nothing parsed past it");
	hdr_free(&h);

	/* a section that starts inside a larger buffer (after a From line) */
	buf_reset(&in);
	buf_adds(&in, "From x\nA: 1\nB: 2\n\nbody A: 3\n");
	hdr_parse(&h, in.p, 7, 10, NULL);
	render(&h, &got);
	tap_is(buf_cstr(&got), "A=1 | B=2", "section at an offset");
	tap_is_long((long)h.f[0].off, 7, "offsets are into the message");
	hdr_free(&h);

	buf_free(&in);
	buf_free(&got);
}

static void
test_lookup(void)
{
	static const char sec[] = "From: a\nfrom: b\nFROM: c\nSubject : d\n"
	    "X-From: e\nFromage: f\nnocolon\n";
	struct buf v = BUF_INIT;
	struct hdr h;

	hdr_parse(&h, sec, 0, sizeof sec - 1, NULL);
	tap_is_long((long)hdr_count(&h, "from"), 3, "hdr_count is case-insensitive");
	tap_is_long((long)hdr_count(&h, "Subject"), 1, "hdr_count: obsolete name counts");
	tap_is_long((long)hdr_count(&h, "Fro"), 0, "hdr_count: no prefix match");
	tap_is_long((long)hdr_count(&h, "To"), 0, "hdr_count: absent");
	tap_is_long(hdr_find(&h, "FROM", 0), 0, "hdr_find: first");
	tap_is_long(hdr_find(&h, "From", 1), 1, "hdr_find: from index 1");
	tap_is_long(hdr_find(&h, "from", 3), -1, "hdr_find: none after");
	tap_is_long(hdr_find(&h, "from", 100), -1, "hdr_find: start past the end");
	tap_is_long(hdr_find(&h, "subject", 0), 3, "hdr_find: obsolete name found");
	tap_is_long(hdr_find(&h, "x-from", 0), 4, "hdr_find: X-From");
	tap_is_long(hdr_find(&h, "nocolon", 0), -1, "hdr_find: a line without colon has no name");
	tap_is_long(hdr_find(&h, "", 0), -1, "hdr_find: empty name matches nothing");
	tap_ok(hdr_name_is(&h, 2, "from"), "hdr_name_is: FROM is from");
	tap_ok(!hdr_name_is(&h, 5, "From"), "hdr_name_is: Fromage is not From");
	tap_ok(hdr_name_is(&h, 3, "SUBJECT"), "hdr_name_is: name without the space");

	/* hdr_unfold appends; hdr_value replaces */
	buf_adds(&v, "<");
	hdr_unfold(&h, 3, &v);
	tap_is(buf_cstr(&v), "< d", "hdr_unfold appends, untrimmed");
	hdr_value(&h, 3, &v);
	tap_is(buf_cstr(&v), "d", "hdr_value empties first and trims");
	hdr_free(&h);
	buf_free(&v);

	tap_ok(hdr_valid_name("X-Spam-Flag", 11), "hdr_valid_name: X-Spam-Flag");
	tap_ok(!hdr_valid_name("", 0), "hdr_valid_name: empty");
	tap_ok(!hdr_valid_name("A B", 3), "hdr_valid_name: space");
	tap_ok(!hdr_valid_name("A:B", 3), "hdr_valid_name: colon");
	tap_ok(!hdr_valid_name("A\0B", 3), "hdr_valid_name: NUL");
	tap_ok(!hdr_valid_name("caf\xc3\xa9", 5), "hdr_valid_name: 8-bit");
	tap_ok(!hdr_valid_name("A\x7f", 2), "hdr_valid_name: DEL");
}

static const struct {
	const char *name, *in;
	size_t      len;   /* 0: strlen(in) */
	const char *want;  /* as show_add renders it */
} ew[] = {
	{ "plain text unchanged", "hello world", 0, "hello world" },
	{ "empty", "", 0, "" },
	{ "Q", "=?utf-8?q?caf=C3=A9?=", 0, "caf\\xc3\\xa9" },
	{ "Q upper case, underscore is space", "=?UTF-8?Q?a_b?=", 0, "a b" },
	{ "Q lower-case hex", "=?utf-8?q?caf=c3=a9?=", 0, "caf\\xc3\\xa9" },
	{ "B", "=?utf-8?B?Y2Fmw6k=?=", 0, "caf\\xc3\\xa9" },
	{ "lower-case b", "=?utf-8?b?Y2Fmw6k=?=", 0, "caf\\xc3\\xa9" },
	{ "B without padding", "=?utf-8?b?Y2Fmw6k?=", 0, "caf\\xc3\\xa9" },
	{ "B: underscore is not space", "=?utf-8?b?X18=?=", 0, "__" },
	{ "B with junk skipped", "=?utf-8?b?Y2Fm!!?=", 0, "caf" },
	{ "adjacent words: space dropped", "=?utf-8?q?a?= =?utf-8?q?b?=", 0, "ab" },
	{ "adjacent words over a fold", "=?utf-8?q?a?=\r\n\t=?utf-8?q?b?=", 0, "ab" },
	{ "adjacent words, no space", "=?utf-8?q?a?==?utf-8?q?b?=", 0, "ab" },
	{ "word then text keeps the space", "=?utf-8?q?a?= b", 0, "a b" },
	{ "text then word keeps the space", "x =?utf-8?q?a?=", 0, "x a" },
	{ "word text word", "=?utf-8?q?a?= x =?utf-8?q?b?=", 0, "a x b" },
	{ "encoded space kept between words", "=?utf-8?q?a_?= =?utf-8?q?b?=", 0, "a b" },
	{ "RFC 2231 language", "=?utf-8*en?q?hi?=", 0, "hi" },
	{ "RFC 2231 language, Latin-1", "=?iso-8859-1*fr?q?caf=E9?=", 0,
	  "caf\\xc3\\xa9" },
	{ "ISO-8859-1", "=?iso-8859-1?q?caf=E9?=", 0, "caf\\xc3\\xa9" },
	{ "windows-1252 euro and dash", "=?windows-1252?q?=80=96?=", 0,
	  "\\xe2\\x82\\xac\\xe2\\x80\\x93" },
	{ "KOI8-R", "=?koi8-r?q?=F0=D2=C9=D7=C5=D4?=", 0,
	  "\\xd0\\x9f\\xd1\\x80\\xd0\\xb8\\xd0\\xb2\\xd0\\xb5\\xd1\\x82" },
	{ "ISO-2022-JP (stateful)", "=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", 0,
	  "\\xe3\\x83\\x86\\xe3\\x82\\xb9\\xe3\\x83\\x88" },
	{ "unknown charset: UTF-8 bytes kept", "=?x-nonesuch?q?=C3=A9?=", 0,
	  "\\xc3\\xa9" },
	{ "unknown charset: other bytes as Latin-1", "=?x-nonesuch?q?caf=E9?=", 0,
	  "caf\\xc3\\xa9" },
	{ "utf-8 label, Latin-1 bytes", "=?utf-8?q?caf=E9?=", 0, "caf\\xc3\\xa9" },
	{ "us-ascii label, 8-bit bytes", "=?us-ascii?q?=E9?=", 0, "\\xc3\\xa9" },
	{ "unknown encoding left literal", "=?utf-8?x?abc?=", 0, "=?utf-8?x?abc?=" },
	{ "unclosed left literal", "=?utf-8?q?abc", 0, "=?utf-8?q?abc" },
	{ "empty charset left literal", "=??q?abc?=", 0, "=??q?abc?=" },
	{ "space inside left literal", "=?utf-8?q?a b?=", 0, "=?utf-8?q?a b?=" },
	{ "too short left literal", "=?u?q?=", 0, "=?u?q?=" },
	{ "Q bad escape kept", "=?utf-8?q?a=zz?=", 0, "a=zz" },
	{ "Q escape cut at the end kept", "=?utf-8?q?a=4?=", 0, "a=4" },
	{ "empty encoded text", "=?utf-8?q?\?=", 0, "" },
	{ "overlong charset name left literal",
	  "=?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?q?x?=",
	  0, "=?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?q?x?=" },
	{ "malformed then good", "=?bad =?utf-8?q?ok?=", 0, "=?bad ok" },
	{ "word inside a word (as clients do)", "abc=?utf-8?q?x?=def", 0, "abcxdef" },
	{ "two charsets adjacent", "=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", 0,
	  "\\xc3\\xa9\\xc3\\xa9" },
	{ "raw Latin-1 made UTF-8", "caf\xe9", 0, "caf\\xc3\\xa9" },
	{ "raw UTF-8 kept", "caf\xc3\xa9", 0, "caf\\xc3\\xa9" },
	{ "raw truncated UTF-8 as Latin-1", "a\xc3", 0, "a\\xc3\\x83" },
	/* An encoded '@' stays an '@': a display name that reads as an address
	 * is what spoof checks look for, so it must be seen as the reader sees
	 * it. */
	{ "encoded @ decoded", "=?utf-8?q?ceo=40ourco.example?=", 0,
	  "ceo@ourco.example" },
	/* A NUL, encoded or raw, becomes U+FFFD as readers show it: the result
	 * is used as a C string (display names), and a NUL would hide what
	 * follows it from every check. */
	{ "encoded NUL made U+FFFD", "=?utf-8?q?a=00b?=", 0, "a\\xef\\xbf\\xbdb" },
	{ "B-encoded NUL made U+FFFD", "=?utf-8?b?YQBi?=", 0, "a\\xef\\xbf\\xbdb" },
	{ "Latin-1 NUL made U+FFFD", "=?iso-8859-1?q?=00=E9?=", 0,
	  "\\xef\\xbf\\xbd\\xc3\\xa9" },
	{ "raw NUL made U+FFFD", "a\0b", 3, "a\\xef\\xbf\\xbdb" },
};

static void
test_2047(void)
{
	struct buf out = BUF_INIT, got = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof ew / sizeof ew[0]; i++) {
		size_t len = ew[i].len ? ew[i].len : strlen(ew[i].in);
		char name[256];

		buf_reset(&out);
		buf_reset(&got);
		snprintf(name, sizeof name, "2047: %s: returns 0", ew[i].name);
		tap_ok(hdr_decode_2047(ew[i].in, len, &out) == 0, name);
		show_add(&got, out.p, out.len);
		snprintf(name, sizeof name, "2047: %s", ew[i].name);
		tap_is(buf_cstr(&got), ew[i].want, name);
	}
	/* appends to what out holds */
	buf_reset(&out);
	buf_adds(&out, "S: ");
	hdr_decode_2047("=?utf-8?q?x?=", 13, &out);
	tap_is(buf_cstr(&out), "S: x", "2047: appends");
	/* a field value decoded end to end */
	{
		static const char sec[] = "Subject: =?utf-8?q?Re:_caf=C3=A9?=\r\n"
		    " =?utf-8?b?IGF1IGxhaXQ=?=\r\n";
		struct hdr h;
		struct buf v = BUF_INIT;
		hdr_parse(&h, sec, 0, sizeof sec - 1, NULL);
		hdr_value(&h, 0, &v);
		buf_reset(&out);
		hdr_decode_2047(v.p, v.len, &out);
		buf_reset(&got);
		show_add(&got, out.p, out.len);
		tap_is(buf_cstr(&got), "Re: caf\\xc3\\xa9 au lait",
		    "2047: folded Subject decoded");
		buf_free(&v);
		hdr_free(&h);
	}
	/* encoded words past RFC 2047's 75 octets are still read up to the
	 * 998-octet line; beyond that they are left literal */
	{
		struct buf in = BUF_INIT;
		size_t k;
		buf_adds(&in, "=?utf-8?q?");
		for (k = 0; k < 900; k++)
			buf_addc(&in, 'a');
		buf_adds(&in, "?=");
		buf_reset(&out);
		hdr_decode_2047(in.p, in.len, &out);
		tap_is_long((long)out.len, 900, "2047: 912-octet encoded word decoded");
		buf_reset(&in);
		buf_adds(&in, "=?utf-8?q?");
		for (k = 0; k < 1000; k++)
			buf_addc(&in, 'a');
		buf_adds(&in, "?=");
		buf_reset(&out);
		hdr_decode_2047(in.p, in.len, &out);
		tap_is_long((long)out.len, (long)in.len,
		    "2047: 1012-octet encoded word left literal");
		/* every "=?" opening a word that never closes: this took minutes
		 * before encoded words were bounded */
		buf_reset(&in);
		for (k = 0; k < 256 * 1024 / 8; k++)
			buf_adds(&in, "=?a?q?xx");
		buf_reset(&out);
		{
			clock_t t0 = clock();
			hdr_decode_2047(in.p, in.len, &out);
			tap_ok((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0,
			    "2047: 256 KB of unclosed encoded words in linear time");
		}
		tap_is_long((long)out.len, (long)in.len,
		    "2047: unclosed encoded words kept literal");
		buf_free(&in);
	}
	buf_free(&out);
	buf_free(&got);
}

int
main(void)
{
	test_parse();
	test_built();
	test_lookup();
	test_2047();
	return tap_done();
}
