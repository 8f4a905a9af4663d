/* Unit tests for lib/reputation/dnsbl.c, lib/reputation/dnslist.c and lib/reputation/uridom.c: the
 * postscreen site syntax and its patterns, the DNSBL form of addresses,
 * own lists in rbldnsd's formats, link domains in hostile text, and the
 * verdict levels.  No DNS here: t/dnsbl-check.t runs the real servers. */
#include <string.h>

#include "dnsbl.h"
#include "dnslist.h"
#include "show.h"
#include "tap.h"
#include "uridom.h"

static const struct {
	const char *line;
	int         kind;
	const char *want;   /* "zone w what filtered", or NULL: refused */
} sites[] = {
	{ "zen.spamhaus.org=127.0.0.[2..11]*3", DNSBL_IP, "zen.spamhaus.org 3 15 1" },
	{ "zen.spamhaus.org", DNSBL_IP, "zen.spamhaus.org 1 15 0" },
	{ "list.dnswl.org=127.0.[0..255].[1..3]*-2", DNSBL_IP, "list.dnswl.org -2 15 1" },
	{ "bl.test*0.5", DNSBL_IP, "bl.test 0.5 15 0" },
	{ "bl.test=127.0.0.2", DNSBL_IP, "bl.test 1 15 1" },
	{ "bl.test=127.0.0.[2;4;6..7]*2", DNSBL_IP, "bl.test 2 15 1" },
	{ "file:blocked*5", DNSBL_IP, "file:blocked 5 15 0" },
	{ "file:/etc/x/blocked=127.0.0.3*5", DNSBL_IP, "file:/etc/x/blocked 5 15 1" },
	{ "dbl.test*2 sender helo", DNSBL_NAME, "dbl.test 2 5 0" },
	{ "dbl.test rdns", DNSBL_NAME, "dbl.test 1 8 0" },
	{ "dbl.test*2 sender", DNSBL_IP, NULL },       /* words: domain lists only */
	{ "dbl.test*2 bogus", DNSBL_NAME, NULL },
	{ "bl.test*", DNSBL_IP, NULL },
	{ "bl.test*x", DNSBL_IP, NULL },
	{ "bl.test*1e3", DNSBL_IP, NULL },
	{ "bl.test*5000", DNSBL_IP, NULL },
	{ "bl.test=127.0.0", DNSBL_IP, NULL },
	{ "bl.test=127.0.0.0.1", DNSBL_IP, NULL },
	{ "bl.test=127.0.0.[2..256]", DNSBL_IP, NULL },
	{ "bl.test=127.0.0.[5..2]", DNSBL_IP, NULL },
	{ "bl.test=127.0.0.[2..3", DNSBL_IP, NULL },
	{ "bl.test=127.0.0.[[2]]", DNSBL_IP, NULL },
	{ "bl.test=127.0.0.2;3", DNSBL_IP, NULL },
	{ "bl..test", DNSBL_IP, NULL },
	{ ".bl.test", DNSBL_IP, NULL },
	{ "bl.test.", DNSBL_IP, NULL },
	{ "bl\001.test", DNSBL_IP, NULL },
	{ "file:", DNSBL_IP, NULL },
	{ "=127.0.0.2", DNSBL_IP, NULL },
};

static void
test_sites(void)
{
	size_t i;

	for (i = 0; i < sizeof sites / sizeof sites[0]; i++) {
		struct dnsbl_site s;
		char got[400], err[200], name[200];
		int r = dnsbl_site_parse(sites[i].line, sites[i].kind, &s, err,
		    sizeof err);
		snprintf(name, sizeof name, "site '%s'", sites[i].line);
		if (r == 0)
			snprintf(got, sizeof got, "%s %g %u %d", s.zone, s.weight,
			    s.what, s.filtered);
		tap_is(r == 0 ? got : NULL, sites[i].want, name);
	}
}

