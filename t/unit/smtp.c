/* Unit tests for lib/door/smtp.c and lib/door/smtp_data.c: the command parser, MAIL
 * parameters, the relay rule, the header rule, and the DATA state machine
 * fed whole and byte by byte. */
#include <string.h>

#include "addr.h"
#include "smtp.h"
#include "smtp_data.h"
#include "tap.h"

static const struct {
	const char *name, *line;
	enum smtp_verb verb;
	const char *path, *params;
	unsigned flags;
} cmds[] = {
	{ "EHLO", "EHLO a.example", SMTP_EHLO, NULL, NULL, 0 },
	{ "lower case verb", "ehlo a", SMTP_EHLO, NULL, NULL, 0 },
	{ "MAIL", "MAIL FROM:<a@b>", SMTP_MAIL, "<a@b>", "", 0 },
	{ "MAIL with params", "MAIL FROM:<a@b> SIZE=10 BODY=8BITMIME",
	  SMTP_MAIL, "<a@b>", "SIZE=10 BODY=8BITMIME", 0 },
	{ "space after colon tolerated", "mail from: <a@b>", SMTP_MAIL, "<a@b>", "", 0 },
	{ "null path", "MAIL FROM:<>", SMTP_MAIL, "<>", "", 0 },
	{ "bare path", "MAIL FROM:a@b SMTPUTF8", SMTP_MAIL, "a@b", "SMTPUTF8", 0 },
	{ "quoted > does not end the path", "RCPT TO:<\"a>b\"@c> X",
	  SMTP_RCPT, "<\"a>b\"@c>", "X", 0 },
	{ "unclosed path", "RCPT TO:<a@b", SMTP_RCPT, NULL, NULL, SMTP_CMD_SYNTAX },
	{ "no TO:", "RCPT <a@b>", SMTP_RCPT, NULL, NULL, SMTP_CMD_SYNTAX },
	{ "empty path", "RCPT TO:", SMTP_RCPT, NULL, NULL, SMTP_CMD_SYNTAX },
	{ "NUL flagged", "NO\001OP", SMTP_UNKNOWN, NULL, NULL, SMTP_CMD_NUL },
	{ "8-bit UTF-8", "MAIL FROM:<j\xc3\xb6@x>", SMTP_MAIL, "<j\xc3\xb6@x>", "",
	  SMTP_CMD_8BIT },
	{ "8-bit not UTF-8", "MAIL FROM:<j\xf6@x>", SMTP_MAIL, "<j\xf6@x>", "",
	  SMTP_CMD_8BIT | SMTP_CMD_BADUTF8 },
	{ "HTTP", "GET / HTTP/1.1", SMTP_HTTP, NULL, NULL, 0 },
	{ "unknown", "XYZZY", SMTP_UNKNOWN, NULL, NULL, 0 },
	{ "verb prefix is not the verb", "MAILX FROM:<a@b>", SMTP_UNKNOWN, NULL, NULL, 0 },
};

static void
test_cmds(void)
{
	size_t i;
	char name[256], got[600];

	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		struct smtp_cmd c;
		smtp_cmd_parse(cmds[i].line, strlen(cmds[i].line), &c);
		snprintf(name, sizeof name, "cmd %s: verb", cmds[i].name);
		tap_is_long(c.verb, cmds[i].verb, name);
		snprintf(name, sizeof name, "cmd %s: flags", cmds[i].name);
		tap_is_long((long)c.flags, (long)cmds[i].flags, name);
		if (cmds[i].path) {
			snprintf(got, sizeof got, "%.*s", (int)c.pathlen, c.path);
			snprintf(name, sizeof name, "cmd %s: path", cmds[i].name);
			tap_is(got, cmds[i].path, name);
			snprintf(got, sizeof got, "%.*s", (int)c.paramslen, c.params);
			snprintf(name, sizeof name, "cmd %s: params", cmds[i].name);
			tap_is(got, cmds[i].params, name);
		}
	}
}

