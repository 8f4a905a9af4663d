/* Unit tests for lib/delivery/relay.c: the order of MX hosts (preference, then
 * equal preferences shuffled by an injected random source) and what of
 * a message needs SMTPUTF8. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "tap.h"

static uint32_t seq[64];
static size_t nseq, iseq;

/* The injected source: the next scripted value, kept below upper. */
static uint32_t
scripted(uint32_t upper)
{
	uint32_t v = seq[iseq++ % (nseq ? nseq : 1)];

	return v % upper;
}

/* The hosts of rr as one string "a b c". */
static void
names(const struct dns_rr *rr, size_t n, char *out, size_t on)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o < on; i++)
		o += (size_t)snprintf(out + o, on - o, "%s%s", i ? " " : "", rr[i].text);
}

static const struct {
	const char *name;
	const char *in;         /* "pref:host ..." */
	uint32_t    rnd[8];
	size_t      nrnd;
	const char *want;
} order[] = {
	{ "sorted by preference", "20:c 10:a 30:d 15:b", { 0 }, 1, "a b c d" },
	{ "no randomness needed for distinct preferences", "5:x 1:y", { 0 }, 0, "y x" },
	{ "equal pair, source says keep", "10:a 10:b", { 1 }, 1, "a b" },
	{ "equal pair, source says swap", "10:a 10:b", { 0 }, 1, "b a" },
	{ "only equal runs move: the lower preference stays first",
	    "20:c 10:a 20:d", { 0 }, 1, "a d c" },
	{ "three equal, rotated", "5:a 5:b 5:c", { 0, 0 }, 2, "b c a" },
	{ "a null MX sorts with its preference", "0: 10:a", { 0 }, 1, " a" },
};

static size_t
parse(const char *in, struct dns_rr *rr, char buf[][32])
{
	char tmp[256], *p, *save;
	size_t n = 0;

	snprintf(tmp, sizeof tmp, "%s", in);
	for (p = strtok_r(tmp, " ", &save); p && n < 16; p = strtok_r(NULL, " ", &save)) {
		char *c = strchr(p, ':');
		rr[n].pref = (unsigned)strtoul(p, NULL, 10);
		snprintf(buf[n], 32, "%s", c + 1);
		rr[n].text = buf[n];
		rr[n].len = strlen(buf[n]);
		n++;
	}
	return n;
}

static const struct {
	const char *name, *sender, *msg;
	unsigned want;
} need[] = {
	{ "ASCII everything", "a@b.test", "Subject: hi\n\nbody\n", 0 },
	{ "8-bit body only: 8BITMIME is enough", "a@b.test",
	    "Subject: hi\n\nb\xc3\xa9\n", 0 },
	{ "UTF-8 subject", "a@b.test", "Subject: caf\xc3\xa9\n\nbody\n",
	    RELAY_UTF8_HEADER },
	{ "UTF-8 header after CRLF lines", "a@b.test",
	    "X: a\r\nSubject: \xc3\xa9\r\n\r\nbody\r\n", RELAY_UTF8_HEADER },
	{ "CRLF blank line ends the header", "a@b.test",
	    "X: a\r\n\r\n\xc3\xa9\r\n", 0 },
	{ "non-ASCII sender", "j\xc3\xb6rg@b.test", "Subject: x\n\nb\n",
	    RELAY_UTF8_SENDER },
	{ "both", "j\xc3\xb6rg@b.test", "S: \xc3\xa9\n\nb\n",
	    RELAY_UTF8_SENDER | RELAY_UTF8_HEADER },
	{ "no header section at all", "a@b.test", "\n\xc3\xa9", 0 },
};

int
main(void)
{
	struct dns_rr rr[16];
	char buf[16][32], got[256];
	size_t i, k, n, first[2] = { 0, 0 };

	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		n = parse(order[i].in, rr, buf);
		memcpy(seq, order[i].rnd, sizeof order[i].rnd);
		nseq = order[i].nrnd;
		iseq = 0;
		relay_mx_order(rr, n, scripted);
		names(rr, n, got, sizeof got);
		tap_is(got, order[i].want, order[i].name);
	}
	/* the system's source: over 200 orderings both hosts come first */
	for (k = 0; k < 200; k++) {
		n = parse("10:a 10:b 20:c", rr, buf);
		relay_mx_order(rr, n, NULL);
		first[rr[0].text[0] == 'b']++;
		if (strcmp(rr[2].text, "c") != 0)
			break;
	}
	tap_ok(k == 200, "the system's source never moves the lower preference");
	tap_ok(first[0] > 20 && first[1] > 20, "the system's source puts each "
	    "equal host first often");
	for (i = 0; i < sizeof need / sizeof need[0]; i++)
		tap_is_long((long)relay_utf8_need(need[i].sender, need[i].msg,
		    strlen(need[i].msg)), (long)need[i].want, need[i].name);
	tap_ok(relay_ascii("bob@x.test"), "relay_ascii: ASCII");
	tap_ok(!relay_ascii("b\xc3\xb6""b@x.test"), "relay_ascii: UTF-8");
	return tap_done();
}
