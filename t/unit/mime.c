/* Unit tests for lib/message/mime.c and lib/message/decode.c: each row is a message and
 * the leaves the walker must give, one "path|type|filename|cte|data" line
 * each, plus the flags the message must (and must not) carry. */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "mime.h"
#include "tap.h"

struct got {
	struct buf s;
};

static int
collect(void *arg, const struct mime_part *p)
{
	struct got *g = arg;

	buf_printf(&g->s, "%s|%s|%s|%s|", p->path, p->type, p->filename, p->cte);
	buf_add(&g->s, p->data, p->len);
	buf_adds(&g->s, "\n");
	return 0;
}

#define MP "Content-Type: multipart/mixed; boundary=\"b\"\n\n"

static const struct {
	const char *name, *in, *want;
	unsigned    must, mustnot;
} rows[] = {
	{ "plain message", "Subject: x\n\nhello\n",
	  "1|text/plain||7bit|hello\n\n", 0, MIME_AMBIGUOUS },
	{ "no header at all", "\nhello",
	  "1|text/plain||7bit|hello\n", 0, 0 },
	{ "two parts", MP "pre\n--b\nContent-Type: text/plain\n\none\n--b\n"
	  "Content-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64\n\n"
	  "aGVsbG8=\n--b--\nepilogue\n",
	  "1|text/plain||7bit|one\n2|application/pdf|a.pdf|base64|hello\n", 0,
	  MIME_NOEND },
	{ "CRLF line ends", "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	  "--b\r\n\r\none\r\n--b--\r\n",
	  "1|text/plain||7bit|one\n", 0, MIME_NOEND },
	{ "missing final boundary", MP "--b\n\none\n--b\n\ntwo\n",
	  "1|text/plain||7bit|one\n2|text/plain||7bit|two\n", MIME_NOEND, 0 },
	{ "boundary prefix of another", "Content-Type: multipart/mixed; boundary=ab\n\n"
	  "--ab\nContent-Type: multipart/alternative; boundary=abc\n\n"
	  "--abc\n\nx\n--abc\n\ny\n--abc--\n--ab\n\nz\n--ab--\n",
	  "1.1|text/plain||7bit|x\n1.2|text/plain||7bit|y\n2|text/plain||7bit|z\n",
	  0, MIME_NOEND },
	{ "whitespace after boundary", MP "--b  \n\none\n--b-- \t\n",
	  "1|text/plain||7bit|one\n", 0, MIME_NOEND },
	{ "unquoted boundary with junk after", "Content-Type: multipart/mixed; boundary=b ; x=y\n\n--b\n\nq\n--b--\n",
	  "1|text/plain||7bit|q\n", 0, 0 },
	{ "part with no headers", MP "--b\n\nbare\n--b--\n",
	  "1|text/plain||7bit|bare\n", MIME_NOHDR, 0 },
	{ "part starting with body text", MP "--b\nnot a header line\n--b--\n",
	  "1|text/plain||7bit|not a header line\n", MIME_NOHDR, 0 },
	{ "message/rfc822 recursed", MP "--b\nContent-Type: message/rfc822\n\n"
	  "Subject: inner\nContent-Type: multipart/mixed; boundary=c\n\n--c\n\nin1\n--c\n"
	  "Content-Disposition: attachment; filename=x.exe\n\nMZ\n--c--\n--b--\n",
	  "1.1|text/plain||7bit|in1\n1.2|text/plain|x.exe|7bit|MZ\n", 0, 0 },
	{ "message/rfc822 single part", MP "--b\nContent-Type: message/rfc822\n\n"
	  "Subject: inner\n\nbody\n--b--\n",
	  "1.1|text/plain||7bit|body\n", 0, 0 },
	{ "two Content-Type fields: first wins", "Content-Type: text/plain\n"
	  "Content-Type: application/x-msdownload\n\nMZ",
	  "1|text/plain||7bit|MZ\n", MIME_AMBIG_CT, 0 },
	{ "two CTE fields", "Content-Transfer-Encoding: base64\n"
	  "Content-Transfer-Encoding: 7bit\n\naGk=",
	  "1|text/plain||base64|hi\n", MIME_AMBIG_CTE, 0 },
	{ "boundary declared twice", "Content-Type: multipart/mixed; boundary=a; boundary=b\n\n"
	  "--a\n\nA\n--a--\n",
	  "1|text/plain||7bit|A\n", MIME_AMBIG_PARAM, 0 },
	{ "a nested multipart reusing the boundary", MP "--b\n"
	  "Content-Type: multipart/alternative; boundary=b\n\n--b\n\nx\n--b--\n",
	  "1|multipart/alternative||7bit|\n2|text/plain||7bit|x\n", MIME_AMBIG_PARAM, 0 },
	{ "multipart without boundary is text", "Content-Type: multipart/mixed\n\nxx",
	  "1|multipart/mixed||7bit|xx\n", MIME_NOBOUNDARY, 0 },
	{ "boundary never occurs", MP "nothing here\n",
	  "1|multipart/mixed||7bit|nothing here\n\n", MIME_NOSTART, 0 },
	{ "invalid Content-Type is text/plain", "Content-Type: bogus\n\nx",
	  "1|text/plain||7bit|x\n", 0, 0 },
	{ "RFC 2231 continuation and charset",
	  "Content-Type: application/octet-stream;\n name*0*=utf-8''%E2%80%AEcod;\n"
	  " name*1=\"e.exe\"\n\nz",
	  "1|application/octet-stream|\xe2\x80\xae" "code.exe|7bit|z\n", 0, 0 },
	{ "RFC 2231 latin-1", "Content-Disposition: attachment; filename*=iso-8859-1'de'%E4.txt\n\nz",
	  "1|text/plain|\xc3\xa4.txt|7bit|z\n", 0, 0 },
	{ "RFC 2047 in filename", "Content-Disposition: attachment;\n"
	  " filename=\"=?utf-8?B?Zm9vLmV4ZQ==?=\"\n\nz",
	  "1|text/plain|foo.exe|7bit|z\n", 0, 0 },
	{ "filename and name differ", "Content-Type: text/plain; name=a.txt\n"
	  "Content-Disposition: attachment; filename=b.exe\n\nz",
	  "1|text/plain|b.exe|7bit|z\n1|text/plain|a.txt|7bit|z\n",
	  MIME_AMBIG_NAME, 0 },
	{ "a comment in a name: the leaf under both readings",
	  "Content-Type: text/plain\n"
	  "Content-Disposition: attachment; filename=file.zip(.gif)\n\nz",
	  "1|text/plain|file.zip(.gif)|7bit|z\n1|text/plain|file.zip|7bit|z\n",
	  MIME_AMBIG_NAME, 0 },
	{ "RFC 2231 sections with a gap", "Content-Type: text/plain; "
	  "name*1=file.; name*2=zip\n\nz",
	  "1|text/plain||7bit|z\n1|text/plain|file.zip|7bit|z\n",
	  MIME_AMBIG_NAME, 0 },
	{ "a quoted string and text after it", "Content-Type: text/plain; "
	  "name=\"file\".zip\n\nz",
	  "1|text/plain|file|7bit|z\n1|text/plain|file.zip|7bit|z\n",
	  MIME_AMBIG_NAME, 0 },
	{ "UTF-16 without a BOM is big-endian", "Content-Type: text/plain; "
	  "name*=utf-16''%00a%00.%00z\n\nz",
	  "1|text/plain|a.z|7bit|z\n"
	  "1|text/plain|\xe6\x84\x80\xe2\xb8\x80\xe7\xa8\x80|7bit|z\n",
	  MIME_AMBIG_NAME, 0 },
	{ "filename and name differ in case and folder only",
	  "Content-Type: image/png; name=\"./Mail_files/IMAGE001.png\"\n"
	  "Content-Disposition: inline; filename=image001.png\n\nz",
	  "1|image/png|image001.png|7bit|z\n", 0, MIME_AMBIG_NAME },
	{ "a base64 multipart is read raw and flagged",
	  "Content-Type: multipart/mixed; boundary=b\n"
	  "Content-Transfer-Encoding: base64\n\n--b\n\none\n--b--\n",
	  "1|text/plain||7bit|one\n", MIME_ENCMSG, 0 },
	{ "quoted-printable", "Content-Transfer-Encoding: quoted-printable\n\n"
	  "a=3Db=\nc  \nd=4x==41=\r\ne\n",
	  "1|text/plain||quoted-printable|a=bc  \nd=4x=41e\n\n", MIME_BADQP, 0 },
	{ "base64 with junk and no padding", "Content-Transfer-Encoding: BASE64\n\n"
	  "aGV*sbG8\n!",
	  "1|text/plain||base64|hello\n", MIME_BADB64, 0 },
	{ "base64 concatenated after padding", "Content-Transfer-Encoding: base64\n\n"
	  "aGk=aGk=\n",
	  "1|text/plain||base64|hihi\n", 0, 0 },
	{ "unknown encoding kept raw", "Content-Transfer-Encoding: x-foo\n\nraw",
	  "1|text/plain||unknown|raw\n", MIME_BADCTE, 0 },
	{ "digest parts default to message/rfc822",
	  "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: a\n\nA\n--d--\n",
	  "1.1|text/plain||7bit|A\n", 0, 0 },
	{ "mbox From line skipped", "From a@b Mon Jan 1\nSubject: x\n\nq",
	  "1|text/plain||7bit|q\n", 0, 0 },
	{ "empty message", "", "1|text/plain||7bit|\n", 0, 0 },
};

