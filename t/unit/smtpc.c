/* Unit tests for lib/delivery/smtpc.c: the reply parser, the EHLO keywords, and
 * what DATA puts on the wire (CRLF, dot-stuffing, the end). */
#include <string.h>

#include "smtpc.h"
#include "tap.h"

static const struct {
	const char *name, *lines;   /* reply lines separated by '|' */
	int want_st, code;          /* last feed result; the code */
	unsigned ext;
	const char *text;
} replies[] = {
	{ "one line", "250 ok", 1, 250, 0, "ok" },
	{ "bare code", "250", 1, 250, 0, "" },
	{ "multi-line EHLO", "250-mx.test|250-PIPELINING|250-SIZE 1000|250 STARTTLS",
	  1, 250, SMTPC_EXT_PIPELINING | SMTPC_EXT_SIZE | SMTPC_EXT_STARTTLS,
	  "mx.test / PIPELINING / SIZE 1000 / STARTTLS" },
	{ "keywords any case", "250-x|250 8bitmime", 1, 250, SMTPC_EXT_8BITMIME, "x / 8bitmime" },
	{ "first line's keyword is the greeting, not an extension", "250 STARTTLS",
	  1, 250, 0, "STARTTLS" },
	{ "continuation pending", "250-a", 0, 250, 0, "a" },
	{ "code changes mid-reply", "250-a|251 b", -1, 250, 0, "a" },
	{ "not a code", "abc", -1, 0, 0, "" },
	{ "code out of range", "650 x", -1, 0, 0, "" },
	{ "junk after code", "250x", -1, 0, 0, "" },
	{ "control bytes cleaned", "550 a\tb\x01", 1, 550, 0, "a?b?" },
	{ "SIZE prefix is not SIZE", "250-x|250 SIZEX 5", 1, 250, 0, "x / SIZEX 5" },
};

static const struct {
	const char *name, *in, *want;
} stuff[] = {
	{ "LF becomes CRLF", "a\nb\n", "a\r\nb\r\n.\r\n" },
	{ "CRLF kept", "a\r\nb\r\n", "a\r\nb\r\n.\r\n" },
	{ "bare CR becomes CRLF", "a\rb\n", "a\r\nb\r\n.\r\n" },
	{ "leading dot doubled", ".a\n..\n", "..a\r\n...\r\n.\r\n" },
	{ "dot after bare LF doubled", "x\n.\n", "x\r\n..\r\n.\r\n" },
	{ "last line finished", "a", "a\r\n.\r\n" },
	{ "empty message", "", ".\r\n" },
	{ "dot not at line start kept", "a.b\n", "a.b\r\n.\r\n" },
};

int
main(void)
{
	size_t i;
	char name[256];

	for (i = 0; i < sizeof replies / sizeof replies[0]; i++) {
		struct smtpc_reply r;
		const char *p = replies[i].lines;
		int st = 0;

		smtpc_reply_init(&r);
		for (;;) {
			const char *bar = strchr(p, '|');
			size_t n = bar ? (size_t)(bar - p) : strlen(p);
			st = smtpc_reply_feed(&r, p, n);
			if (!bar || st != 0)
				break;
			p = bar + 1;
		}
		snprintf(name, sizeof name, "%s: result", replies[i].name);
		tap_is_long(st, replies[i].want_st, name);
		if (st == -1 && replies[i].code == 0)
			continue;
		snprintf(name, sizeof name, "%s: code", replies[i].name);
		tap_is_long(r.code, replies[i].code, name);
		snprintf(name, sizeof name, "%s: extensions", replies[i].name);
		tap_is_long((long)r.ext, (long)replies[i].ext, name);
		snprintf(name, sizeof name, "%s: text", replies[i].name);
		tap_is(r.text, replies[i].text, name);
	}
	{
		struct smtpc_reply r;
		smtpc_reply_init(&r);
		smtpc_reply_feed(&r, "250-x", 5);
		smtpc_reply_feed(&r, "250 SIZE 52428800", 17);
		tap_is_long((long)r.size, 52428800L, "SIZE value parsed");
	}
	for (i = 0; i < sizeof stuff / sizeof stuff[0]; i++) {
		struct buf b = BUF_INIT;
		smtpc_stuff(stuff[i].in, strlen(stuff[i].in), &b);
		tap_is(b.p ? b.p : "", stuff[i].want, stuff[i].name);
		buf_free(&b);
	}
	return tap_done();
}
