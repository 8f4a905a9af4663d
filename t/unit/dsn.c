/* Unit tests for lib/queue/dsn.c: the status of a reply, the reason a chain
 * stage logged for its verdict, and the shape of the bounce. */
#include <string.h>

#include "dsn.h"
#include "tap.h"

static const struct {
	const char *name, *log, *verdict, *want;
} reason[] = {
	{ "the checker frame's line",
	    "spam-score: qid=Q1 verdict=reject reason=score=14.2 required=5.0\n",
	    "reject", "score=14.2 required=5.0" },
	{ "header-strip's line, reason= after other fields",
	    "header-strip: qid=Q verdict=reject direction=in reason=header section "
	    "exceeds the field count limit\n",
	    "reject", "header section exceeds the field count limit" },
	{ "the first line with the verdict wins, passes skipped",
	    "a: qid=Q verdict=pass reason=ok\nb: qid=Q verdict=reject reason=first\n"
	    "c: qid=Q verdict=reject reason=second\n", "reject", "first" },
	{ "a verdict that only starts the same is not it",
	    "a: qid=Q verdict=rejected reason=no\n", "reject", NULL },
	{ "no reason field", "a: qid=Q verdict=reject\n", "reject", NULL },
	{ "an empty reason", "a: qid=Q verdict=reject reason=\n", "reject", NULL },
	{ "the last line without a newline",
	    "x: warning: slow\na: qid=Q verdict=quarantine reason=spoofed From",
	    "quarantine", "spoofed From" },
	{ "control bytes and 8-bit text cleaned",
	    "a: qid=Q verdict=reject reason=bad\x01name \xc3\xa9\n", "reject",
	    "bad?name ??" },
	{ "nothing logged", "", "reject", NULL },
};

static const struct {
	const char *reply, *want;
} status[] = {
	{ "550 5.1.1 no such user", "5.1.1" },
	{ "451 4.2.0 later", "4.2.0" },
	{ "554 no enhanced code", "5.0.0" },
	{ "421 try later", "4.0.0" },
	{ "550 5.7.1", "5.7.1" },
};

/* dsn_header_len: what of the first bytes of a message a bounce carries */
static const struct {
	const char *name, *in;
	int more;
	size_t want;
	int cut;
} hdr[] = {
	{ "LF: up to the empty line", "A: 1\nB: 2\n\nbody\n", 1, 10, 0 },
	{ "CRLF: up to the empty line", "A: 1\r\nB: 2\r\n\r\nbody", 1, 12, 0 },
	{ "no header section at all", "\nbody\n", 1, 0, 0 },
	{ "a header that ends with the file", "A: 1\nB: 2\n", 0, 10, 0 },
	{ "a header longer than what was read: cut at a line", "A: 1\nB: 22222", 1, 5, 1 },
	{ "one line longer than what was read: nothing", "A: 1111111111", 1, 0, 1 },
	{ "a CR alone is no empty line", "A: 1\n\rB: 2\n\n", 1, 11, 0 },
};

int
main(void)
{
	char out[64], st[16];
	struct buf b = BUF_INIT;
	struct dsn_rcpt r = { "bob@x.test", "5.7.1",
	    "550 5.7.1 refused\r\nInjected: yes", NULL };
	struct dsn d = { "gw.test", "alice@y.test", "Q1", "Refused: spam.", 0,
	    "Subject: hi\n", 12, &r, 1, 0 };
	size_t i;
	int rc;

	for (i = 0; i < sizeof reason / sizeof reason[0]; i++) {
		rc = dsn_stage_reason(reason[i].log, strlen(reason[i].log),
		    reason[i].verdict, out, sizeof out);
		tap_is(rc == 0 ? out : NULL, reason[i].want, reason[i].name);
	}
	rc = dsn_stage_reason("a: qid=Q verdict=reject reason=0123456789abcdef\n",
	    47, "reject", out, 8);
	tap_is(rc == 0 ? out : NULL, "0123456", "a long reason is cut to fit");
	for (i = 0; i < sizeof status / sizeof status[0]; i++) {
		dsn_status_of(status[i].reply, st, sizeof st);
		tap_is(st, status[i].want, status[i].reply);
	}
	for (i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
		int cut = -1;
		size_t got = dsn_header_len(hdr[i].in, strlen(hdr[i].in), hdr[i].more, &cut);
		tap_is_long((long)got, (long)hdr[i].want, hdr[i].name);
		tap_is_long(cut, hdr[i].cut, "... cut flag");
	}
	tap_ok(dsn_format(&d, 0, &b) == 0 && buf_addc(&b, 0) == 0, "a bounce is formatted");
	tap_ok(b.p && strstr(b.p, "\nRefused: spam.\n") != NULL, "... with the reason sentence");
	tap_ok(b.p && strstr(b.p, "\nDiagnostic-Code: smtp; 550 5.7.1 refused  "
	    "Injected: yes\n") != NULL, "... the diagnostic on one line: no header injected");
	tap_ok(b.p && strstr(b.p, "\nInjected:") == NULL, "... nowhere");
	tap_ok(b.p && strstr(b.p, "Content-Type: text/rfc822-headers\n\nSubject: hi\n") != NULL,
	    "... the original headers, never the body");
	buf_free(&b);
	d.hdr_cut = 1;
	tap_ok(dsn_format(&d, 0, &b) == 0 && buf_addc(&b, 0) == 0 && b.p &&
	    strstr(b.p, "header section was longer than 65536 bytes") != NULL,
	    "a cut header section is said so in the human part");
	buf_free(&b);
	return tap_done();
}