static const struct {
	const char   *line;
	unsigned char a[4];
	int           want;
} filters[] = {
	{ "z=127.0.0.[2..11]", { 127, 0, 0, 2 }, 1 },
	{ "z=127.0.0.[2..11]", { 127, 0, 0, 11 }, 1 },
	{ "z=127.0.0.[2..11]", { 127, 0, 0, 12 }, 0 },
	{ "z=127.0.0.[2..11]", { 127, 0, 0, 1 }, 0 },
	{ "z=127.0.0.[2..11]", { 127, 0, 1, 2 }, 0 },
	{ "z=127.0.[0..255].[1..3]", { 127, 0, 200, 3 }, 1 },
	{ "z=127.0.0.[2;4]", { 127, 0, 0, 3 }, 0 },
	{ "z=127.0.0.[2;4]", { 127, 0, 0, 4 }, 1 },
	{ "z", { 127, 0, 0, 2 }, 1 },                /* no pattern: 127/8 */
	{ "z", { 127, 1, 2, 3 }, 1 },
	{ "z", { 10, 0, 0, 2 }, 0 },                 /* a hijacked NXDOMAIN */
	{ "z", { 127, 255, 255, 254 }, 0 },          /* an error code */
	{ "z=127.255.255.254", { 127, 255, 255, 254 }, 1 },
};

static void
test_filters(void)
{
	size_t i;

	for (i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		struct dnsbl_site s;
		char err[200], name[200];
		const unsigned char *a = filters[i].a;
		snprintf(name, sizeof name, "'%s' against %u.%u.%u.%u", filters[i].line,
		    a[0], a[1], a[2], a[3]);
		tap_is_long(dnsbl_site_parse(filters[i].line, DNSBL_IP, &s, err,
		    sizeof err) == 0 && dnsbl_filter_match(&s, a), filters[i].want,
		    name);
	}
}

