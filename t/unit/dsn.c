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

int
main(void)
{
	char out[64], st[16];
	struct buf b = BUF_INIT;
	struct dsn_rcpt r = { "bob@x.test", "5.7.1",
	    "550 5.7.1 refused\r\nInjected: yes", NULL };
	struct dsn d = { "gw.test", "alice@y.test", "Q1", "Refused: spam.", 0,
	    "Subject: hi\n", 12, &r, 1 };
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
	tap_ok(dsn_format(&d, 0, &b) == 0 && buf_addc(&b, 0) == 0, "a bounce is formatted");
	tap_ok(b.p && strstr(b.p, "\nRefused: spam.\n") != NULL, "... with the reason sentence");
	tap_ok(b.p && strstr(b.p, "\nDiagnostic-Code: smtp; 550 5.7.1 refused  "
	    "Injected: yes\n") != NULL, "... the diagnostic on one line: no header injected");
	tap_ok(b.p && strstr(b.p, "\nInjected:") == NULL, "... nowhere");
	tap_ok(b.p && strstr(b.p, "Content-Type: text/rfc822-headers\n\nSubject: hi\n") != NULL,
	    "... the original headers, never the body");
	buf_free(&b);
	return tap_done();
}
