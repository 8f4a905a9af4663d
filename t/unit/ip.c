/* Unit tests for lib/core/ip.c: addresses and CIDR ranges from control files,
 * the "internal" ranges, and addresses found in real Received text. */
#include <arpa/inet.h>
#include <string.h>

#include "ip.h"
#include "show.h"
#include "tap.h"

/* An address back as text ("-" for none). */
static void
fmt(const struct ip_addr *ip, char *out, size_t n)
{
	if (inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->a, out,
	    (socklen_t)n) == NULL)
		snprintf(out, n, "-");
}

static const struct {
	const char *in;
	const char *want;   /* NULL: refused */
} parses[] = {
	{ "10.1.2.3", "10.1.2.3" },
	{ "0.0.0.0", "0.0.0.0" },
	{ "255.255.255.255", "255.255.255.255" },
	{ "2001:db8::1", "2001:db8::1" },
	{ "IPv6:2001:db8::1", "2001:db8::1" },
	{ "ipv6:::1", "::1" },
	{ "::ffff:10.1.2.3", "10.1.2.3" },       /* v4-mapped is v4 */
	{ "::FFFF:192.168.1.1", "192.168.1.1" },
	{ "256.1.2.3", NULL },
	{ "1.2.3", NULL },
	{ "1.2.3.4.5", NULL },
	{ "01.2.3.4", NULL },                     /* no octal guessing */
	{ " 1.2.3.4", NULL },
	{ "1.2.3.4 ", NULL },
	{ "", NULL },
	{ "IPv6:", NULL },
	{ "IPv6:1.2.3.4", "1.2.3.4" },
	{ "fe80::1%eth0", NULL },
	{ "host.example", NULL },
	{ "2001:db8::1::2", NULL },
	{ "1111:2222:3333:4444:5555:6666:7777:8888:9999", NULL },
};

static void
test_parse(void)
{
	size_t i;

	for (i = 0; i < sizeof parses / sizeof parses[0]; i++) {
		struct ip_addr ip;
		char got[64], name[128];
		int r = ip_parse(parses[i].in, strlen(parses[i].in), &ip);
		snprintf(name, sizeof name, "ip_parse '%s'", parses[i].in);
		if (r == 0)
			fmt(&ip, got, sizeof got);
		tap_is(r == 0 ? got : NULL, parses[i].want, name);
	}
	{
		struct ip_addr ip;
		char big[100];
		memset(big, '1', sizeof big);
		tap_is_long(ip_parse(big, sizeof big, &ip), -1, "ip_parse: 100 bytes refused");
		tap_is_long(ip_parse("1.2.3.4\0junk", 12, &ip), -1,
		    "ip_parse: NUL inside refused");
		tap_is_long(ip_parse("1.2.3.4x", 7, &ip), 0, "ip_parse: takes only n bytes");
	}
}

static const struct {
	const char *net, *ip;
	int         ok, in;   /* net parses; ip inside */
} nets[] = {
	{ "10.0.0.0/8", "10.255.255.255", 1, 1 },
	{ "10.0.0.0/8", "11.0.0.0", 1, 0 },
	{ "10.1.2.3", "10.1.2.3", 1, 1 },        /* single address */
	{ "10.1.2.3", "10.1.2.4", 1, 0 },
	{ "0.0.0.0/0", "203.0.113.9", 1, 1 },
	{ "0.0.0.0/0", "2001:db8::1", 1, 0 },    /* families never mix */
	{ "192.168.1.128/25", "192.168.1.127", 1, 0 },
	{ "192.168.1.128/25", "192.168.1.128", 1, 1 },
	{ "172.16.0.0/12", "172.31.255.255", 1, 1 },
	{ "172.16.0.0/12", "172.32.0.0", 1, 0 },
	{ "10.0.0.0/32", "10.0.0.0", 1, 1 },
	{ "10.0.0.0/33", "10.0.0.0", 0, 0 },
	{ "10.0.0.0/", "10.0.0.0", 0, 0 },
	{ "10.0.0.0/-1", "10.0.0.0", 0, 0 },
	{ "10.0.0.0/8x", "10.0.0.0", 0, 0 },
	{ "10.0.0.0/ 8", "10.0.0.0", 0, 0 },
	{ "10.0.0.0/99999999999999999999999", "10.0.0.0", 0, 0 },
	{ "10.0.0/8", "10.0.0.0", 0, 0 },
	{ "/8", "10.0.0.0", 0, 0 },
	{ "2001:db8::/32", "2001:db8:ffff::1", 1, 1 },
	{ "2001:db8::/32", "2001:db9::1", 1, 0 },
	{ "2001:db8::/128", "2001:db8::", 1, 1 },
	{ "2001:db8::/129", "2001:db8::", 0, 0 },
	{ "::/0", "::1", 1, 1 },
	{ "::/0", "10.0.0.1", 1, 0 },
	{ "10.0.0.0/8", "::ffff:10.9.9.9", 1, 1 },  /* v4-mapped matches v4 */
	{ "fe80::/10", "febf::1", 1, 1 },
	{ "fe80::/10", "fec0::1", 1, 0 },
};

