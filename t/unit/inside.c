/* Unit tests for lib/sender/inside.c and lib/sender/authres.c: what names the inside of
 * the organisation in header text, its redaction, and our authserv-id. */
#include <errno.h>
#include <string.h>

#include "authres.h"
#include "inside.h"
#include "tap.h"

static const char *const hosts[] = {
	"exch01.corp.example", ".lan.example.", "EXCH02", "203.0.113.0/24",
};

static const struct {
	const char *name, *in, *want;
	int         count;
} rows[] = {
	{ "nothing inside", "from mx.partner.example ([198.51.100.1])",
	  "from mx.partner.example ([198.51.100.1])", 0 },
	{ "bracketed address", "from x ([10.1.2.3])", "from x ([redacted])", 1 },
	{ "parenthesised address", "(192.168.40.7) by", "([redacted]) by", 1 },
	{ "bare address, sentence end", "client 172.16.0.9.", "client [redacted].", 1 },
	{ "172.32 is public", "via 172.32.0.1", "via 172.32.0.1", 0 },
	{ "address with a port", "client-ip=10.20.1.11:25;", "client-ip=[redacted]:25;", 1 },
	{ "IPv6 literal with its tag", "from [IPv6:fd12:3456::17] by", "from [redacted] by", 1 },
	{ "link-local with a zone", "([fe80::5d1c:2a3b:9e1f:4c21%12])", "([redacted])", 1 },
	{ "public IPv6 stays", "[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]", 0 },
	{ "listed network", "[203.0.113.9]", "[redacted]", 1 },
	{ "listed host", "from exch01.corp.example (x)", "from internal.invalid (x)", 1 },
	{ "host in upper case, with root dot", "by EXCH01.CORP.EXAMPLE. with",
	  "by internal.invalid. with", 1 },
	{ "a longer name is not the host", "by exch01.corp.example.com",
	  "by exch01.corp.example.com", 0 },
	{ "a host under a .domain", "ws7.lan.example", "internal.invalid", 1 },
	{ "the .domain itself", "lan.example", "internal.invalid", 1 },
	{ "a name that only ends like it", "xlan.example", "xlan.example", 0 },
	{ "single-label host, whole word only", "from EXCH02 (x) exch02-b",
	  "from internal.invalid (x) exch02-b", 1 },
	{ "host in an address", "<a@exch01.corp.example>", "<a@internal.invalid>", 1 },
	{ "several, folded", "from exch01.corp.example (10.0.0.1) by\r\n ws1.lan.example",
	  "from internal.invalid ([redacted]) by\r\n internal.invalid", 3 },
	{ "an address glued to letters is a name", "ip-10-1-2-3x 10.1.2.3x",
	  "ip-10-1-2-3x 10.1.2.3x", 0 },
	{ "version numbers are not addresses", "id 15.1.2507.39;", "id 15.1.2507.39;", 0 },
};

static const struct {
	const char *name, *value;
	int         want;
} ar[] = {
	{ "our id", " gw.example; spf=pass", 1 },
	{ "any case", " GW.Example; spf=pass", 1 },
	{ "with a version", " gw.example 1; spf=pass", 1 },
	{ "after a comment", " (hi (nested)) gw.example; none", 1 },
	{ "quoted", " \"gw.example\"; none", 1 },
	{ "folded", "\r\n\tgw.example;\r\n dkim=pass", 1 },
	{ "nothing but the id", " gw.example", 1 },
	{ "another id", " mx.partner.example; spf=pass", 0 },
	{ "ours as a prefix", " gw.example.evil.example; spf=pass", 0 },
	{ "ours as a suffix", " evil-gw.example; spf=pass", 0 },
	{ "ours later in the value", " mx.partner.example; x=gw.example", 0 },
	{ "unclosed quote", " \"gw.example", 0 },
	{ "empty", "", 0 },
};

int
main(void)
{
	struct inside in;
	size_t i;
	char name[256];

	memset(&in, 0, sizeof in);
	for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		snprintf(name, sizeof name, "internalhosts entry %s", hosts[i]);
		tap_ok(inside_add(&in, hosts[i]) == 0, name);
	}
	errno = 0;
	tap_ok(inside_add(&in, "10.1.2") == -1 && errno == EINVAL,
	    "a number is neither a name nor an address");
	tap_ok(inside_add(&in, ".") == -1, "a lone dot is refused");
	tap_ok(inside_add(&in, "a..b") == -1, "an empty label is refused");
	tap_ok(inside_add(&in, "a b") == -1, "white space is refused");
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct buf out = BUF_INIT;
		int n = inside_redact(&in, rows[i].in, strlen(rows[i].in), &out);

		snprintf(name, sizeof name, "%s: text", rows[i].name);
		tap_is(out.p ? out.p : "", rows[i].want, name);
		snprintf(name, sizeof name, "%s: count", rows[i].name);
		tap_is_long(n, rows[i].count, name);
		snprintf(name, sizeof name, "%s: inside_find agrees", rows[i].name);
		tap_is_long(inside_find(&in, rows[i].in, strlen(rows[i].in)),
		    rows[i].count > 0, name);
		buf_free(&out);
	}
	{
		struct buf out = BUF_INIT;
		const char nul[] = "a\0[10.0.0.1]\0b";
		int n = inside_redact(&in, nul, sizeof nul - 1, &out);
		tap_ok(n == 1 && out.len == 14 && memcmp(out.p, "a\0[redacted]\0b", 14) == 0,
		    "NUL bytes around an address survive");
		buf_free(&out);
	}
	inside_free(&in);
	for (i = 0; i < sizeof ar / sizeof ar[0]; i++) {
		snprintf(name, sizeof name, "authserv-id: %s", ar[i].name);
		tap_is_long(authres_id_is(ar[i].value, strlen(ar[i].value),
		    "gw.example"), ar[i].want, name);
	}
	tap_is_long(authres_id_is(" gw.example;", 12, ""), 0,
	    "authserv-id: an empty id of ours matches nothing");
	return tap_done();
}
