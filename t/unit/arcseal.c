/* Unit tests for arcseal.c: the arc= result read from our own
 * Authentication-Results (only ours, only above the first Received, not
 * from inside a comment or a quoted string) and the merged
 * ARC-Authentication-Results made from them. */
#include <stdio.h>
#include <string.h>

#include "arcseal.h"
#include "hdr.h"
#include "tap.h"

static const struct { const char *name, *hdr; int want; } stamps[] = {
	{ "no field", "From: a@x.test\n", -1 },
	{ "ours, pass", "Authentication-Results: mx.test; spf=none; arc=pass\n", ARC_PASS },
	{ "ours, folded, fail", "Authentication-Results: mx.test;\n\tarc = fail (seal)\n", ARC_FAIL },
	{ "ours, none", "Authentication-Results: mx.test; arc=none\n", ARC_NONE },
	{ "temperror is not sealed on", "Authentication-Results: mx.test; arc=temperror\n", -1 },
	{ "another authserv-id", "Authentication-Results: mx.other; arc=pass\n", -1 },
	{ "in a comment", "Authentication-Results: mx.test; spf=none (x; arc=pass)\n", -1 },
	{ "in a quoted string", "Authentication-Results: mx.test; spf=none smtp.mailfrom=\"a;arc=pass\"\n", -1 },
	{ "below Received: a stranger's", "Received: by mx.test\nAuthentication-Results: mx.test; arc=pass\n", -1 },
	{ "above Received: ours", "Authentication-Results: mx.test; arc=pass\nReceived: by mx.test\n", ARC_PASS },
	{ "the first of ours", "Authentication-Results: mx.test; dkim=none\nAuthentication-Results: mx.test; arc=fail\n", ARC_FAIL },
};

static const struct { const char *name, *hdr, *want; } aars[] = {
	{ "none of ours", "From: a@x.test\n",
	  "ARC-Authentication-Results: i=2; mx.test; arc=pass\n" },
	{ "one, arc= added", "Authentication-Results: mx.test; spf=pass smtp.mailfrom=x.test\n",
	  "ARC-Authentication-Results: i=2; mx.test;\n\tspf=pass smtp.mailfrom=x.test; arc=pass\n" },
	{ "merged, none dropped, trailing space cut",
	  "Authentication-Results: mx.test; arc=fail  \nAuthentication-Results: mx.test; none\n"
	  "Authentication-Results: mx.other; dkim=pass\nAuthentication-Results: mx.test; dkim=pass (a;b)\n",
	  "ARC-Authentication-Results: i=2; mx.test;\n\tarc=fail;\n\tdkim=pass (a;b)\n" },
};

static int
parse(const char *text, struct hdr *h)
{
	memset(h, 0, sizeof *h);
	return hdr_parse(h, text, 0, strlen(text), NULL);
}

int
main(void)
{
	struct buf b = BUF_INIT;
	struct hdr h;
	size_t i;

	for (i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
		if (parse(stamps[i].hdr, &h) == -1) {
			tap_ok(0, stamps[i].name);
			continue;
		}
		tap_is_long(arcseal_stamp(&h, "mx.test"), stamps[i].want,
		    stamps[i].name);
		hdr_free(&h);
	}
	for (i = 0; i < sizeof aars / sizeof aars[0]; i++) {
		buf_reset(&b);
		if (parse(aars[i].hdr, &h) == -1 ||
		    arcseal_aar(&h, "mx.test", 2, ARC_PASS, "\n", &b) == -1 ||
		    buf_addc(&b, '\0') == -1) {
			tap_ok(0, aars[i].name);
			continue;
		}
		tap_is(b.p, aars[i].want, aars[i].name);
		hdr_free(&h);
	}
	buf_free(&b);
	return tap_done();
}