static const struct {
	const char *in, *want;
} reverses[] = {
	{ "192.0.2.66", "66.2.0.192" },
	{ "::ffff:10.1.2.3", "3.2.1.10" },
	{ "2001:db8::1", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2" },
	{ "2001:db8:bad::25", "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.a.b.0.8.b.d.0.1.0.0.2" },
};

static const struct {
	const char *in;
	double      want;   /* -9999: refused */
} numbers[] = {
	{ "3", 3 }, { "-2", -2 }, { "0.5", 0.5 }, { "+1.25", 1.25 },
	{ "1000", 1000 }, { "1001", -9999 }, { "", -9999 }, { "-", -9999 },
	{ "1.", -9999 }, { ".5", -9999 }, { "1e3", -9999 }, { "0x10", -9999 },
	{ "3 ", -9999 }, { "99999999999999", -9999 },
};

static void
test_small(void)
{
	size_t i;

	for (i = 0; i < sizeof reverses / sizeof reverses[0]; i++) {
		struct ip_addr ip;
		char got[100] = "", name[100];
		snprintf(name, sizeof name, "reverse %s", reverses[i].in);
		if (ip_parse(reverses[i].in, strlen(reverses[i].in), &ip) == 0)
			(void)dnsbl_reverse(&ip, got, sizeof got);
		tap_is(got, reverses[i].want, name);
	}
	for (i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		double v = -9999;
		char name[100];
		snprintf(name, sizeof name, "number '%s'", numbers[i].in);
		(void)dnsbl_number(numbers[i].in, &v);
		tap_ok(v == numbers[i].want, name);
	}
	{
		char *pm[] = { "postmaster@ourco.test", "Abuse@ourco.test" };
		char *mixed[] = { "postmaster@ourco.test", "alice@ourco.test" };
		char *bare[] = { "POSTMASTER" };
		char *look[] = { "postmaster2@ourco.test" };
		tap_ok(dnsbl_only_postmaster(pm, 2), "postmaster and abuse only");
		tap_ok(!dnsbl_only_postmaster(mixed, 2), "another recipient too");
		tap_ok(dnsbl_only_postmaster(bare, 1), "bare postmaster (RFC 5321)");
		tap_ok(!dnsbl_only_postmaster(look, 1), "postmaster2 is not postmaster");
		tap_ok(!dnsbl_only_postmaster(NULL, 0), "no recipients known");
	}
	{
		struct dnsbl d;
		memset(&d, 0, sizeof d);
		d.reject = 1, d.flag = 0.5, d.has_flag = 1;
		d.quarantine = 0.8, d.has_quarantine = 1;
		tap_is(verdict_name(dnsbl_level(&d, 0.1 + 0.2 + 0.2)), "flag",
		    "0.1+0.2+0.2 reaches 0.5 despite binary fractions");
		tap_is(verdict_name(dnsbl_level(&d, 0.49)), "pass", "below flag");
		tap_is(verdict_name(dnsbl_level(&d, 0.8)), "quarantine", "quarantine");
		tap_is(verdict_name(dnsbl_level(&d, 1)), "reject", "reject");
		tap_is(verdict_name(dnsbl_level(&d, -3)), "pass", "negative");
	}
}

static const char ip4set[] =
	"# comment\n"
	"$SOA 3600 ns.bl.test. admin.bl.test. 1 1 1 1 1\n"
	":127.0.0.2:default text $\n"
	"192.0.2.66\n"
	"198.51.100.0/24 :127.0.0.4:spam network\n"
	"!198.51.100.7\n"
	"10.1.2\n"
	"203.0.113.4-9 :3\n"
	"203.0.114.1-203.0.114.3 own text\n"
	"2001:db8:bad::/48 :5:six\r\n"
	"  \n";

static const struct {
	const char *ip, *want;   /* "a.b.c.d text", NULL: not listed */
} ipq[] = {
	{ "192.0.2.66", "127.0.0.2 default text $" },
	{ "192.0.2.67", NULL },
	{ "198.51.100.200", "127.0.0.4 spam network" },
	{ "198.51.100.7", NULL },
	{ "10.1.2.255", "127.0.0.2 default text $" },
	{ "10.1.3.0", NULL },
	{ "203.0.113.3", NULL },
	{ "203.0.113.4", "127.0.0.3 " },
	{ "203.0.113.9", "127.0.0.3 " },
	{ "203.0.113.10", NULL },
	{ "203.0.114.2", "127.0.0.2 own text" },
	{ "2001:db8:bad:1::1", "127.0.0.5 six" },
	{ "2001:db8:bae::1", NULL },
	{ "::ffff:192.0.2.66", "127.0.0.2 default text $" },
};

static const char dnset[] =
	":127.0.1.2:domain\n"
	"evil.test\n"
	".spam.test\n"
	"*.wild.test :127.0.1.3:wild\n"
	"!ok.spam.test\n"
	"Upper.TEST.\n";

static const struct {
	const char *name, *want;
} nameq[] = {
	{ "evil.test", "127.0.1.2 domain" },
	{ "EVIL.test.", "127.0.1.2 domain" },
	{ "www.evil.test", NULL },
	{ "spam.test", "127.0.1.2 domain" },
	{ "a.b.spam.test", "127.0.1.2 domain" },
	{ "ok.spam.test", NULL },
	{ "xspam.test", NULL },
	{ "wild.test", NULL },
	{ "x.wild.test", "127.0.1.3 wild" },
	{ "upper.test", "127.0.1.2 domain" },
	{ "", NULL },
};

static void
test_lists(void)
{
	struct dnslist l;
	char err[200], got[300], name[200];
	unsigned line;
	size_t i;

	tap_ok(dnslist_parse(&l, DNSLIST_IP, ip4set, sizeof ip4set - 1, &line, err,
	    sizeof err) == 0, "ip4set/ip6trie list parses");
	tap_is_long((long)l.n, 7, "seven entries");
	for (i = 0; i < sizeof ipq / sizeof ipq[0]; i++) {
		struct ip_addr ip;
		unsigned char a[4];
		const char *t;
		int hit = ip_parse(ipq[i].ip, strlen(ipq[i].ip), &ip) == 0 &&
		    dnslist_match_ip(&l, &ip, a, &t);
		snprintf(name, sizeof name, "list lookup %s", ipq[i].ip);
		if (hit)
			snprintf(got, sizeof got, "%u.%u.%u.%u %s", a[0], a[1], a[2],
			    a[3], t);
		tap_is(hit ? got : NULL, ipq[i].want, name);
	}
	dnslist_free(&l);
	tap_ok(dnslist_parse(&l, DNSLIST_NAME, dnset, sizeof dnset - 1, &line, err,
	    sizeof err) == 0, "dnset list parses");
	for (i = 0; i < sizeof nameq / sizeof nameq[0]; i++) {
		unsigned char a[4];
		const char *t;
		int hit = dnslist_match_name(&l, nameq[i].name, a, &t);
		snprintf(name, sizeof name, "list lookup '%s'", nameq[i].name);
		if (hit)
			snprintf(got, sizeof got, "%u.%u.%u.%u %s", a[0], a[1], a[2],
			    a[3], t);
		tap_is(hit ? got : NULL, nameq[i].want, name);
	}
	dnslist_free(&l);
	{
		static const struct {
			int kind;
			const char *text;
			unsigned line;
		} bad[] = {
			{ DNSLIST_IP, "192.0.2.1\n300.1.2.3\n", 2 },
			{ DNSLIST_IP, "1.2.3.4/33\n", 1 },
			{ DNSLIST_IP, "1.2.3.9-1.2.3.4\n", 1 },
			{ DNSLIST_IP, "1.2.3.4 :999:x\n", 1 },
			{ DNSLIST_IP, ":x\n", 1 },
			{ DNSLIST_IP, "evil.test\n", 1 },
			{ DNSLIST_NAME, "ok.test\nbad..test\n", 2 },
			{ DNSLIST_NAME, "a\x7f.test\n", 1 },
			{ DNSLIST_NAME, "x\x01y.test\n", 1 },
			{ DNSLIST_NAME, "ok.test\n\0.test\n", 2 },
		};
		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			size_t n = strlen(bad[i].text);
			if (i == sizeof bad / sizeof bad[0] - 1)
				n = 15;
			snprintf(name, sizeof name, "bad list %zu refused at line %u", i,
			    bad[i].line);
			tap_ok(dnslist_parse(&l, bad[i].kind, bad[i].text, n, &line, err,
			    sizeof err) == -1 && line == bad[i].line, name);
		}
	}
}

