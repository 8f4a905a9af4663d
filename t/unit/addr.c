/* Unit tests for lib/message/addr.c: RFC 5322 address lists as mail clients read
 * them, RFC 5321 paths as SMTP carries them, domain comparison and the
 * search for addresses in free text.  Hostile rows first-class: every
 * shape a spoofer uses to make a reader and a checker disagree. */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "show.h"
#include "tap.h"

static const struct { unsigned f; char c; } fl[] = {
	{ ADDR_ROUTE, 'R' }, { ADDR_AMBIGUOUS, 'A' }, { ADDR_NODOMAIN, 'D' },
	{ ADDR_LITERAL, 'L' }, { ADDR_UNCLOSED, 'U' }, { ADDR_NUL, 'Z' },
	{ ADDR_QUOTEDLOCAL, 'Q' }, { ADDR_NULLPATH, 'P' }, { ADDR_8BIT, '8' },
	{ ADDR_ENCODED, 'E' }, { ADDR_JUNK, 'J' },
};

static void
flags(struct buf *out, unsigned f)
{
	size_t k;

	buf_adds(out, " {");
	for (k = 0; k < sizeof fl / sizeof fl[0]; k++)
		if (f & fl[k].f)
			buf_addc(out, fl[k].c);
	buf_addc(out, '}');
}

/* One address as "[display] local@domain (comment) g=group {flags}". */
static void
render_one(const struct addr *a, struct buf *out)
{
	if (a->display && a->display[0]) {
		buf_addc(out, '[');
		show_add(out, a->display, strlen(a->display));
		buf_adds(out, "] ");
	}
	show_add(out, a->local, strlen(a->local));
	if (!(a->flags & ADDR_NODOMAIN)) {
		buf_addc(out, '@');
		show_add(out, a->domain, strlen(a->domain));
	}
	if (a->comment) {
		buf_adds(out, " (");
		show_add(out, a->comment, strlen(a->comment));
		buf_addc(out, ')');
	}
	if (a->group) {
		buf_adds(out, " g=");
		show_add(out, a->group, strlen(a->group));
	}
	if (a->flags)
		flags(out, a->flags);
}

/* A list: its addresses joined by " ; ", then " || {flags}" for the flags
 * the list has beyond those of its addresses. */
static void
render(const struct addr_list *l, struct buf *out)
{
	unsigned all = 0;
	size_t i;

	buf_reset(out);
	buf_adds(out, "");
	for (i = 0; i < l->n; i++) {
		if (i)
			buf_adds(out, " ; ");
		render_one(&l->a[i], out);
		all |= l->a[i].flags;
	}
	if (l->flags & ~all) {
		buf_adds(out, " ||");
		flags(out, l->flags & ~all);
	}
}