static const struct {
	const char *in;
	int ok;
	unsigned long long size;
	int body8, utf8;
} params[] = {
	{ "", 1, 0, 0, 0 },
	{ "SIZE=12345", 1, 12345, 0, 0 },
	{ "size=1 body=8bitmime smtputf8", 1, 1, 1, 1 },
	{ "BODY=7BIT", 1, 0, 0, 0 },
	{ "BODY=BINARYMIME", 0, 0, 0, 0 },
	{ "SIZE=", 0, 0, 0, 0 },
	{ "SIZE=12a", 0, 0, 0, 0 },
	{ "SIZE=9999999999999999999", 0, 0, 0, 0 },
	{ "SMTPUTF8=yes", 0, 0, 0, 0 },
	{ "RET=HDRS", 0, 0, 0, 0 },
	{ "AUTH=<>", 0, 0, 0, 0 },
};

static void
test_params(void)
{
	size_t i;
	char name[256];

	for (i = 0; i < sizeof params / sizeof params[0]; i++) {
		struct smtp_mailparam mp;
		int r = smtp_mail_params(params[i].in, strlen(params[i].in), &mp);
		snprintf(name, sizeof name, "params \"%s\"", params[i].in);
		tap_ok((r == 0) == params[i].ok && (!params[i].ok ||
		    (mp.size == params[i].size && mp.body8 == params[i].body8 &&
		    mp.utf8 == params[i].utf8)), name);
	}
}

static char *ours[] = { "ourco.example", ".sub.ourco.example", "[192.0.2.9]" };

static const struct {
	const char *path;
	int relay;
	enum smtp_rcpt_verdict want;
} rcpts[] = {
	{ "<u@ourco.example>", 0, SMTP_RCPT_OK },
	{ "<U@OURCO.EXAMPLE.>", 0, SMTP_RCPT_OK },
	{ "<u@a.sub.ourco.example>", 0, SMTP_RCPT_OK },
	{ "<u@[192.0.2.9]>", 0, SMTP_RCPT_OK },
	{ "<@evil.example:u@ourco.example>", 0, SMTP_RCPT_OK },
	{ "<u%a.sub.ourco.example@ourco.example>", 0, SMTP_RCPT_OK },
	{ "<u@evil.example>", 0, SMTP_RCPT_RELAY },
	{ "<u@evil.example>", 1, SMTP_RCPT_OK },
	{ "<u@sub.ourco.example>", 0, SMTP_RCPT_RELAY },
	{ "<u%evil.example@ourco.example>", 0, SMTP_RCPT_RELAY },
	{ "<u%evil.example@ourco.example>", 1, SMTP_RCPT_OK },
	{ "<\"u@evil.example\"@ourco.example>", 0, SMTP_RCPT_RELAY },
	{ "<evil.example!u@ourco.example>", 0, SMTP_RCPT_RELAY },
	{ "<a.sub.ourco.example!u@ourco.example>", 0, SMTP_RCPT_OK },
	{ "<!u@ourco.example>", 0, SMTP_RCPT_RELAY },
	{ "<u%@ourco.example>", 0, SMTP_RCPT_RELAY },
	{ "<@ourco.example:u@evil.example>", 0, SMTP_RCPT_RELAY },
	{ "<u@[192.0.2.1]>", 0, SMTP_RCPT_RELAY },
	{ "<u@ourco.example..>", 0, SMTP_RCPT_RELAY },
	{ "<u@evil.example.>", 0, SMTP_RCPT_RELAY },
};

static void
test_rcpt(void)
{
	size_t i;
	char name[256];

	for (i = 0; i < sizeof rcpts / sizeof rcpts[0]; i++) {
		struct addr a;
		enum smtp_rcpt_verdict v = SMTP_RCPT_SYNTAX;
		if (addr_parse_path(rcpts[i].path, strlen(rcpts[i].path), &a) == 0) {
			v = smtp_rcpt_check(&a, rcpts[i].relay, ours, 3);
			addr_free(&a);
		}
		snprintf(name, sizeof name, "rcpt %s%s", rcpts[i].path,
		    rcpts[i].relay ? " from a relay client" : "");
		tap_is_long(v, rcpts[i].want, name);
	}
}

