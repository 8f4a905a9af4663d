/* Unit tests for lib/delivery/mtasts.c: the _mta-sts record, policy
 * bodies, media types and MX patterns (RFC 8461 3.1, 3.2, 3.3, 4.1), and
 * the cache.  With a file argument it also runs the rows in it, "KIND\tIN
 * \tvalid|invalid" with \n \r \t \\ escapes, which t/mta-sts.t makes from
 * postfix-mta-sts-resolver's cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mtasts.h"
#include "tap.h"
#include "tmpdir.h"

static const struct {
	const char *in;
	int ok;
	const char *id;
} records[] = {
	{ "v=STSv1; id=20160831085700Z;", 0, "20160831085700Z" },
	{ "v=STSv1;id=abc", 0, "abc" },
	{ "v=STSv1; id=abc; ext=value-with.dots", 0, "abc" },
	{ "v=STSv1; id=abc;;", 0, "abc" },
	{ "v=STSv1 ; id=abc", 0, "abc" },
	{ "v=STSv1; id=012345678901234567890123456789012", -1, NULL },
	{ "v=STSv1; id=ab-c", -1, NULL },
	{ "v=STSv1; id=", -1, NULL },
	{ "v=STSv1; id=a; id=b", -1, NULL },
	{ "v=STSv1", -1, NULL },
	{ "id=abc; v=STSv1", -1, NULL },
	{ "v=STSv2; id=abc", -1, NULL },
	{ "v=STSv1; id=abc; bad", -1, NULL },
	{ "v=STSv1; id=abc; x=a=b", -1, NULL },
};

static const struct {
	const char *in;
	int ok;
	enum mtasts_mode mode;
	unsigned long age;
	size_t nmx;
} policies[] = {
	{ "version: STSv1\nmode: enforce\nmx: a.test\nmx: *.b.test\nmax_age: 604800\n",
	  0, MTASTS_ENFORCE, 604800, 2 },
	{ "version: STSv1\r\nmode: none\r\nmax_age: 0\r\n", 0, MTASTS_NONE, 0, 0 },
	{ "version:STSv1\nmode:testing\nmx:a.test\nmax_age:31557600", 0,
	  MTASTS_TESTING, 31557600, 1 },
	{ "version: STSv1\nmode: testing\nmax_age: 1\n", -1, 0, 0, 0 },
	{ "version: STSv1\nmode: enforce\nmx: *.test\nmax_age: 1\n", -1, 0, 0, 0 },
	{ "version: STSv1\nmode: enforce\nmx: a..test\nmax_age: 1\n", -1, 0, 0, 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 31557601\n", -1, 0, 0, 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 12345678901\n", -1, 0, 0, 0 },
	{ "mode: enforce\nmx: a.test\nmax_age: 1\n", -1, 0, 0, 0 },
	{ "", -1, 0, 0, 0 },
};

static const struct {
	const char *host;
	int match;
} mx[] = {
	{ "mx1.example.com", 1 },
	{ "MX1.Example.COM.", 1 },
	{ "a.mx1.example.com", 0 },
	{ "example.com", 0 },
	{ "mail.example.net", 1 },
	{ "x.mail.example.net", 0 },
	{ "mail.example.org", 0 },
};

/* "\n", "\r", "\t", "\\" in place */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*o++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

static int
row(char *kind, char *in)
{
	struct mtasts_policy p;
	char id[64], why[128], *sp;

	if (strcmp(kind, "record") == 0)
		return mtasts_record_parse(in, strlen(in), id, sizeof id);
	if (strcmp(kind, "policy") == 0)
		return mtasts_policy_parse(in, strlen(in), &p, why, sizeof why);
	if (strcmp(kind, "type") == 0)
		return mtasts_content_type_ok(in) ? 0 : -1;
	/* mx: "HOST PATTERN..." */
	memset(&p, 0, sizeof p);
	if ((sp = strchr(in, ' ')) == NULL)
		return -2;
	*sp++ = '\0';
	for (; sp && *sp && p.nmx < MTASTS_MAX_MX; p.nmx++) {
		char *e = strchr(sp, ' ');
		if (e)
			*e++ = '\0';
		snprintf(p.mx[p.nmx], sizeof p.mx[0], "%s", sp);
		sp = e;
	}
	return mtasts_mx_match(&p, in) ? 0 : -1;
}

