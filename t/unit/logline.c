/* Unit tests for lib/report/logline.c and tally.c: lines as the gateway,
 * a journal and strangers write them; times; the keys reasons become. */
#include <string.h>

#include "logline.h"
#include "render.h"
#include "tally.h"
#include "tap.h"

static const struct {
	const char *name, *line;
	int rc;
	long t;
	const char *prog, *pid, *key, *val;
} rows[] = {
	{ "the supervisor's stamp", "2026-12-02T15:29:24Z portcullis: qid=A delivery=done bounced=0",
	  0, 1796225364L, "portcullis", "", "delivery", "done" },
	{ "a worker's pid", "2026-12-02T15:29:24Z smtpd-accept[29417]: qid=A ip=127.0.0.2 "
	  "from=<a@b.test> rcpts=1 bytes=138 verdict=accepted reason=no stage objected",
	  0, 1796225364L, "smtpd-accept", "29417", "reason", "no stage objected" },
	{ "reason takes the rest, '=' and all", "spam-score[1]: qid=A verdict=flag "
	  "reason=score=7.0 required=5.0 tests=A,B", 0, -1, "spam-score", "1", "reason",
	  "score=7.0 required=5.0 tests=A,B" },
	{ "a quoted sender with spaces", "smtpd-accept[1]: qid=A ip=1.2.3.4 "
	  "from=<\"a b\"@c.test> rcpts=1", 0, -1, "smtpd-accept", "1", "from",
	  "<\"a b\"@c.test>" },
	{ "a journal: host, unit, program", "2026-12-02T15:29:24+0000 mx1 portcullis[77]: "
	  "relay-out: qid=A rcpt=b@c.test result=r reply=250 ok", 0, 1796225364L,
	  "relay-out", "", "result", "r" },
	{ "an offset", "2026-12-02T16:29:24+01:00 portcullis: x=1", 0, 1796225364L,
	  "portcullis", "", "x", "1" },
	{ "fatal: is not a program", "portcullis: fatal: unable to read control/x",
	  0, -1, "portcullis", "", NULL, NULL },
	{ "the quarantine after a reason", "portcullis: qid=A verdict=quarantine "
	  "reason=stage 4 said so quarantine=Q1", 0, -1, "portcullis", "", "quarantine", "Q1" },
	{ "not a log line", "hello world", -1, -1, "", "", NULL, NULL },
	{ "a bad date: a line without a time", "2026-13-02T15:29:24Z portcullis: x=1",
	  0, -1, "portcullis", "", "x", "1" },
	{ "empty", "", -1, -1, "", "", NULL, NULL },
};

static const struct { const char *in, *want; } norm[] = {
	{ "score=12.5 required=5.0 tests=GTUBE,X", "score=#.# required=#.#" },
	{ "1 parts", "# parts" },
	{ "", "-" },
	{ "long-line", "long-line" },
};

int
main(void)
{
	static struct logline l;
	struct tally t;
	struct buf b = BUF_INIT;
	size_t i;
	char out[64];

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int rc = logline_parse(rows[i].line, strlen(rows[i].line), &l);
		tap_is_long(rc, rows[i].rc, rows[i].name);
		if (rc == -1)
			continue;
		tap_is_long((long)l.t, rows[i].t, rows[i].name);
		tap_is(l.prog, rows[i].prog, rows[i].name);
		tap_is(l.pid, rows[i].pid, rows[i].name);
		if (rows[i].key)
			tap_is(logline_get(&l, rows[i].key), rows[i].val, rows[i].name);
	}
	for (i = 0; i < sizeof norm / sizeof norm[0]; i++) {
		tally_norm(norm[i].in, out, sizeof out);
		tap_is(out, norm[i].want, norm[i].in);
	}
	tally_norm("abcdefghij", out, 5);
	tap_is(out, "abcd", "norm: cut to its buffer");

	/* a session: its messages counted in its direction at its end */
	tally_init(&t);
	{
		const char *log[] = {
			"2026-12-02T15:00:00Z smtpd-accept[5]: qid=A ip=10.0.0.1 from=<a@x> "
			"rcpts=1 bytes=100 verdict=accepted reason=-",
			"2026-12-02T15:00:01Z smtpd-accept[5]: qid=- ip=10.0.0.1 from=<a@x> "
			"rcpts=1 bytes=9 verdict=refused reason=size",
			"2026-12-02T15:00:02Z smtpd-accept[5]: ip=10.0.0.1 host=- helo=x dir=out "
			"tls=no accepted=1 refused=1 errors=0 end=quit",
			"2026-12-02T15:00:03Z relay-out: qid=A rcpt=b@y result=r reply=250 ok",
			"2026-12-02T15:00:09Z portcullis: qid=A delivery=done bounced=0",
			"2026-12-02T16:00:00Z smtpd-accept[6]: qid=B ip=10.0.0.2 from=<c@x> "
			"rcpts=1 bytes=5 verdict=accepted reason=-",
			/* delivered before the door's line was written */
			"2026-12-02T16:00:05Z relay-out: qid=C rcpt=d@y result=r reply=250 ok",
			"2026-12-02T16:00:05Z portcullis: qid=C delivery=done bounced=0",
			"2026-12-02T16:00:03Z smtpd-accept[7]: qid=C ip=10.0.0.3 from=<e@x> "
			"rcpts=1 bytes=5 verdict=accepted reason=-",
			"2026-12-02T16:00:04Z smtpd-accept[7]: ip=10.0.0.3 host=- helo=x dir=in "
			"tls=no accepted=1 refused=0 errors=0 end=quit",
		};
		for (i = 0; i < sizeof log / sizeof log[0]; i++)
			if (logline_parse(log[i], strlen(log[i]), &l) == 0)
				tally_line(&t, &l);
		tally_finish(&t);
		tap_is_long((long)t.recv[TALLY_OUT], 1, "tally: out, by its session");
		tap_is_long((long)t.refused[TALLY_OUT], 1, "tally: the refusal too");
		tap_is_long((long)t.recv[TALLY_OTHER], 1, "tally: no session end: other");
		tap_is_long((long)t.deliv[TALLY_OUT], 1, "tally: delivered, out");
		tap_is_long((long)t.hour[15][TALLY_OUT], 1, "tally: at 15:00");
		tap_is_long((long)t.deliv[TALLY_IN], 1, "tally: delivered before its door line: in");
		tap_is_long((long)t.ndelay, 2, "tally: two delays");
		tap_is_long(t.ndelay ? t.delay[0] : -1, 2, "tally: of 2 s (out of order)");
		tap_is_long(t.ndelay > 1 ? t.delay[1] : -1, 9, "tally: and 9 s");
		render_html(&b, &t, 10);
		tap_ok(buf_cstr(&b) && strstr(b.p, "<td id=\"received-out\">1</td>") != NULL,
		    "html: the cell of messages out");
		buf_reset(&b);
		render_html_escape(&b, "<a href='x'>&\"");
		tap_is(buf_cstr(&b), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;", "html: escaped");
		buf_free(&b);
		tally_free(&t);
	}
	return tap_done();
}