static void
test_nets(void)
{
	size_t i;

	for (i = 0; i < sizeof nets / sizeof nets[0]; i++) {
		struct ip_net net;
		struct ip_addr ip;
		char name[160];
		int r = ip_net_parse(nets[i].net, &net);

		snprintf(name, sizeof name, "ip_net_parse '%s'", nets[i].net);
		tap_is_long(r, nets[i].ok ? 0 : -1, name);
		if (r == 0 && ip_parse(nets[i].ip, strlen(nets[i].ip), &ip) == 0) {
			snprintf(name, sizeof name, "%s in %s", nets[i].ip, nets[i].net);
			tap_is_long(ip_in_net(&ip, &net), nets[i].in, name);
		}
	}
}

static const struct {
	const char *ip;
	int         internal;
} internals[] = {
	{ "10.0.0.0", 1 }, { "10.255.255.255", 1 }, { "9.255.255.255", 0 },
	{ "11.0.0.0", 0 },
	{ "172.15.255.255", 0 }, { "172.16.0.0", 1 }, { "172.31.255.255", 1 },
	{ "172.32.0.0", 0 },
	{ "192.168.0.0", 1 }, { "192.168.255.255", 1 }, { "192.169.0.0", 0 },
	{ "192.167.255.255", 0 },
	{ "127.0.0.1", 1 }, { "127.255.255.255", 1 }, { "128.0.0.0", 0 },
	{ "169.254.1.1", 1 }, { "169.253.255.255", 0 }, { "169.255.0.0", 0 },
	{ "100.64.0.0", 1 }, { "100.127.255.255", 1 }, { "100.63.255.255", 0 },
	{ "100.128.0.0", 0 },
	{ "fc00::1", 1 }, { "fdff:ffff::1", 1 }, { "fe00::1", 0 },
	{ "fe80::1", 1 }, { "febf:ffff::1", 1 }, { "fec0::1", 0 },
	{ "::1", 1 }, { "::2", 0 }, { "::", 0 },
	{ "::ffff:10.1.2.3", 1 }, { "::ffff:8.8.8.8", 0 },
	{ "8.8.8.8", 0 }, { "203.0.113.5", 0 }, { "2001:db8::1", 0 },
	{ "2a00:1450:4001::1", 0 },
};

/* The supervisor's per-client count: one IPv4 address, one IPv6 /64. */
static const struct {
	const char *a, *b;
	unsigned    v4, v6;
	int         same;
} prefixes[] = {
	{ "192.0.2.1", "192.0.2.1", 32, 64, 1 },
	{ "192.0.2.1", "192.0.2.2", 32, 64, 0 },
	{ "192.0.2.1", "192.0.2.254", 24, 64, 1 },
	{ "192.0.2.1", "192.0.3.1", 24, 64, 0 },
	{ "192.0.2.1", "192.0.3.1", 23, 64, 1 },
	{ "10.0.0.1", "10.255.0.1", 8, 64, 1 },
	{ "2001:db8::1", "2001:db8::2", 32, 64, 1 },
	{ "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff", 32, 64, 1 },
	{ "2001:db8::1", "2001:db8:0:1::1", 32, 64, 0 },     /* next /64 */
	{ "2001:db8::1", "2001:db8:0:1::1", 32, 48, 1 },
	{ "2001:db8::1", "2001:db8:1::1", 32, 48, 0 },
	{ "2001:db8::1", "2001:db8::2", 32, 128, 0 },       /* per address */
	{ "2001:db8::1", "2001:db8::1", 32, 128, 1 },
	{ "2001:db8::1", "2001:db8::1:2", 32, 127, 0 },
	{ "2001:db8::2", "2001:db8::3", 32, 127, 1 },       /* not byte-aligned */
	{ "2001:db8::1", "2001:db8::80:0:0:0", 32, 65, 1 },
	{ "2001:db8::1", "2001:db8:0:0:8000::", 32, 65, 0 },
	{ "::ffff:192.0.2.1", "192.0.2.1", 32, 64, 1 },     /* mapped is IPv4 */
	{ "::ffff:192.0.2.1", "192.0.2.9", 32, 64, 0 },     /* ... per address */
	{ "::ffff:192.0.2.1", "::ffff:192.0.2.9", 32, 64, 0 },
	{ "::ffff:192.0.2.1", "::ffff:192.0.2.9", 24, 64, 1 },
	{ "::ffff:192.0.2.1", "::ffff:192.0.3.9", 32, 0, 0 }, /* not by v6's prefix */
	{ "192.0.2.1", "::c000:201", 32, 0, 0 },            /* families never mix */
	{ "192.0.2.1", "2001:db8::1", 0, 0, 0 },
	{ "2001:db8::1", "2001:db8::1", 32, 200, 1 },       /* clamped to 128 */
	{ "192.0.2.1", "192.0.2.2", 99, 64, 0 },            /* clamped to 32 */
	{ "192.0.2.1", "198.51.100.1", 0, 64, 1 },          /* /0: all one */
};