static const struct {
	const char *field, *val;
	int own;
} own[] = {
	{ "X-Portcullis-Spam", "pass", 1 },
	{ "x-portcullis-anything", "", 1 },
	{ "X-Portcullis", "x", 0 },
	{ "X-Spam-Status", "No", 1 },
	{ "x-spam-flag", "YES", 1 },
	{ "X-Virus-Status", "clean", 1 },
	{ "X-Spam-Statuses", "x", 0 },
	{ "X-Spam", "x", 0 },
	{ "Authentication-Results", " gw.example; spf=pass", 1 },
	{ "Authentication-Results", " (c) GW.EXAMPLE; spf=pass", 1 },
	{ "Authentication-Results", " other.example; spf=pass", 0 },
	{ "Authentication-Results", " gw.example.evil; spf=pass", 0 },
	{ "Received", " by gw.example", 0 },
};

static void
test_own(void)
{
	size_t i;
	char name[256];

	for (i = 0; i < sizeof own / sizeof own[0]; i++) {
		snprintf(name, sizeof name, "own header %s:%s", own[i].field, own[i].val);
		tap_is_long(smtp_hdr_is_own(own[i].field, strlen(own[i].field),
		    own[i].val, strlen(own[i].val), "gw.example"), own[i].own, name);
	}
}

static const struct {
	const char *name, *in;
	size_t len;          /* 0: strlen */
	int want;            /* SMTP_DATA_END / BAD / MORE */
	unsigned err;
	const char *hdr, *body;
	size_t rest;         /* bytes left after the end */
} datas[] = {
	{ "simple", "A: b\r\n\r\nbody\r\n.\r\n", 0, SMTP_DATA_END, 0,
	  "A: b\n", "body\n", 0 },
	{ "pipelined command after the end", "A: b\r\n\r\nx\r\n.\r\nQUIT\r\n", 0,
	  SMTP_DATA_END, 0, "A: b\n", "x\n", 6 },
	{ "dot-stuffing undone", "A: b\r\n\r\n..x\r\n.y\r\n...\r\n.\r\n", 0,
	  SMTP_DATA_END, 0, "A: b\n", ".x\ny\n..\n", 0 },
	{ "empty message", ".\r\n", 0, SMTP_DATA_END, 0, "", "", 0 },
	{ "no header separator", "A: b\r\n.\r\n", 0, SMTP_DATA_END, 0, "A: b\n", "", 0 },
	{ "unfinished", "A: b\r\n\r\nx\r\n.", 0, SMTP_DATA_MORE, 0, "A: b\n", "x\n", 0 },
	{ "LF.LF", "A: b\r\n\r\nx\n.\n", 0, SMTP_DATA_BAD, SMTP_DATA_BARELF, NULL, NULL, 0 },
	{ "CR.CR", "A: b\r\n\r\nx\r.\r", 0, SMTP_DATA_BAD, SMTP_DATA_BARECR, NULL, NULL, 0 },
	{ "CRLF.LF", "A: b\r\n\r\nx\r\n.\n", 0, SMTP_DATA_BAD, SMTP_DATA_BARELF, NULL, NULL, 0 },
	{ "CRLF.CR", "A: b\r\n\r\nx\r\n.\rQ", 0, SMTP_DATA_BAD, SMTP_DATA_BARECR, NULL, NULL, 0 },
	{ "LF.CRLF", "A: b\r\n\r\nx\n.\r\n", 0, SMTP_DATA_BAD, SMTP_DATA_BARELF, NULL, NULL, 0 },
	{ "bare LF in header", "A: b\nC: d\r\n\r\n.\r\n", 0, SMTP_DATA_BAD,
	  SMTP_DATA_BARELF, NULL, NULL, 0 },
	{ "NUL noted, read to the end", "A: b\r\n\r\na\0b\r\n.\r\n", 16, SMTP_DATA_END,
	  SMTP_DATA_NUL, "A: b\n", NULL, 0 },
	{ "line of 1001 with CRLF", NULL, 0, SMTP_DATA_END, SMTP_DATA_LONGLINE, NULL, NULL, 0 },
};

