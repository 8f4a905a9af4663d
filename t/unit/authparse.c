/* Unit tests for the parsers of lib/sender that read strangers' records:
 * taglist.c (DKIM and DMARC tag lists), the SPF record syntax of spf.c,
 * dmarc_parse and dkim_parse_sig.  Hostile rows: duplicates, bad names,
 * CIDR lengths out of range, macros malformed, expired signatures. */
#include <stdio.h>
#include <string.h>

#include "dkim.h"
#include "dmarc.h"
#include "spf.h"
#include "taglist.h"
#include "tap.h"

static const struct { const char *in; int want; } tags[] = {
	{ "v=1; a=rsa-sha256", 2 },
	{ " v = 1 ;a=b;", 2 },                  /* white space, trailing ';' */
	{ "v=1;;a=b", -1 },                     /* an empty spec inside */
	{ "v=1; v=2", -1 },                     /* a tag twice */
	{ "1v=x", -1 },                         /* a name must start with a letter */
	{ "v", -1 },                            /* no '=' */
	{ "", 0 },
	{ "p=", 1 },                            /* an empty value is a value */
};

static const struct { const char *in; int want; } spf[] = {
	{ "v=spf1 -all", 0 },
	{ "v=spf1 a mx/24 a:x.example.com//64 ip4:192.0.2.0/24 ~all", 0 },
	{ "v=spf1 ip4:192.0.2.0/33", -1 },      /* CIDR over 32 */
	{ "v=spf1 ip4:192.0.2.0/024", -1 },     /* a leading zero */
	{ "v=spf1 ip6:2001:db8::/129", -1 },
	{ "v=spf1 a:museum", -1 },              /* no "." toplabel */
	{ "v=spf1 a:foo.123", -1 },             /* an all-digit toplabel */
	{ "v=spf1 exists:%{ir}.%{v}._spf.%{d2}", 0 },
	{ "v=spf1 exists:%{x}.example.com", -1 }, /* no such macro */
	{ "v=spf1 exists:%{c}.example.com", -1 }, /* c only in exp text */
	{ "v=spf1 redirect=a.example.com redirect=b.example.com", -1 },
	{ "v=spf1 foo=%{l} -all", 0 },          /* unknown modifier: ignored */
	{ "v=spf1 -redirect=a.example.com", -1 },
	{ "v=spf1 include", -1 },
	{ "v=spf10 -all", -1 },
	{ "v=spf1 mx:%{d}", 0 },                /* ends in a macro */
};

int
main(void)
{
	struct tag t[TAGLIST_MAX];
	struct dmarc_record r;
	struct dkim_sig s;
	char name[160];
	size_t i;

	for (i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		snprintf(name, sizeof name, "taglist \"%s\"", tags[i].in);
		tap_is_long(taglist_parse(tags[i].in, strlen(tags[i].in), t,
		    TAGLIST_MAX), tags[i].want, name);
	}
	for (i = 0; i < sizeof spf / sizeof spf[0]; i++) {
		snprintf(name, sizeof name, "spf \"%s\"", spf[i].in);
		tap_is_long(spf_record_syntax(spf[i].in, strlen(spf[i].in)),
		    spf[i].want, name);
	}

	tap_is_long(dmarc_parse("v=DMARC1; p=reject; sp=none; pct=20", 35, &r),
	    0, "dmarc: a record");
	tap_ok(r.p == DMARC_P_REJECT && r.sp == DMARC_P_NONE && r.pct == 20,
	    "dmarc: p, sp, pct");
	tap_is_long(dmarc_parse("p=reject; v=DMARC1", 18, &r), -1,
	    "dmarc: v= must come first");
	dmarc_parse("v=DMARC1; p=bogus; pct=101", 26, &r);
	tap_ok(r.p == DMARC_P_NONE && r.pct == 100, "dmarc: bad values take "
	    "their defaults");

	memset(&s, 0, sizeof s);
	tap_is_long(dkim_parse_sig("v=1; a=rsa-sha256; d=example.com; s=sel; "
	    "h=from:to; bh=AAAA; b=AAAA", 67, &s, 1700000000LL), 0,
	    "dkim: a minimal signature");
	tap_ok(s.nh == 2 && strcmp(s.d, "example.com") == 0 && !s.hrelaxed,
	    "dkim: h=, d=, c= defaults to simple");
	memset(&s, 0, sizeof s);
	tap_is_long(dkim_parse_sig("v=1; a=rsa-sha256; d=example.com; s=sel; "
	    "h=to; bh=AAAA; b=AAAA", 62, &s, 1700000000LL), -1,
	    "dkim: From not signed is refused");
	memset(&s, 0, sizeof s);
	tap_is_long(dkim_parse_sig("v=1; a=rsa-sha256; d=example.com; s=sel; "
	    "h=from; bh=AAAA; b=AAAA; x=1600000000", 78, &s, 1700000000LL), -1,
	    "dkim: an expired signature");
	memset(&s, 0, sizeof s);
	tap_is_long(dkim_parse_sig("v=1; a=rsa-sha256; d=example.com; s=sel; "
	    "h=from; bh=AAAA; b=AAAA; i=@evil.example", 81, &s, 1700000000LL), -1,
	    "dkim: i= outside d=");
	memset(&s, 0, sizeof s);
	s.kind = DKIM_AS;
	tap_is_long(dkim_parse_sig("a=rsa-sha256; d=example.org; s=sel; i=2; "
	    "cv=pass; b=AAAA", 56, &s, 1700000000LL), 0, "arc: a seal");
	tap_ok(s.inst == 2 && s.cv == 1, "arc: i= and cv=");
	return tap_done();
}
