/* policy: the SENDER RECIPIENT [DIRECTION] ACTION rule table (see
 * policy.h).  Rule lines come from the administrator and are checked
 * strictly: a typo is an error the caller turns into exit 111, never a rule
 * that silently matches nothing.  Addresses matched come from strangers:
 * the glob is iterative, O(pattern x subject), and never recurses.  Runs
 * under any uid. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ascii.h"
#include "policy.h"

#define MAXFIELDS 5

static int
fail(char *err, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Describe a bad line in err; -1 with EINVAL. */
static int
fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (err && n) {
		va_start(ap, fmt);
		vsnprintf(err, n, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

void
policy_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->r[i].sender);
		free(p->r[i].rcpt);
	}
	free(p->r);
	memset(p, 0, sizeof *p);
}

/* Find the macro a pattern names, if any.  0 and *m = NULL when there is
 * none; -1 (err set) for an unknown one or two different ones. */
static int
find_macro(const char *pat, const struct policy_macro *mac, size_t nmac,
    const struct policy_macro **m, char *err, size_t errsize)
{
	const char *s;
	size_t i, len = 0;

	*m = NULL;
	for (s = strchr(pat, '%'); s; s = strchr(s + 1 + len, '%')) {
		const struct policy_macro *found = NULL;
		len = strspn(s + 1, "abcdefghijklmnopqrstuvwxyz0123456789_-");
		for (i = 0; i < nmac; i++)
			if (strlen(mac[i].name) == len &&
			    strncasecmp(s + 1, mac[i].name, len) == 0)
				found = &mac[i];
		if (found == NULL)
			return fail(err, errsize, "unknown macro %%%.*s in %s",
			    (int)(len > 64 ? 64 : len), s + 1, pat);
		if (*m && *m != found)
			return fail(err, errsize, "two different macros in %s", pat);
		*m = found;
	}
	return 0;
}

/* pat with every "%name" replaced by val (".d" becomes "*.d"), lower case,
 * one trailing dot dropped: into out. */
static int
expand(const char *pat, const char *name, const char *val, char *out,
    size_t outsize)
{
	size_t o = 0, nl = name ? strlen(name) : 0;
	const char *s = pat;

	while (*s) {
		const char *v = NULL;
		if (name && *s == '%' && strncasecmp(s + 1, name, nl) == 0) {
			v = val;
			s += 1 + nl;
			if (*v == '.' && o < outsize)
				out[o++] = '*';
			for (; *v && o < outsize; v++)
				out[o++] = (char)ascii_lower((unsigned char)*v);
			continue;
		}
		if (o < outsize)
			out[o++] = (char)ascii_lower((unsigned char)*s);
		s++;
	}
	if (o && out[o - 1] == '.')
		o--;
	if (o >= outsize)
		return -1;
	out[o] = '\0';
	return 0;
}

/* A pattern is "*" or has an '@'; nothing in it is a control byte. */
static int
check_pattern(const char *what, const char *pat, char *err, size_t errsize)
{
	const unsigned char *s;

	for (s = (const unsigned char *)pat; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			return fail(err, errsize, "control character in %s", what);
	if (strcmp(pat, "*") != 0 && strchr(pat, '@') == NULL)
		return fail(err, errsize, "%s %s is not an address pattern "
		    "(user@domain, * for any characters)", what, pat);
	if (strlen(pat) >= POLICY_PATTERN_MAX)
		return fail(err, errsize, "%s longer than %d bytes", what,
		    POLICY_PATTERN_MAX - 1);
	return 0;
}

static int
push(struct policy *p, const char *snd, const char *rcp, unsigned dir,
    enum verdict act, unsigned lineno)
{
	struct policy_rule *r;
	const char *s;

	if (p->n >= POLICY_RULES_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct policy_rule *nr = reallocarray(p->r, cap, sizeof *nr);
		if (nr == NULL)
			return -1;
		p->r = nr;
		p->cap = cap;
	}
	r = &p->r[p->n];
	memset(r, 0, sizeof *r);
	if ((r->sender = strdup(snd)) == NULL || (r->rcpt = strdup(rcp)) == NULL) {
		free(r->sender);
		return -1;
	}
	r->dir = dir;
	r->action = act;
	r->lineno = lineno;
	for (s = snd; *s; s++)
		if (*s == '*')
			r->stars++;
		else
			r->literal++;
	for (s = rcp; *s; s++)
		if (*s == '*')
			r->stars++;
		else
			r->literal++;
	p->n++;
	return 0;
}

/* Split line into white-space separated fields. */
static size_t
split(char *line, char **f)
{
	size_t n = 0;
	char *s = line;

	while (*s) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (*s == '\0')
			break;
		if (n == MAXFIELDS)
			return n + 1;
		f[n++] = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
	}
	return n;
}

static int
parse_dir(const char *s, unsigned *dir)
{
	if (strcasecmp(s, "in") == 0 || strcasecmp(s, "inbound") == 0)
		*dir = POLICY_IN;
	else if (strcasecmp(s, "out") == 0 || strcasecmp(s, "outbound") == 0)
		*dir = POLICY_OUT;
	else if (strcasecmp(s, "both") == 0)
		*dir = POLICY_BOTH;
	else
		return -1;
	return 0;
}

/* Add the rules of one line (comments already removed).  0; or -1 with
 * EINVAL and err describing the mistake, E2BIG past POLICY_RULES_MAX, or
 * ENOMEM. */