static void
test_data(void)
{
	struct smtp_data_limits lim = { 100000, 1000, 10000 };
	static char longline[1100];
	size_t i, k;
	char name[256];

	memset(longline, 'x', 999);
	memcpy(longline + 999, "\r\n.\r\n", 6);
	for (i = 0; i < sizeof datas / sizeof datas[0]; i++) {
		const char *in = datas[i].in ? datas[i].in : longline;
		size_t len = datas[i].len ? datas[i].len : strlen(in);
		int pass;

		/* pass 0: one chunk; pass 1: one byte at a time */
		for (pass = 0; pass < 2; pass++) {
			struct smtp_data d;
			struct {
				char b[4096];
				size_t n;
			} body = { "", 0 };
			size_t used = 0, off = 0;
			int r = SMTP_DATA_MORE;

			memset(&d, 0, sizeof d);
			smtp_data_begin(&d, &lim);
			while (off < len && r == SMTP_DATA_MORE) {
				size_t n = pass ? 1 : len - off;
				r = smtp_data_feed(&d, in + off, n, &used);
				off += used;
				k = d.out.len < sizeof body.b - body.n ? d.out.len :
				    sizeof body.b - body.n;
				if (k)
					memcpy(body.b + body.n, d.out.p, k);
				body.n += k;
				buf_reset(&d.out);
			}
			snprintf(name, sizeof name, "data %s (%s): result", datas[i].name,
			    pass ? "bytewise" : "whole");
			tap_is_long(r, datas[i].want, name);
			snprintf(name, sizeof name, "data %s (%s): flags", datas[i].name,
			    pass ? "bytewise" : "whole");
			tap_is_long((long)d.err, (long)datas[i].err, name);
			if (datas[i].hdr) {
				snprintf(name, sizeof name, "data %s (%s): header",
				    datas[i].name, pass ? "bytewise" : "whole");
				tap_is(d.hdr.p ? d.hdr.p : "", datas[i].hdr, name);
			}
			if (datas[i].body) {
				body.b[body.n] = '\0';
				snprintf(name, sizeof name, "data %s (%s): body",
				    datas[i].name, pass ? "bytewise" : "whole");
				tap_is(body.b, datas[i].body, name);
			}
			if (r == SMTP_DATA_END) {
				snprintf(name, sizeof name, "data %s (%s): rest",
				    datas[i].name, pass ? "bytewise" : "whole");
				tap_is_long((long)(len - off), (long)datas[i].rest, name);
			}
			smtp_data_free(&d);
		}
	}
}

static void
test_limits(void)
{
	struct smtp_data_limits lim = { 20, 1000, 8 };
	struct smtp_data d;
	size_t used;
	const char *m = "Subject: long header\r\n\r\nbody body body\r\n.\r\n";

	memset(&d, 0, sizeof d);
	smtp_data_begin(&d, &lim);
	tap_is_long(smtp_data_feed(&d, m, strlen(m), &used), SMTP_DATA_END,
	    "limits: still read to the end");
	tap_ok((d.err & SMTP_DATA_TOOBIG) && (d.err & SMTP_DATA_HDRBIG),
	    "limits: size and header size flagged");
	tap_ok(d.hdr.len <= 8 && d.out.len == 0, "limits: nothing kept past them");
	smtp_data_free(&d);
}

static void
test_filter(void)
{
	const char *h = "Received: a\nX-Portcullis-X: y\nDelivered-To: z\n"
	    "Authentication-Results: gw.example;\n spf=pass\nSubject: s\n";
	struct buf out = BUF_INIT;
	size_t hops;

	smtp_data_filter(h, strlen(h), "gw.example", &out, &hops);
	tap_is(out.p, "Received: a\nDelivered-To: z\nSubject: s\n",
	    "filter drops our own fields, folded ones whole");
	tap_is_long((long)hops, 2, "filter counts Received and Delivered-To");
	buf_free(&out);
}

int
main(void)
{
	test_cmds();
	test_params();
	test_rcpt();
	test_own();
	test_data();
	test_limits();
	test_filter();
	return tap_done();
}