static void
file_rows(const char *path)
{
	char line[8192], name[200];
	FILE *f = fopen(path, "r");
	int n = 0, bad = 0;

	if (f == NULL) {
		tap_ok(0, "cases file opens");
		return;
	}
	while (fgets(line, sizeof line, f)) {
		char *kind = line, *in, *want;

		line[strcspn(line, "\n")] = '\0';
		if ((in = strchr(kind, '\t')) == NULL ||
		    (want = strchr(in + 1, '\t')) == NULL)
			continue;
		*in++ = '\0';
		*want++ = '\0';
		snprintf(name, sizeof name, "%.20s %.60s: %.20s", kind, in, want);
		unescape(in);
		n++;
		if ((row(kind, in) == 0) != (strcmp(want, "valid") == 0)) {
			bad++;
			tap_ok(0, name);
		}
	}
	fclose(f);
	snprintf(name, sizeof name, "cases: %d rows", n);
	tap_ok(bad == 0 && n > 0, name);
}

int
main(int argc, char **argv)
{
	struct mtasts_policy p, q;
	char id[64], why[128], name[160];
	const char *dir;
	size_t i;

	for (i = 0; i < sizeof records / sizeof records[0]; i++) {
		int r = mtasts_record_parse(records[i].in, strlen(records[i].in), id,
		    sizeof id);
		snprintf(name, sizeof name, "record \"%s\"", records[i].in);
		tap_ok(r == records[i].ok && (r != 0 || strcmp(id, records[i].id) == 0),
		    name);
	}
	for (i = 0; i < sizeof policies / sizeof policies[0]; i++) {
		int r = mtasts_policy_parse(policies[i].in, strlen(policies[i].in), &p,
		    why, sizeof why);
		snprintf(name, sizeof name, "policy %zu (%s)", i, r ? why : "valid");
		tap_ok(r == policies[i].ok && (r != 0 || (p.mode == policies[i].mode &&
		    p.max_age == policies[i].age && p.nmx == policies[i].nmx)), name);
	}
	{
		const char *b = "version: STSv1\nmode: enforce\nmx: *.example.com\n"
		    "mx: Mail.Example.NET\nmax_age: 60\n";
		mtasts_policy_parse(b, strlen(b), &p, why, sizeof why);
	}
	for (i = 0; i < sizeof mx / sizeof mx[0]; i++) {
		snprintf(name, sizeof name, "mx %s %s", mx[i].host,
		    mx[i].match ? "matches" : "does not match");
		tap_ok(mtasts_mx_match(&p, mx[i].host) == mx[i].match, name);
	}
	tap_ok(mtasts_content_type_ok("text/plain; charset=utf-8") &&
	    !mtasts_content_type_ok("text/plainx") && !mtasts_content_type_ok(NULL),
	    "media type text/plain with parameters only");

	/* the cache: stored, read back, expired, a bad domain refused */
	if ((dir = tmpdir_make()) != NULL) {
		const char *body = "version: STSv1\nmode: enforce\nmx: a.test\n"
		    "max_age: 100\n";
		mtasts_policy_parse(body, strlen(body), &p, why, sizeof why);
		snprintf(p.id, sizeof p.id, "x1");
		p.fetched = 1000;
		tap_ok(mtasts_cache_store(dir, "Ex.Test.", &p, body, strlen(body)) == 0,
		    "cache: stored");
		tap_ok(mtasts_cache_load(dir, "ex.test", &q, 1099) == 1 &&
		    strcmp(q.id, "x1") == 0 && q.cached && q.fetched == 1000 &&
		    strcmp(q.mx[0], "a.test") == 0, "cache: read back before max_age");
		tap_ok(mtasts_cache_load(dir, "ex.test", &q, 1100) == 0,
		    "cache: expired at max_age");
		tap_ok(mtasts_cache_store(dir, "../x", &p, body, strlen(body)) == -1,
		    "cache: a domain that is no domain is refused");
		tap_ok(mtasts_cache_load(dir, "none.test", &q, 0) == 0,
		    "cache: none for another domain");
		tmpdir_remove();
	}
	if (argc > 1)
		file_rows(argv[1]);
	return tap_done();
}