static const struct {
	const char *name, *in;
	size_t      len;    /* 0: strlen(in) */
	const char *want;
} lists[] = {
	{ "bare address", "a@example.com", 0, "a@example.com" },
	{ "angle address", "<a@example.com>", 0, "a@example.com" },
	{ "display name", "Alice Smith <a@example.com>", 0, "[Alice Smith] a@example.com" },
	{ "quoted display name with comma", "\"Doe, John\" <j@example.com>", 0,
	  "[Doe, John] j@example.com" },
	{ "quoted display name with escapes", "\"a \\\"b\\\" \\\\c\" <x@y.example>", 0,
	  "[a \"b\" \\\\c] x@y.example" },
	{ "comment after", "a@example.com (Alice)", 0, "a@example.com (Alice)" },
	{ "nested comment", "a@example.com (Alice (the boss) Smith)", 0,
	  "a@example.com (Alice (the boss) Smith)" },
	{ "comment inside the address", "a(c1)@(c2)example.com", 0,
	  "a@example.com (c1 c2)" },
	{ "comment with escaped paren", "a@b.example (x\\)y)", 0, "a@b.example (x)y)" },
	{ "two addresses", "a@x.example, B <b@y.example>", 0,
	  "a@x.example ; [B] b@y.example" },
	{ "empty members skipped", ", ,a@x.example,,", 0, "a@x.example" },
	{ "empty input", "", 0, "" },
	{ "white space only", " \t\r\n ", 0, "" },
	{ "empty group", "Undisclosed recipients:;", 0, "" },
	{ "group with members", "G: a@b.example, c@d.example;", 0,
	  "a@b.example g=G ; c@d.example g=G" },
	{ "group then address", "G: a@b.example; c@d.example", 0,
	  "a@b.example g=G ; c@d.example" },
	{ "group never closed", "G: a@b.example", 0, "a@b.example g=G || {U}" },
	{ "semicolon outside a group", "a@b.example; c@d.example", 0,
	  "a@b.example ; c@d.example || {J}" },
	{ "obsolete route", "<@a.example,@b.example:x@y.example>", 0,
	  "x@y.example {R}" },
	{ "route with display name", "X <@a.example:x@y.example>", 0,
	  "[X] x@y.example {R}" },
	{ "two @: split at the last, ambiguous", "a@b@c.example", 0,
	  "a@b@c.example {A}" },
	{ "quoted local part with @", "\"a@b\"@c.example", 0, "a@b@c.example {Q}" },
	{ "quoted local part with space", "\"john smith\"@example.com", 0,
	  "john smith@example.com {Q}" },
	{ "unquoted words before @", "john smith@example.com", 0,
	  "johnsmith@example.com {A}" },
	{ "domain literal", "x@[1.2.3.4]", 0, "x@[1.2.3.4] {L}" },
	{ "IPv6 literal", "x@[IPv6:2001:db8::1]", 0, "x@[IPv6:2001:db8::1] {L}" },
	{ "trailing dot domain kept as written", "x@example.com.", 0, "x@example.com." },
	{ "no domain", "postmaster", 0, "postmaster {D}" },
	{ "empty angle", "<>", 0, "@ {P}" },
	{ "unclosed quote", "\"Alice <a@example.com>", 0,
	  "Alice <a@example.com> {DUQ}" },
	{ "unclosed angle", "Alice <a@example.com", 0, "[Alice] a@example.com {U}" },
	{ "unclosed comment", "a@example.com (Alice", 0, "a@example.com (Alice) {U}" },
	{ "unclosed literal", "a@[1.2.3.4", 0, "a@[1.2.3.4 {LU}" },
	{ "text after the angle", "<a@example.com> trailing", 0, "a@example.com {J}" },
	{ "two angles", "A <a@x.example> <b@y.example>", 0,
	  "[A] a@x.example {AJ}" },
	{ "stray close paren", "a@example.com)", 0, "a@example.com || {J}" },
	/* A display name made to read as another address: decoded, so that
	 * spoof-check sees what the reader sees, and marked encoded. */
	{ "encoded display name hiding an address",
	  "\"=?utf-8?q?ceo=40ourco.example?=\" <x@evil.example>", 0,
	  "[ceo@ourco.example] x@evil.example {E}" },
	{ "encoded display name, unquoted", "=?utf-8?B?w6lsw6hu?= <e@x.example>", 0,
	  "[\\xc3\\xa9l\\xc3\\xa8n] e@x.example {E}" },
	{ "plain display name that is an address",
	  "ceo@ourco.example <x@evil.example>", 0,
	  "[ceo@ourco.example] x@evil.example" },
	{ "encoded word in the local part", "=?utf-8?q?x?=@example.com", 0,
	  "=?utf-8?q?x?=@example.com {E}" },
	{ "8-bit display name", "Ren\xc3\xa9 <r@x.example>", 0,
	  "[Ren\\xc3\\xa9] r@x.example {8}" },
	/* local is a C string: the flag is what tells a checker it was cut */
	{ "NUL in the local part", "a\0b@x.example", 13, "a@x.example {Z}" },
	/* A NUL in a quoted display name must be marked, not silently cut the
	 * name short where it is used as a C string. */
	{ "NUL in a quoted display name", "\"Bank\0ceo@ourco.example\" <x@evil.example>",
	  41, "[Bank\\xef\\xbf\\xbdceo@ourco.example] x@evil.example {Z}" },
	{ "encoded NUL in a display name", "=?utf-8?q?Bank=00ceo?= <x@evil.example>",
	  0, "[Bank\\xef\\xbf\\xbdceo] x@evil.example {E}" },
	{ "control byte in a comment", "a@x.example (\x01)", 0,
	  "a@x.example (\\x01) {Z}" },
	/* Comments belong to the address they sit in. */
	{ "each address its own comment", "a@x.example (A), b@y.example (B)", 0,
	  "a@x.example (A) ; b@y.example (B)" },
	{ "backslash in an atom is junk", "a\\b@x.example", 0, "ab@x.example || {J}" },
	{ "quoted string in the domain is junk", "a@x\"q\".example", 0,
	  "a@xq.example {J}" },
};

static void
test_lists(void)
{
	struct buf got = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		size_t len = lists[i].len ? lists[i].len : strlen(lists[i].in);
		struct addr_list l;
		char name[256];

		snprintf(name, sizeof name, "list: %s: returns 0", lists[i].name);
		tap_ok(addr_parse_list(lists[i].in, len, &l) == 0, name);
		render(&l, &got);
		snprintf(name, sizeof name, "list: %s", lists[i].name);
		tap_is(buf_cstr(&got), lists[i].want, name);
		addr_list_free(&l);
	}
	buf_free(&got);
}