/* A message nested n deep in multiparts. */
static char *
deep(size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"%zu\"\n\n--%zu\n", i, i);
	buf_adds(&b, "\nleaf\n");
	return b.p;
}

static int
count(void *arg, const struct mime_part *p)
{
	(void)p;
	++*(size_t *)arg;
	return 0;
}

int
main(void)
{
	struct mime_limits lim;
	struct mime_stats st;
	size_t i, n;
	char name[256];

	mime_limits_default(&lim);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct got g = { BUF_INIT };
		int rc = mime_walk_reading(rows[i].in, strlen(rows[i].in), &lim, 0,
		    NULL, collect, &g, &st, MIME_READ_ALL);
		snprintf(name, sizeof name, "%s: walks", rows[i].name);
		tap_ok(rc == 0, name);
		snprintf(name, sizeof name, "%s: leaves", rows[i].name);
		tap_is(g.s.p ? g.s.p : "", rows[i].want, name);
		snprintf(name, sizeof name, "%s: flags", rows[i].name);
		tap_ok((st.flags & rows[i].must) == rows[i].must &&
		    !(st.flags & rows[i].mustnot), name);
		if ((st.flags & rows[i].must) != rows[i].must ||
		    (st.flags & rows[i].mustnot))
			printf("#   flags %#x\n", st.flags);
		buf_free(&g.s);
	}

	/* depth: 60 deep stops at the limit with MIME_DEPTH, 10 deep walks */
	{
		char *m = deep(60);
		n = 0;
		tap_ok(mime_walk(m, strlen(m), &lim, 0, NULL, count, &n, &st) == 0,
		    "60 deep: walks");
		tap_ok(st.flags & MIME_DEPTH, "60 deep: depth flag");
		tap_is_long((long)n, 0, "60 deep: no leaf past the limit");
		free(m);
		m = deep(10);
		n = 0;
		mime_walk(m, strlen(m), &lim, 0, NULL, count, &n, &st);
		tap_ok(!(st.flags & MIME_DEPTH) && n == 1, "10 deep: one leaf");
		free(m);
		m = deep(20000);
		n = 0;
		tap_ok(mime_walk(m, strlen(m), &lim, 0, NULL, count, &n, &st) == 0 &&
		    (st.flags & MIME_DEPTH), "20000 deep: stops, no stack overflow");
		free(m);
	}
	/* parts and bytes limits */
	{
		struct buf b = BUF_INIT;
		buf_adds(&b, MP);
		for (i = 0; i < 50; i++)
			buf_adds(&b, "--b\n\nx\n");
		lim.parts = 10;
		n = 0;
		mime_walk(b.p, b.len, &lim, 0, NULL, count, &n, &st);
		tap_ok((st.flags & MIME_PARTS) && n < 10, "parts limit");
		mime_limits_default(&lim);
		lim.partbytes = 3;
		n = 0;
		mime_walk(b.p, b.len, &lim, 0, NULL, count, &n, &st);
		tap_ok(!(st.flags & MIME_CAPPED), "part limit not reached by 1 byte");
		lim.total = 20;
		mime_walk(b.p, b.len, &lim, 0, NULL, count, &n, &st);
		tap_ok(st.flags & MIME_TOTAL, "total limit");
		buf_free(&b);
		mime_limits_default(&lim);
		lim.partbytes = 2;
		mime_walk("\nhello", 6, &lim, 0, NULL, count, &n, &st);
		tap_ok(st.flags & MIME_CAPPED, "part limit");
	}
	/* decoders on their own */
	{
		struct buf o = BUF_INIT;
		unsigned f = 0;
		decode_base64("QQ", 2, &o, 100, &f);
		tap_ok(o.len == 1 && o.p[0] == 'A' && (f & DECODE_NOPAD), "base64: QQ");
		buf_reset(&o);
		f = 0;
		decode_base64("QUJDRA==", 8, &o, 2, &f);
		tap_ok(o.len == 2 && (f & DECODE_CAPPED), "base64: capped");
		buf_reset(&o);
		f = 0;
		decode_qp("a=\r\nb=41\r\n", 10, &o, 100, &f);
		tap_is(o.p, "abA\r\n", "qp: CRLF soft break");
		buf_reset(&o);
		decode_pct("%41%4g%", 7, &o);
		tap_is(o.p, "A%4g%", "pct: bad escapes kept");
		buf_reset(&o);
		f = 0;
		decode_base64_quads("U=A=\nSwM=", 9, &o, 100, &f);
		tap_is(o.p, "PK\3", "base64 by quads: '=' inside a group dropped");
		tap_ok(decode_base64_midpad("U=A=", 4) &&
		    !decode_base64_midpad("QUJD\nRA==\n", 10),
		    "base64: padding inside the data told from padding at its end");
		buf_reset(&o);
		decode_base64("U=A=\nSwM=", 9, &o, 100, &f);
		tap_ok(o.len != 3 || memcmp(o.p, "PK\3", 3) != 0,
		    "base64 as usual reads it otherwise");
		buf_reset(&o);
		f = 0;
		decode_qp_upper("=0a=50=\n=0a=4B", 15, &o, 100, &f);
		tap_is(o.p, "PK", "qp upper-case only: lower-case escapes dropped");
		tap_ok(decode_qp_lower("=0a", 3) && !decode_qp_lower("=0A=3D", 6),
		    "qp: lower-case escapes told");
		buf_reset(&o);
		f = 0;
		{
			char nm[32];
			/* "hi" plus 42 is 0x92 0x93; 0x3d ('=' - 42 = 19) escaped */
			const char *y = "x\n=ybegin line=128 size=3 name=a b.exe\r\n"
			    "\222\223=}\n=yend size=3\n";
			tap_ok(decode_yenc(y, strlen(y), nm, sizeof nm, &o, 100, &f) == 1 &&
			    o.len == 3 && memcmp(o.p, "hi\023", 3) == 0, "yenc: bytes");
			tap_is(nm, "a b.exe", "yenc: its name, spaces and all");
			tap_ok(decode_yenc("no =ybegin here", 15, nm, sizeof nm, &o, 100,
			    &f) == 0, "yenc: only at a line start");
		}
		tap_ok(decode_cte_parse(" Base64 ", 8) == DECODE_BASE64, "cte: case and space");
		{
			/* "hello" uuencoded, a second block without "end" */
			const char *uu = "text\nbegin 644 a b.txt\n%:&5L;&\\`\n`\nend\n"
			    "more\nbegin 600 x\n#86)C\n";
			char nm[64];
			size_t pos = 0;
			buf_reset(&o);
			f = 0;
			tap_ok(decode_uu_next(uu, strlen(uu), &pos, nm, sizeof nm, &o, 100,
			    &f) == 1 && o.len == 5 && memcmp(o.p, "hello", 5) == 0,
			    "uu: a block");
			tap_is(nm, "a b.txt", "uu: its name, spaces and all");
			tap_ok(decode_uu_next(uu, strlen(uu), &pos, nm, sizeof nm, &o, 100,
			    &f) == 1 && o.len == 3 && memcmp(o.p, "abc", 3) == 0,
			    "uu: a block without end runs to the end");
			tap_ok(decode_uu_next(uu, strlen(uu), &pos, nm, sizeof nm, &o, 100,
			    &f) == 0, "uu: no more blocks");
			pos = 0;
			tap_ok(decode_uu_next("begin 64 x\n#86)C\n", 17, &pos, nm,
			    sizeof nm, &o, 100, &f) == 0, "uu: a mode of two digits is no begin");
		}
		{
			/* BinHex 4.0: "MZ", ten NULs (a run), 0x90 (escaped), "ab" */
			const char *hq = "x\n(This file must be converted with BinHex 4.0)\n"
			    ":\"h*eELjPH'8!39\"36$q3\"!#3\"3m!N!4$bdeD!*!+N!\"KBUjA!!!:\n";
			static const char want[] = "MZ\0\0\0\0\0\0\0\0\0\0\x90" "ab";
			char nm[64];
			buf_reset(&o);
			f = 0;
			tap_ok(decode_hqx(hq, strlen(hq), nm, sizeof nm, &o, 100, &f) == 1 &&
			    o.len == sizeof want - 1 && memcmp(o.p, want, o.len) == 0 &&
			    !(f & DECODE_JUNK), "hqx: the data fork, runs undone");
			tap_is(nm, "run.exe", "hqx: its name");
			f = 0;
			tap_ok(decode_hqx(hq, strlen(hq), nm, sizeof nm, &o, 5, &f) == 1 &&
			    o.len == 5 && (f & DECODE_CAPPED), "hqx: capped");
			f = 0;
			tap_ok(decode_hqx(hq, 60, nm, sizeof nm, &o, 100, &f) == 1 &&
			    o.len == 0 && (f & DECODE_JUNK), "hqx: cut short, flagged");
			tap_ok(decode_hqx("no binhex here\n:x:\n", 19, nm, sizeof nm, &o,
			    100, &f) == 0, "hqx: none without the marker");
		}
		buf_free(&o);
	}
	return tap_done();
}