static void
test_prefix(void)
{
	size_t i;

	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		struct ip_addr a, b;
		char name[160];
		snprintf(name, sizeof name, "ip_same_prefix %s %s /%u /%u",
		    prefixes[i].a, prefixes[i].b, prefixes[i].v4, prefixes[i].v6);
		if (ip_parse(prefixes[i].a, strlen(prefixes[i].a), &a) == -1 ||
		    ip_parse(prefixes[i].b, strlen(prefixes[i].b), &b) == -1) {
			tap_ok(0, name);
			continue;
		}
		tap_is_long(ip_same_prefix(&a, &b, prefixes[i].v4, prefixes[i].v6),
		    prefixes[i].same, name);
		tap_is_long(ip_same_prefix(&b, &a, prefixes[i].v4, prefixes[i].v6),
		    prefixes[i].same, "... and the other way round");
	}
}

static void
test_internal(void)
{
	size_t i;

	for (i = 0; i < sizeof internals / sizeof internals[0]; i++) {
		struct ip_addr ip;
		char name[128];

		ip_parse(internals[i].ip, strlen(internals[i].ip), &ip);
		snprintf(name, sizeof name, "ip_is_internal %s", internals[i].ip);
		tap_is_long(ip_is_internal(&ip), internals[i].internal, name);
	}
}

static const struct {
	const char *name, *in;
	const char *want;   /* each address found as "text@offset", space separated */
} scans[] = {
	{ "Received with a bracketed address",
	  "from x ([10.1.2.3]) by y", "10.1.2.3@9" },
	{ "RFC 5321 IPv6 literal", "from x ([IPv6:fe80::1]) by y", "fe80::1@14" },
	{ "trailing dot dropped", "client 10.1.2.3. said", "10.1.2.3@7" },
	{ "five parts: not an address", "id 1.2.3.4.5 x", "" },
	{ "version numbers are dotted quads", "Exchange 15.20.4.3", "15.20.4.3@9" },
	{ "host name with digits: not matched", "host-10-1-2-3.example", "" },
	{ "dotted host name with digits: not matched", "a10.1.2.3.example", "" },
	{ "Exchange id: not an address", "id 15.1.2044.4; Mon", "" },
	{ "time of day: not an address", "Mon, 1 Jan 2024 12:34:56 +0000", "" },
	{ "Postfix Received",
	  "from mail.example.org (mail.example.org [203.0.113.5]) by mx.example.com "
	  "(Postfix) with ESMTPS id 4AB12C3D4E; Mon, 1 Jan 2024 12:34:56 +0000",
	  "203.0.113.5@41" },
	{ "two addresses", "from a ([10.0.0.1]) via [192.168.1.1]",
	  "10.0.0.1@9 192.168.1.1@25" },
	{ "IPv6 with hex letters", "from x (x [2001:db8:abcd::1])",
	  "2001:db8:abcd::1@11" },
	{ "glued to a letter after: not matched", "10.1.2.3x", "" },
	{ "v4-mapped", "[::ffff:192.0.2.1]", "::ffff:192.0.2.1@1" },
	{ "empty", "", "" },
	{ "only dots and colons", "... ::: ..", "" },
	/* "::" is an address (the unspecified one); never internal, so harmless */
	{ "unspecified address", "x :: y", "::@2" },
};

static void
test_scan(void)
{
	struct buf got = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof scans / sizeof scans[0]; i++) {
		const char *s = scans[i].in;
		size_t n = strlen(s), start = 0, len, guard = 0;
		struct ip_addr ip;
		char name[160];

		buf_reset(&got);
		buf_adds(&got, "");
		while ((len = ip_scan(s, n, &start, &ip)) > 0 && guard++ < 10) {
			if (got.len)
				buf_addc(&got, ' ');
			buf_add(&got, s + start, len);
			buf_printf(&got, "@%zu", start);
			start += len;
		}
		snprintf(name, sizeof name, "ip_scan: %s", scans[i].name);
		tap_is(buf_cstr(&got), scans[i].want, name);
	}
	buf_free(&got);
}

int
main(void)
{
	test_parse();
	test_nets();
	test_prefix();
	test_internal();
	test_scan();
	return tap_done();
}
