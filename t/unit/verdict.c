/* Unit tests for lib/core/verdict.c: names, exit codes in qmail's convention,
 * the worst verdict, and the one verdict line with its cleaned text. */
#include <string.h>

#include "verdict.h"
#include "tap.h"

int
main(void)
{
	static const struct {
		enum verdict v;
		const char  *name;
		int          exit;
	} rows[] = {
		{ VERDICT_PASS, "pass", 0 }, { VERDICT_FLAG, "flag", 0 },
		{ VERDICT_QUARANTINE, "quarantine", 99 }, { VERDICT_REJECT, "reject", 100 },
		{ VERDICT_TEMPFAIL, "tempfail", 111 },
	};
	struct verdict_result r;
	char line[VERDICT_TEXT_MAX + 64], big[1000];
	enum verdict v;
	size_t i;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		tap_is(verdict_name(rows[i].v), rows[i].name, rows[i].name);
		tap_is_long(verdict_exit(rows[i].v), rows[i].exit, rows[i].name);
		tap_ok(verdict_parse(rows[i].name, &v) == 0 && v == rows[i].v, rows[i].name);
	}
	tap_is(verdict_name((enum verdict)42), "tempfail", "unknown verdict named tempfail");
	tap_is_long(verdict_exit((enum verdict)42), 111, "unknown verdict exits 111");
	tap_is_long(verdict_parse("PASS", &v), -1, "parse is exact");
	tap_is_long(verdict_parse("", &v), -1, "parse empty");
	tap_is_long(verdict_worst(VERDICT_FLAG, VERDICT_REJECT), VERDICT_REJECT, "worst");
	tap_is_long(verdict_worst(VERDICT_TEMPFAIL, VERDICT_REJECT), VERDICT_TEMPFAIL,
	    "tempfail is worst");

	memset(&r, 0, sizeof r);
	verdict_set(&r, VERDICT_PASS, "2.0.0", "%s", "");
	tap_ok(verdict_format(line, sizeof line, "spam-score", &r) > 0, "format pass");
	tap_is(line, "spam-score pass 2.0.0 ok", "empty text is ok");
	verdict_raise(&r, VERDICT_FLAG, "2.0.0", "score=%d", 6);
	verdict_raise(&r, VERDICT_REJECT, "5.7.1", "score=%d", 14);
	verdict_raise(&r, VERDICT_REJECT, "5.7.2", "second reason");
	verdict_raise(&r, VERDICT_FLAG, "2.0.0", "better");
	verdict_format(line, sizeof line, "spam-score", &r);
	tap_is(line, "spam-score reject 5.7.1 score=14",
	    "raise: first reason of the worst verdict wins");
	verdict_set(&r, VERDICT_PASS, "", "%s", "back");
	verdict_format(line, sizeof line, "t", &r);
	tap_is(line, "t pass 2.0.0 back", "set overrides; empty status is 2.0.0");

	/* TEXT goes into SMTP replies: printable ASCII only, capped */
	verdict_set(&r, VERDICT_REJECT, "5.7.1", "bad\r\nRCPT TO:<x>\x01\xc3\xa9");
	tap_is(r.text, "bad??RCPT TO:<x>???", "text cleaned of CR, LF, control, 8-bit");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	verdict_set(&r, VERDICT_REJECT, "5.7.1", "%s", big);
	tap_is_long((long)strlen(r.text), VERDICT_TEXT_MAX, "text capped");
	verdict_set(&r, VERDICT_REJECT, "5.7.1.1234567890123456", "x");
	tap_is_long((long)strlen(r.status), (long)sizeof r.status - 1, "status capped");
	tap_is_long(verdict_format(line, 10, "spam-score", &r), -1, "format cut is -1");
	return tap_done();
}
