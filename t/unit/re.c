/* Unit tests for lib/scoring/re.c: compiling, matching bytes with lengths, the
 * case flag, offsets, reuse of one pattern, and the match limit. */
#include <errno.h>
#include <string.h>

#include "re.h"
#include "tap.h"

static const struct {
	const char *name, *pat;
	unsigned    flags;
	const char *subj;
	size_t      len;      /* 0: strlen(subj) */
	size_t      from;
	int         want;     /* 1 match, 0 none, -1 error */
	size_t      so, eo;
} rows[] = {
	{ "anchored name", "^Received$", RE_ICASE, "Received", 0, 0, 1, 0, 8 },
	{ "case-insensitive", "^Received$", RE_ICASE, "rECEIVED", 0, 0, 1, 0, 8 },
	{ "case-sensitive without the flag", "^Received$", 0, "received", 0, 0, 0, 0, 0 },
	{ "anchor refuses a longer name", "^Received$", RE_ICASE, "X-Received", 0, 0, 0, 0, 0 },
	{ "unanchored matches inside", "Received", RE_ICASE, "X-Received", 0, 0, 1, 2, 10 },
	{ "prefix pattern", "^X-MS-Exchange-", RE_ICASE, "x-ms-exchange-organization-authas", 0, 0, 1, 0, 14 },
	{ "negative lookahead exception", "^X-MS-Exchange-(?!Organization-SCL$)", RE_ICASE,
	  "X-MS-Exchange-Organization-SCL", 0, 0, 0, 0, 0 },
	{ "NUL inside the subject is data", "b\\x00c", 0, "ab\0cd", 5, 0, 1, 1, 4 },
	{ "the length bounds the subject", "cd", 0, "abcd", 3, 0, 0, 0, 0 },
	{ "8-bit bytes are bytes, not UTF-8", "^\\xe9t\\xe9$", 0, "\xe9t\xe9", 0, 0, 1, 0, 3 },
	{ "invalid UTF-8 is not an error", "x", 0, "\xff\xfe x", 0, 0, 1, 3, 4 },
	{ "start offset skips earlier matches", "a", 0, "a-a", 0, 1, 1, 2, 3 },
	{ "offset at the end", "a", 0, "a", 0, 1, 0, 0, 0 },
	{ "offset past the end is an error", "a", 0, "a", 0, 2, -1, 0, 0 },
	{ "multiline: ^ after a line end", "^b", RE_MULTILINE, "a\nb", 0, 0, 1, 2, 3 },
	{ "no multiline: ^ only at the start", "^b", 0, "a\nb", 0, 0, 0, 0, 0 },
	{ "empty subject", "^$", 0, "", 0, 0, 1, 0, 0 },
	{ "catastrophic backtracking hits the limit", "^(a+)+$", 0,
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", 0, 0, -1, 0, 0 },
};

static const struct {
	const char *name, *pat, *err;
} bad[] = {
	{ "unclosed group", "^X-(", "missing closing parenthesis at offset 4" },
	{ "nothing to repeat", "*a", "quantifier does not follow a repeatable item at offset 0" },
	{ "unclosed class", "[a", "missing terminating ] for character class at offset 2" },
};

int
main(void)
{
	size_t i;
	char name[256], err[300];
	struct re *r;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].subj);
		size_t so = 99, eo = 99;
		int got, again;

		r = re_compile(rows[i].pat, rows[i].flags, err, sizeof err);
		snprintf(name, sizeof name, "%s: compiles", rows[i].name);
		tap_ok(r != NULL, name);
		if (r == NULL)
			continue;
		errno = 0;
		got = re_match(r, rows[i].subj, len, rows[i].from, &so, &eo);
		snprintf(name, sizeof name, "%s: result", rows[i].name);
		tap_is_long(got, rows[i].want, name);
		if (got == 1) {
			snprintf(name, sizeof name, "%s: bounds", rows[i].name);
			tap_ok(so == rows[i].so && eo == rows[i].eo, name);
		}
		if (got == -1 && rows[i].from <= len) {
			snprintf(name, sizeof name, "%s: errno ERANGE", rows[i].name);
			tap_is_long(errno, ERANGE, name);
		}
		/* the match data is reused: a second match gives the same */
		again = re_match(r, rows[i].subj, len, rows[i].from, NULL, NULL);
		snprintf(name, sizeof name, "%s: same result again", rows[i].name);
		tap_is_long(again, got, name);
		re_free(r);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		r = re_compile(bad[i].pat, 0, err, sizeof err);
		snprintf(name, sizeof name, "%s: refused with EINVAL", bad[i].name);
		tap_ok(r == NULL && errno == EINVAL, name);
		snprintf(name, sizeof name, "%s: the reason", bad[i].name);
		tap_is(err, bad[i].err, name);
		re_free(r);
	}
	r = re_compile("x", 0, NULL, 0);
	tap_ok(r != NULL, "no error buffer is fine");
	if (r) {
		printf("# JIT %s\n", re_jitted(r) ? "in use" : "not available");
		re_free(r);
	}
	re_free(NULL);
	tap_ok(1, "re_free(NULL) is harmless");
	return tap_done();
}