/* More addresses than ADDR_MAX: the first ADDR_MAX kept, the list marked. */
static void
test_max(void)
{
	struct buf in = BUF_INIT;
	struct addr_list l;
	size_t i;

	for (i = 0; i < 600; i++)
		buf_printf(&in, "%su%zu@example.com", i ? ", " : "", i);
	tap_ok(addr_parse_list(in.p, in.len, &l) == 0, "600 addresses: returns 0");
	tap_is_long((long)l.n, ADDR_MAX, "600 addresses: ADDR_MAX kept");
	tap_ok((l.flags & ADDR_JUNK) != 0, "600 addresses: marked");
	tap_is(l.a[ADDR_MAX - 1].local, "u499", "600 addresses: the first ones");
	addr_list_free(&l);

	buf_reset(&in);
	for (i = 0; i < ADDR_MAX; i++)
		buf_printf(&in, "%su%zu@example.com", i ? ", " : "", i);
	addr_parse_list(in.p, in.len, &l);
	tap_is_long((long)l.n, ADDR_MAX, "exactly ADDR_MAX: all kept");
	tap_ok((l.flags & ADDR_JUNK) == 0, "exactly ADDR_MAX: not marked");
	addr_list_free(&l);

	/* deep comment nesting does not recurse */
	buf_reset(&in);
	buf_adds(&in, "a@b.example ");
	for (i = 0; i < 100000; i++)
		buf_addc(&in, '(');
	for (i = 0; i < 100000; i++)
		buf_addc(&in, ')');
	tap_ok(addr_parse_list(in.p, in.len, &l) == 0 && l.n == 1 &&
	    strcmp(l.a[0].domain, "b.example") == 0, "100000 nested comments");
	addr_list_free(&l);
	buf_free(&in);
}

static const struct {
	const char *name, *in;
	int         ok;
	const char *want;   /* rendered, when ok */
} paths[] = {
	{ "null path", "<>", 1, "@ {P}" },
	{ "empty (qmail's SENDER for <>)", "", 1, "@ {P}" },
	{ "bracketed", "<a@example.com>", 1, "a@example.com" },
	{ "bare, as in SENDER", "a@example.com", 1, "a@example.com" },
	{ "source route", "<@r.example:a@example.com>", 1, "a@example.com {R}" },
	{ "two-hop source route", "<@r.example,@s.example:a@example.com>", 1,
	  "a@example.com {R}" },
	{ "quoted local part", "<\"a@b\"@example.com>", 1, "a@b@example.com {Q}" },
	{ "domain literal", "<a@[192.0.2.1]>", 1, "a@[192.0.2.1] {L}" },
	{ "IPv6 literal", "<a@[IPv6:2001:db8::1]>", 1, "a@[IPv6:2001:db8::1] {L}" },
	{ "space refused", "<a @example.com>", 0, NULL },
	{ "space after refused", "<a@example.com> ", 0, NULL },
	{ "tab refused", "a@example.com\t", 0, NULL },
	{ "comment refused", "<a@example.com(x)>", 0, NULL },
	{ "missing domain refused", "<a>", 0, NULL },
	{ "empty domain refused", "<a@>", 0, NULL },
	{ "missing local part refused", "<@example.com>", 0, NULL },
	{ "unclosed refused", "<a@b", 0, NULL },
	{ "close only refused", "a@b>", 0, NULL },
	{ "lone open refused", "<", 0, NULL },
	{ "double brackets refused", "<<a@b.example>>", 0, NULL },
	{ "display name refused", "<X<a@b.example>>", 0, NULL },
	{ "display name, unbracketed, refused", "X<a@b.example>", 0, NULL },
	{ "two addresses refused", "<a@b.example,c@d.example>", 0, NULL },
	{ "two @ refused", "<a@b@c.example>", 0, NULL },
	{ "control byte refused", "<a\x01@b.example>", 0, NULL },
	{ "NUL refused", "<a\0@b.example>", 0, NULL },
	{ "group refused", "<g:a@b.example;>", 0, NULL },
	{ "unclosed quote refused", "<\"a@b.example>", 0, NULL },
};

static void
test_paths(void)
{
	struct buf got = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct addr a;
		char name[256];
		size_t len = strlen(paths[i].in);
		int r;

		if (strcmp(paths[i].name, "NUL refused") == 0)
			len = 15;
		r = addr_parse_path(paths[i].in, len, &a);
		snprintf(name, sizeof name, "path: %s", paths[i].name);
		tap_is_long(r, paths[i].ok ? 0 : -1, name);
		if (r == 0) {
			buf_reset(&got);
			buf_adds(&got, "");
			render_one(&a, &got);
			snprintf(name, sizeof name, "path: %s: value", paths[i].name);
			tap_is(buf_cstr(&got), paths[i].want, name);
			tap_ok(a.display == NULL, "path: no display name");
			addr_free(&a);
		}
	}
	buf_free(&got);
}