static const struct {
	const char *text, *want;   /* the domains found, space-separated */
} uris[] = {
	{ "see http://www.example.com/x and https://Mail.Example.COM.", "example.com" },
	{ "<a href=\"https://a.b.example.co.uk/p?q\">x</a>", "example.co.uk" },
	{ "http://bank.test@evil.example.org:8080/login", "example.org" },
	{ "www.shop.example.net, and ftp://files.example.com/", "example.net example.com" },
	{ "http://203.0.113.9/x http://[2001:db8::1]/", "203.0.113.9" },
	{ "http://ex%61mple%2ecom/", "example.com" },
	{ "http://co.uk/ http://localhost/ http://x/", "" },
	{ "nohttp://example.com wwwx.example.com awww.example.com", "" },
	{ "http://exa mple.com", "" },
	{ "http://\xc3\xa9xample.com/", "xn--xample-9ua.com" },
	{ "HTTP://EXAMPLE.ORG", "example.org" },
	{ "http://..example.com/ http://example..com/", "" },
	{ "http://a.b.c.d.e.f.blogspot.com/", "f.blogspot.com" },
	{ "http:", "" },
	{ "www.", "" },
};

static const struct {
	const char *text, *want;
} html[] = {
	{ "<a href=\"&#104;&#116;&#116;&#112;://evil.example.com/\">", "example.com" },
	{ "<a href=\"&#x68;ttps&colon;&sol;&sol;www&period;evil&period;example&period;org\">", "example.org" },
	{ "http://good.example.net/?a=1&amp;b=http://bad.example.com/", "example.net example.com" },
	{ "&#0; &#99999999999; &#; &#x; &unknown; http&#58//x.example.com", "example.com" },
	{ "no entities: https://plain.example.com", "example.com" },
};

static void
test_uris(void)
{
	size_t i, k;

	for (i = 0; i < sizeof uris / sizeof uris[0]; i++) {
		struct uridom u;
		struct buf got = BUF_INIT, name = BUF_INIT;
		uridom_init(&u, 10);
		(void)uridom_scan(&u, uris[i].text, strlen(uris[i].text));
		for (k = 0; k < u.n; k++)
			buf_printf(&got, "%s%s", k ? " " : "", u.v[k]);
		buf_adds(&name, "links in '");
		show_add(&name, uris[i].text, strlen(uris[i].text));
		buf_adds(&name, "'");
		tap_is(got.p ? got.p : "", uris[i].want, name.p);
		uridom_free(&u);
		buf_free(&got);
		buf_free(&name);
	}
	for (i = 0; i < sizeof html / sizeof html[0]; i++) {
		struct uridom u;
		struct buf got = BUF_INIT;
		char name[300];
		uridom_init(&u, 10);
		(void)uridom_scan_html(&u, html[i].text, strlen(html[i].text));
		for (k = 0; k < u.n; k++)
			buf_printf(&got, "%s%s", k ? " " : "", u.v[k]);
		snprintf(name, sizeof name, "HTML links in '%s'", html[i].text);
		tap_is(got.p ? got.p : "", html[i].want, name);
		uridom_free(&u);
		buf_free(&got);
	}
	{
		struct uridom u;
		uridom_init(&u, 2);
		static const char t[] = "http://a.test.com http://b.example.com "
		    "http://c.example.org http://a.test.com";
		(void)uridom_scan(&u, t, sizeof t - 1);
		tap_ok(u.n == 2 && u.dropped == 1, "urimax keeps two, counts the rest");
		uridom_free(&u);
	}
}

int
main(void)
{
	test_sites();
	test_filters();
	test_small();
	test_lists();
	test_uris();
	return tap_done();
}