int
policy_add_line(struct policy *p, const char *line, unsigned lineno,
    const struct policy_macro *mac, size_t nmac, char *err, size_t errsize)
{
	const struct policy_macro *ms, *mr;
	char copy[4 * POLICY_PATTERN_MAX], *f[MAXFIELDS + 1];
	char s[POLICY_PATTERN_MAX], r[POLICY_PATTERN_MAX];
	enum verdict act;
	unsigned dir = POLICY_BOTH;
	size_t n, i, j, ni, nj;

	if ((size_t)snprintf(copy, sizeof copy, "%s", line) >= sizeof copy)
		return fail(err, errsize, "line too long");
	n = split(copy, f);
	if (n < 3 || n > 4)
		return fail(err, errsize, "want SENDER RECIPIENT [DIRECTION] ACTION, "
		    "found %zu field%s", n, n == 1 ? "" : "s");
	if (n == 4 && parse_dir(f[2], &dir) == -1)
		return fail(err, errsize, "unknown direction %.64s (in, out, both)",
		    f[2]);
	if (verdict_parse(f[n - 1], &act) == -1 || act == VERDICT_TEMPFAIL)
		return fail(err, errsize, "unknown action %.64s "
		    "(pass, flag, quarantine, reject)", f[n - 1]);
	if (check_pattern("SENDER", f[0], err, errsize) == -1 ||
	    check_pattern("RECIPIENT", f[1], err, errsize) == -1 ||
	    find_macro(f[0], mac, nmac, &ms, err, errsize) == -1 ||
	    find_macro(f[1], mac, nmac, &mr, err, errsize) == -1)
		return -1;
	p->lines++;
	/* a macro with no values (no localdomains) makes the line vanish */
	ni = ms ? ms->n : 1;
	nj = mr ? mr->n : 1;
	for (i = 0; i < ni; i++) {
		if (expand(f[0], ms ? ms->name : NULL, ms ? ms->val[i] : NULL,
		    s, sizeof s) == -1)
			return fail(err, errsize, "SENDER longer than %d bytes "
			    "after expansion", POLICY_PATTERN_MAX - 1);
		for (j = 0; j < nj; j++) {
			if (expand(f[1], mr ? mr->name : NULL, mr ? mr->val[j] : NULL,
			    r, sizeof r) == -1)
				return fail(err, errsize, "RECIPIENT longer than %d "
				    "bytes after expansion", POLICY_PATTERN_MAX - 1);
			if (push(p, s, r, dir, act, lineno) == -1)
				return -1;
		}
	}
	return 0;
}

/* Every value of a rule file read by ctl_rules; on a bad line, err says
 * "rules line N: ..." and -1 is returned with EINVAL. */
int
policy_load(struct policy *p, const struct ctl_list *l,
    const struct policy_macro *mac, size_t nmac, char *err, size_t errsize)
{
	char why[512];
	size_t i;

	memset(p, 0, sizeof *p);
	for (i = 0; i < l->n; i++) {
		why[0] = '\0';
		if (policy_add_line(p, l->v[i], l->lineno[i], mac, nmac, why,
		    sizeof why) == -1) {
			int e = errno;
			if (e == E2BIG)
				snprintf(why, sizeof why, "more than %d rules after "
				    "expansion", POLICY_RULES_MAX);
			if (e == EINVAL || e == E2BIG)
				fail(err, errsize, "rules line %u: %s", l->lineno[i], why);
			policy_free(p);
			errno = e == E2BIG ? EINVAL : e;
			return -1;
		}
	}
	return 0;
}

/* Does s[0..n) match pattern ('*': any run of bytes; ASCII case does not
 * matter)?  Greedy with one backtrack point: linear in practice,
 * O(len(pattern) * n) at worst, whatever the subject holds. */
int
policy_glob(const char *pat, const char *s, size_t n)
{
	const char *star = NULL;
	size_t i = 0, mark = 0;

	while (i < n) {
		if (*pat == '*') {
			star = pat++;
			mark = i;
		} else if (*pat && ascii_lower((unsigned char)*pat) ==
		    ascii_lower((unsigned char)s[i])) {
			pat++;
			i++;
		} else if (star) {
			pat = star + 1;
			i = ++mark;
		} else
			return 0;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/* Does a RECIPIENT pattern say nothing about the recipient ("*@*", "*")?
 * Only those rules apply when the recipients are unknown. */
int
policy_rcpt_any(const char *pat)
{
	return pat[strspn(pat, "*@")] == '\0';
}

/* The rule that decides for sender -> rcpt in direction dir (POLICY_IN or
 * POLICY_OUT): of the rules that match, the one with the fewest '*', then
 * the most other characters, then the first.  rcpt NULL: the recipient is
 * unknown.  NULL when no rule matches. */
const struct policy_rule *
policy_match(const struct policy *p, const char *sender, const char *rcpt,
    unsigned dir)
{
	const struct policy_rule *best = NULL;
	size_t i, sn = strlen(sender), rn = rcpt ? strlen(rcpt) : 0;

	/* "x@example.com." is x@example.com (RFC 1034 3.1: absolute name) */
	if (sn && sender[sn - 1] == '.')
		sn--;
	if (rn && rcpt[rn - 1] == '.')
		rn--;
	for (i = 0; i < p->n; i++) {
		const struct policy_rule *r = &p->r[i];
		if (!(r->dir & dir))
			continue;
		if (best && (r->stars > best->stars || (r->stars == best->stars &&
		    r->literal <= best->literal)))
			continue;
		if (!policy_glob(r->sender, sender, sn))
			continue;
		if (rcpt ? !policy_glob(r->rcpt, rcpt, rn) : !policy_rcpt_any(r->rcpt))
			continue;
		best = r;
	}
	return best;
}