static void
test_domains(void)
{
	static char *const local[] = { "example.com", ".sub.example.org",
	    "EXAMPLE.NET.", "" };
	char out[256], small[4];
	char longd[300];

	tap_ok(addr_domain_norm("Mail.Example.COM.", out, sizeof out) == 0 &&
	    strcmp(out, "mail.example.com") == 0, "norm: lower case, one dot dropped");
	tap_ok(addr_domain_norm("a..", out, sizeof out) == 0 &&
	    strcmp(out, "a.") == 0, "norm: only one trailing dot dropped");
	tap_ok(addr_domain_norm("", out, sizeof out) == 0 && out[0] == '\0',
	    "norm: empty");
	tap_ok(addr_domain_norm("\xc3\x89X", out, sizeof out) == 0 &&
	    strcmp(out, "\xc3\x89x") == 0, "norm: 8-bit bytes unchanged");
	tap_ok(addr_domain_norm("abc", small, sizeof small) == 0, "norm: fits exactly");
	tap_is_long(addr_domain_norm("abcd", small, sizeof small), -1, "norm: too long");

	tap_ok(addr_domain_eq("Example.COM", "example.com."), "eq: case and dot");
	tap_ok(!addr_domain_eq("example.com", "example.co"), "eq: different");
	tap_ok(!addr_domain_eq("xexample.com", "example.com"), "eq: suffix is not equal");
	memset(longd, 'a', sizeof longd - 1);
	longd[sizeof longd - 1] = '\0';
	tap_ok(!addr_domain_eq(longd, longd), "eq: over 255 never equal");

	tap_ok(addr_domain_in("example.com", local, 4), "in: exact");
	tap_ok(addr_domain_in("EXAMPLE.com.", local, 4), "in: case and dot");
	tap_ok(!addr_domain_in("mail.example.com", local, 4),
	    "in: plain entry does not take subdomains");
	tap_ok(addr_domain_in("a.sub.example.org", local, 4), "in: .entry takes subdomains");
	tap_ok(addr_domain_in("a.b.sub.example.org", local, 4), "in: .entry, deeper");
	tap_ok(!addr_domain_in("sub.example.org", local, 4),
	    "in: .entry is not the domain itself (qmail's rcpthosts)");
	tap_ok(!addr_domain_in("evilsub.example.org", local, 4),
	    "in: .entry needs the dot");
	tap_ok(addr_domain_in("example.net", local, 4), "in: entry with trailing dot");
	tap_ok(!addr_domain_in("", local, 4), "in: empty domain never");
	tap_ok(!addr_domain_in(".", local, 4), "in: root never");
	tap_ok(!addr_domain_in("example.com", local, 0), "in: empty list");
}

static const struct {
	const char *name, *in;
	const char *want;   /* the domains found, space separated */
} scans[] = {
	{ "one", "write to ceo@ourco.example now", "ourco.example" },
	{ "two", "a@x.example and b@y.example", "x.example y.example" },
	{ "trailing dot dropped", "mail ceo@ourco.example.", "ourco.example" },
	{ "no dot: not a domain", "user@localhost here", "" },
	{ "space before @: not an address", "at @ourco.example", "" },
	{ "@ at the start", "@ourco.example", "" },
	{ "8-bit domain", "x@b\xc3\xbcro.example", "b\xc3\xbcro.example" },
	{ "stops at punctuation", "<ceo@ourco.example>", "ourco.example" },
	{ "empty", "", "" },
	{ "@ at the end", "x@", "" },
};

static void
test_scan(void)
{
	struct buf dom = BUF_INIT, got = BUF_INIT;
	size_t i;

	for (i = 0; i < sizeof scans / sizeof scans[0]; i++) {
		size_t start = 0, n = strlen(scans[i].in), guard = 0;
		char name[256];

		buf_reset(&got);
		buf_adds(&got, "");
		while (addr_scan_text(scans[i].in, n, &start, &dom) && guard++ < 10) {
			if (got.len)
				buf_addc(&got, ' ');
			buf_add(&got, dom.p, dom.len);
		}
		snprintf(name, sizeof name, "scan: %s", scans[i].name);
		tap_is(buf_cstr(&got), scans[i].want, name);
		snprintf(name, sizeof name, "scan: %s: ends at the end", scans[i].name);
		tap_is_long((long)start, (long)n, name);
	}
	buf_free(&dom);
	buf_free(&got);
}

int
main(void)
{
	test_lists();
	test_max();
	test_paths();
	test_domains();
	test_scan();
	return tap_done();
}
