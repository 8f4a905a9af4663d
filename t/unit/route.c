/* Unit tests for lib/delivery/route.c: next hops, the order of matches, maildir
 * paths built from addresses. */
#include <string.h>

#include "route.h"
#include "tap.h"

static const struct {
	const char *in;
	int ok;
	enum route_kind kind;
	const char *host, *port, *path;
} parse[] = {
	{ "smtp:mx.test", 0, ROUTE_SMTP, "mx.test", "25", "" },
	{ "smtp:mx.test:2525", 0, ROUTE_SMTP, "mx.test", "2525", "" },
	{ "smtp:[2001:db8::1]:26", 0, ROUTE_SMTP, "[2001:db8::1]", "26", "" },
	{ "smtp:[2001:db8::1]", 0, ROUTE_SMTP, "[2001:db8::1]", "25", "" },
	{ "lmtp:imap.test:24", 0, ROUTE_LMTP, "imap.test", "24", "" },
	{ "lmtp:imap.test", -1, 0, "", "", "" },
	{ "lmtp:/run/dovecot/lmtp", 0, ROUTE_LMTP_UNIX, "", "", "/run/dovecot/lmtp" },
	{ "maildir:/var/mail/%u", 0, ROUTE_MAILDIR, "", "", "/var/mail/%u" },
	{ "maildir:relative", -1, 0, "", "", "" },
	{ "smtp:mx.test:99999", -1, 0, "", "", "" },
	{ "smtp:mx.test:2x", -1, 0, "", "", "" },
	{ "smtp:", -1, 0, "", "", "" },
	{ "ftp:x", -1, 0, "", "", "" },
};

static char *lines[] = { "* smtp:default.test", ".sub.test smtp:sub.test",
	"a.sub.test smtp:exact.test", "OurCo.Test maildir:/m" };
static unsigned lineno[] = { 1, 2, 3, 4 };

static const struct {
	const char *domain, *host;
} find[] = {
	{ "a.sub.test", "exact.test" },
	{ "b.sub.test", "sub.test" },
	{ "sub.test", "default.test" },
	{ "ourco.test", "" },
	{ "other.test", "default.test" },
};

static const struct {
	const char *path, *local, *domain, *want;
} md[] = {
	{ "/m/%d/%u", "Bob", "OurCo.Test", "/m/ourco.test/bob" },
	{ "/m/%u", "../x", "d", NULL },
	{ "/m/%u", "a/b", "d", NULL },
	{ "/m/%u", ".hidden", "d", NULL },
	{ "/m/all", "x", "d", "/m/all" },
	{ "/m/100%%", "x", "d", "/m/100%" },
};

int
main(void)
{
	struct ctl_list l = { lines, lineno, 4, "" };
	struct route r;
	char name[256], out[4096];
	unsigned ln;
	size_t i;

	for (i = 0; i < sizeof parse / sizeof parse[0]; i++) {
		int got = route_parse(parse[i].in, &r);
		snprintf(name, sizeof name, "parse %s", parse[i].in);
		tap_is_long(got, parse[i].ok, name);
		if (got != 0)
			continue;
		tap_is_long(r.kind, parse[i].kind, name);
		tap_is(r.host, parse[i].host, name);
		tap_is(r.port, parse[i].port, name);
		tap_is(r.path, parse[i].path, name);
	}
	for (i = 0; i < sizeof find / sizeof find[0]; i++) {
		snprintf(name, sizeof name, "route for %s", find[i].domain);
		tap_is_long(route_find(&l, find[i].domain, &r, &ln), 1, name);
		tap_is(r.host, find[i].host, name);
	}
	l.n = 3;
	l.v = lines + 1;
	tap_is_long(route_find(&l, "none.test", &r, &ln), 0, "no route: MX");
	for (i = 0; i < sizeof md / sizeof md[0]; i++) {
		int got;
		snprintf(r.path, sizeof r.path, "%s", md[i].path);
		got = route_maildir_path(&r, md[i].local, md[i].domain, out, sizeof out);
		snprintf(name, sizeof name, "maildir %s for %s@%s", md[i].path,
		    md[i].local, md[i].domain);
		if (md[i].want == NULL)
			tap_is_long(got, -1, name);
		else
			tap_is(got == 0 ? out : "(failed)", md[i].want, name);
	}
	/* route_check: every line, not only the one a domain finds */
	{
		char *good[] = { "ourco.test smtp:exch.test", "* smtp:[192.0.2.1]:26",
			".sub.test lmtp:/run/lmtp" };
		char *bad[] = { "ourco.test smtp:exch.test", "lists.test lmtp:imap.test",
			"x.test maildir:/m" };
		char *nohop[] = { "ourco.test" };
		unsigned gl[] = { 1, 2, 3 }, bl[] = { 1, 3, 5 };
		struct ctl_list g = { good, gl, 3, "" }, b = { bad, bl, 3, "" },
		    n = { nohop, gl, 1, "" };
		tap_is_long(route_check(&g, &ln), 0, "check: good lines");
		tap_is_long(route_check(&b, &ln), -1, "check: an LMTP host without a port");
		tap_is_long((long)ln, 3, "check: ... on its line number");
		tap_is_long(route_check(&n, &ln), -1, "check: a domain without a next hop");
	}
	return tap_done();
}
