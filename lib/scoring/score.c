/* score: rule sets and their evaluation (see score.h, spam-score(5)).
 * Rule lines are the administrator's, checked strictly: a line that does
 * not parse is an error with its reason, never skipped.  Messages are
 * strangers': every regex runs under re.h's match limit on bounded text.
 * Runs under any uid. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "re.h"
#include "score.h"
#include "score_re.h"

/* Meta expression operators, as negative codes in the RPN. */
enum {
	OP_NUM = -1, OP_NOT = -2, OP_MUL = -3, OP_DIV = -4, OP_ADD = -5,
	OP_SUB = -6, OP_GT = -7, OP_LT = -8, OP_GE = -9, OP_LE = -10,
	OP_EQ = -11, OP_NE = -12, OP_AND = -13, OP_OR = -14, OP_LPAREN = -15
};

void
score_set_init(struct score_set *s)
{
	memset(s, 0, sizeof *s);
	score_ac_init(&s->ac);
}

static void
rule_free(struct score_rule *r)
{
	free(r->field);
	free(r->pat);
	score_re_free(r->re);
	free(r->rpn);
	free(r->num);
	free(r->describe);
	free(r->notice);
}

void
score_set_free(struct score_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		rule_free(&s->r[i]);
	free(s->r);
	free(s->order);
	free(s->ht);
	score_ac_free(&s->ac);
	memset(s, 0, sizeof *s);
}

/* Rule names are looked up for every line (defined twice?) and every
 * meta operand: a hash table of indexes, FNV-1a. */
static uint32_t
name_hash(const char *n)
{
	uint32_t h = 2166136261u;

	while (*n)
		h = (h ^ (unsigned char)*n++) * 16777619u;
	return h;
}

/* Room in the table for one more name.  0, or -1. */
static int
ht_grow(struct score_set *s)
{
	uint32_t *nt;
	size_t nc, i, k;

	if ((s->n + 1) * 2 <= s->hcap)
		return 0;
	nc = s->hcap ? s->hcap * 2 : 256;
	if ((nt = calloc(nc, sizeof *nt)) == NULL)
		return -1;
	for (i = 0; i < s->n; i++) {
		for (k = name_hash(s->r[i].name) & (nc - 1); nt[k]; k = (k + 1) & (nc - 1))
			;
		nt[k] = (uint32_t)i + 1;
	}
	free(s->ht);
	s->ht = nt;
	s->hcap = nc;
	return 0;
}

long
score_set_find(const struct score_set *s, const char *name)
{
	size_t k;

	if (s->hcap == 0)
		return -1;
	for (k = name_hash(name) & (s->hcap - 1); s->ht[k];
	    k = (k + 1) & (s->hcap - 1))
		if (strcmp(s->r[s->ht[k] - 1].name, name) == 0)
			return (long)s->ht[k] - 1;
	return -1;
}

int
score_set_uses_bayes(const struct score_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->r[i].kind == SCORE_BAYES)
			return 1;
	return 0;
}

/* The next white-space separated word of *p into w; its length. */
static size_t
word(const char **p, char *w, size_t wsize)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (*s && *s != ' ' && *s != '\t') {
		if (n + 1 < wsize)
			w[n] = *s;
		n++;
		s++;
	}
	w[n < wsize ? n : wsize - 1] = '\0';
	*p = s;
	return n;
}

static int
valid_name(const char *n)
{
	size_t i;

	if (!isalpha((unsigned char)n[0]) && n[0] != '_')
		return 0;
	for (i = 0; n[i]; i++)
		if (!isalnum((unsigned char)n[i]) && n[i] != '_')
			return 0;
	return i < SCORE_NAME_MAX;
}

static int
parse_score(const char *w, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(w, &end);
	return *w && *end == '\0' && errno == 0 && isfinite(*v) &&
	    fabs(*v) <= 1000 ? 0 : -1;
}

/* Split off the last word of s[0..*n) (the score), trimming both. */
static const char *
last_word(const char *s, size_t *n)
{
	size_t e = *n, b;

	while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	for (b = e; b > 0 && s[b - 1] != ' ' && s[b - 1] != '\t'; b--)
		;
	*n = b;
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s + b;
}

/* Compile r's regex, kept in r->pat: 0, or -1 with the reason in err. */
static int
rule_compile(struct score_rule *r, char *err, size_t es)
{
	char e[300];

	if ((r->re = score_re_compile(r->pat, r->reflags, e, sizeof e)) != NULL)
		return 0;
	if (errno == EINVAL)
		snprintf(err, es, "%s: bad regex: %s", r->name, e);
	else
		snprintf(err, es, "%s: %s", r->name, strerror(errno));
	return -1;
}

/* r's prefilter literals into the set's automaton.  0, or -1. */
static int
rule_literals(struct score_set *set, struct score_rule *r)
{
	struct score_litset ls;
	size_t k;

	r->nlit = 0;
	if (score_literals(r->pat + (r->dot ? 4 : 0), r->ext, &ls) == 0)
		return 0;
	for (k = 0; k < ls.n; k++)
		if ((r->lit[k] = score_ac_add(&set->ac, ls.lit[k],
		    strlen(ls.lit[k]))) < 0)
			return -1;
	r->nlit = ls.n;
	set->prefiltered++;
	return 0;
}

/* Read "/re/flags" (s[0..n)) into r, with %orgname% replaced; compiled
 * now when the set is eager, else when it first runs. */
static int
compile_re(struct score_set *set, struct score_rule *r, const char *s,
    size_t n, char *err, size_t es)
{
	struct buf pat = BUF_INIT;
	const char *close;
	unsigned fl = 0;
	int ext = 0, dot = 0, rc = -1;
	size_t i, k;

	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (n < 2 || s[0] != '/') {
		snprintf(err, es, "%s: expected /regex/flags", r->name);
		return -1;
	}
	for (close = s + n - 1; close > s && *close != '/'; close--)
		;
	if (close == s) {
		snprintf(err, es, "%s: regex without its closing /", r->name);
		return -1;
	}
	for (i = (size_t)(close - s) + 1; i < n; i++) {
		switch (s[i]) {
		case 'i': fl |= RE_ICASE; break;
		case 'm': fl |= RE_MULTILINE; break;
		case 's': dot = 1; break;
		case 'x': ext = 1; break;
		default:
			snprintf(err, es, "%s: unknown regex flag '%c'", r->name,
			    isprint((unsigned char)s[i]) ? s[i] : '?');
			return -1;
		}
	}
	if ((dot && buf_adds(&pat, "(?s)") == -1) ||
	    (ext && buf_adds(&pat, "(?x)") == -1))
		goto out;
	for (i = 1; i < (size_t)(close - s); i++) {
		if (s[i] == '%' && (size_t)(close - s) - i >= 9 &&
		    strncmp(s + i, "%orgname%", 9) == 0) {
			if (set->orgname[0] == '\0') {
				r->test = -2;   /* disabled: no control/orgname */
				buf_free(&pat);
				return 0;
			}
			for (k = 0; set->orgname[k]; k++) {
				if (!isalnum((unsigned char)set->orgname[k]) &&
				    buf_addc(&pat, '\\') == -1)
					goto out;
				if (buf_addc(&pat, set->orgname[k]) == -1)
					goto out;
			}
			i += 8;
			continue;
		}
		if (buf_addc(&pat, s[i]) == -1)
			goto out;
	}
	/* an empty pattern ("//") leaves pat without its NUL */
	if (buf_grow(&pat, 1) == -1)
		goto out;
	pat.p[pat.len] = '\0';
	r->pat = pat.p;
	r->reflags = fl;
	r->ext = (unsigned char)ext;
	r->dot = (unsigned char)dot;
	pat = (struct buf)BUF_INIT;
	if (set->eager) {
		if (rule_compile(r, err, es) == -1)
			goto out;
		if (rule_literals(set, r) == -1) {
			snprintf(err, es, "%s: out of memory", r->name);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc == -1 && err[0] == '\0')
		snprintf(err, es, "%s: out of memory", r->name);
	buf_free(&pat);
	return rc;
}

static const struct {
	const char     *word;
	enum score_kind kind;
} kinds[] = {
	{ "header", SCORE_HEADER }, { "body", SCORE_BODY },
	{ "rawbody", SCORE_RAWBODY }, { "uri", SCORE_URI },
	{ "full", SCORE_FULL }, { "test", SCORE_TEST },
	{ "bayes", SCORE_BAYES }, { "meta", SCORE_META },
};

/* Set a text attribute (describe, notice) of an existing rule. */
static int
attribute(struct score_set *s, const char *p, int notice, char *err, size_t es)
{
	char name[SCORE_NAME_MAX + 8];
	long i;
	char **dst, *v;

	if (word(&p, name, sizeof name) == 0 || (i = score_set_find(s, name)) < 0) {
		snprintf(err, es, "%s of an unknown rule '%s'",
		    notice ? "notice" : "describe", name);
		return -1;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || (notice && (strchr(p, '/') || strchr(p, ' ') ||
	    p[0] == '.'))) {
		snprintf(err, es, "%s: %s", name, notice ?
		    "notice needs a file name under notices/" : "empty describe");
		return -1;
	}
	dst = notice ? &s->r[i].notice : &s->r[i].describe;
	if ((v = strdup(p)) == NULL) {
		snprintf(err, es, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = v;
	return 0;
}

/* One line of a rule file (comments already removed).  0, or -1 with the
 * reason in err; the set is unchanged by a line that fails. */
int
score_set_line(struct score_set *s, const char *line, unsigned lineno,
    char *err, size_t es)
{
	struct score_rule r;
	char kw[16], fld[256], w[64];
	const char *p = line, *sc;
	size_t k, n;

	err[0] = '\0';
	s->lines++;
	if (word(&p, kw, sizeof kw) == 0)
		return 0;
	if (strcmp(kw, "describe") == 0 || strcmp(kw, "notice") == 0)
		return attribute(s, p, kw[0] == 'n', err, es);
	if (strcmp(kw, "score") == 0) {
		long i;
		double v;
		if (word(&p, fld, sizeof fld) == 0 || (i = score_set_find(s, fld)) < 0) {
			snprintf(err, es, "score of an unknown rule '%s'", fld);
			return -1;
		}
		if (word(&p, w, sizeof w) == 0 || parse_score(w, &v) == -1 ||
		    word(&p, fld, sizeof fld) != 0) {
			snprintf(err, es, "%s: score must be one number", s->r[i].name);
			return -1;
		}
		s->r[i].score = v;
		return 0;
	}
	memset(&r, 0, sizeof r);
	r.lineno = lineno;
	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		if (strcmp(kw, kinds[k].word) == 0)
			break;
	if (k == sizeof kinds / sizeof kinds[0]) {
		snprintf(err, es, "unknown rule type '%s'", kw);
		return -1;
	}
	r.kind = kinds[k].kind;
	if (word(&p, r.name, sizeof r.name) == 0 || !valid_name(r.name)) {
		snprintf(err, es, "%s rule without a valid name (letters, digits, _)", kw);
		return -1;
	}
	if (score_set_find(s, r.name) >= 0) {
		snprintf(err, es, "%s: defined twice", r.name);
		return -1;
	}
	if (s->n >= SCORE_RULES_MAX) {
		snprintf(err, es, "more than %d rules", SCORE_RULES_MAX);
		return -1;
	}
	if (r.kind == SCORE_HEADER) {
		if (word(&p, fld, sizeof fld) == 0 || !hdr_valid_name(fld, strlen(fld)) ||
		    strlen(fld) >= sizeof fld - 1) {
			snprintf(err, es, "%s: header rule needs a field name", r.name);
			return -1;
		}
	}
	n = strlen(p);
	sc = last_word(p, &n);
	if (parse_score(sc, &r.score) == -1) {
		snprintf(err, es, "%s: the last word must be the score, not '%.40s'",
		    r.name, sc);
		return -1;
	}
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	switch (r.kind) {
	case SCORE_HEADER:
		if ((r.field = strdup(fld)) == NULL) {
			snprintf(err, es, "out of memory");
			return -1;
		}
		/* FALLTHROUGH */
	case SCORE_BODY:
	case SCORE_RAWBODY:
	case SCORE_URI:
	case SCORE_FULL:
		if (compile_re(s, &r, p, n, err, es) == -1) {
			rule_free(&r);
			return -1;
		}
		break;
	case SCORE_TEST: {
		char fn[64];
		const char *a;
		char *end;
		if (n == 0 || n >= sizeof fn) {
			snprintf(err, es, "%s: test needs a built-in name", r.name);
			return -1;
		}
		memcpy(fn, p, n);
		fn[n] = '\0';
		if ((a = strchr(fn, '(')) != NULL) {
			fn[a - fn] = '\0';
			errno = 0;
			r.arg = strtod(a + 1, &end);
			if (end == a + 1 || *end != ')' || end[1] != '\0' || errno ||
			    !isfinite(r.arg)) {
				snprintf(err, es, "%s: test argument must be (number)", r.name);
				return -1;
			}
		}
		if ((r.test = score_test_lookup(fn)) < 0) {
			snprintf(err, es, "%s: unknown built-in test '%s'", r.name, fn);
			return -1;
		}
		break;
	}
	case SCORE_BAYES: {
		char lo[32], hi[32], extra[8];
		char *e1, *e2;
		const char *q = p;
		char span[128];
		if (n >= sizeof span) {
			snprintf(err, es, "%s: bayes needs LOW HIGH SCORE", r.name);
			return -1;
		}
		memcpy(span, p, n);
		span[n] = '\0';
		q = span;
		word(&q, lo, sizeof lo);
		word(&q, hi, sizeof hi);
		r.arg = strtod(lo, &e1);
		r.hi = strtod(hi, &e2);
		if (!lo[0] || !hi[0] || *e1 || *e2 || word(&q, extra, sizeof extra) ||
		    !(r.arg >= 0 && r.arg < r.hi && r.hi <= 1)) {
			snprintf(err, es, "%s: bayes needs LOW HIGH SCORE with "
			    "0 <= LOW < HIGH <= 1", r.name);
			return -1;
		}
		break;
	}
	case SCORE_META:
		if (n == 0 || (r.field = strndup(p, n)) == NULL) {
			snprintf(err, es, "%s: meta needs an expression", r.name);
			return -1;
		}
		break;
	}
	if (ht_grow(s) == -1) {
		rule_free(&r);
		snprintf(err, es, "out of memory");
		return -1;
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct score_rule *nr = reallocarray(s->r, nc, sizeof *nr);
		if (nr == NULL) {
			rule_free(&r);
			snprintf(err, es, "out of memory");
			return -1;
		}
		s->r = nr;
		s->cap = nc;
	}
	s->r[s->n] = r;
	for (k = name_hash(r.name) & (s->hcap - 1); s->ht[k]; k = (k + 1) & (s->hcap - 1))
		;
	s->ht[k] = (uint32_t)s->n + 1;
	s->n++;
	return 0;
}

static int
prec(int op)
{
	switch (op) {
	case OP_NOT: return 7;
	case OP_MUL: case OP_DIV: return 6;
	case OP_ADD: case OP_SUB: return 5;
	case OP_GT: case OP_LT: case OP_GE: case OP_LE: return 4;
	case OP_EQ: case OP_NE: return 3;
	case OP_AND: return 2;
	case OP_OR: return 1;
	}
	return 0;
}

/* Compile meta rule r's expression into RPN (shunting-yard). */
static int
meta_compile(struct score_set *s, struct score_rule *r, char *err, size_t es)
{
	int ops[SCORE_META_MAX], out[SCORE_META_MAX];
	double num[SCORE_META_MAX];
	size_t nops = 0, nout = 0, depth = 0;
	const char *p = r->field;
	int want_operand = 1;

	while (*p) {
		int op = 0;
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (nout >= SCORE_META_MAX || nops >= SCORE_META_MAX)
			goto toolong;
		if (want_operand) {
			if (*p == '!') {
				ops[nops++] = OP_NOT;
				p++;
				continue;
			}
			if (*p == '(') {
				ops[nops++] = OP_LPAREN;
				depth++;
				p++;
				continue;
			}
			if (isdigit((unsigned char)*p) || *p == '.') {
				char *end;
				num[nout] = strtod(p, &end);
				out[nout++] = OP_NUM;
				p = end;
				want_operand = 0;
				continue;
			}
			if (isalpha((unsigned char)*p) || *p == '_') {
				char nm[SCORE_NAME_MAX + 1];
				size_t l = 0;
				long i;
				while (isalnum((unsigned char)*p) || *p == '_') {
					if (l < SCORE_NAME_MAX)
						nm[l++] = *p;
					p++;
				}
				nm[l] = '\0';
				if ((i = score_set_find(s, nm)) < 0) {
					snprintf(err, es, "%s: meta uses an unknown rule '%s'",
					    r->name, nm);
					return -1;
				}
				if (s->r + i == r) {
					snprintf(err, es, "%s: meta uses itself", r->name);
					return -1;
				}
				num[nout] = 0;
				out[nout++] = (int)i;
				want_operand = 0;
				continue;
			}
			snprintf(err, es, "%s: meta: operand expected at '%.20s'",
			    r->name, p);
			return -1;
		}
		if (*p == ')') {
			if (depth == 0) {
				snprintf(err, es, "%s: meta: unbalanced ')'", r->name);
				return -1;
			}
			while (nops && ops[nops - 1] != OP_LPAREN)
				out[nout++] = ops[--nops];
			nops--;
			depth--;
			p++;
			continue;
		}
		if (p[0] == '&' && p[1] == '&') op = OP_AND, p += 2;
		else if (p[0] == '|' && p[1] == '|') op = OP_OR, p += 2;
		else if (p[0] == '>' && p[1] == '=') op = OP_GE, p += 2;
		else if (p[0] == '<' && p[1] == '=') op = OP_LE, p += 2;
		else if (p[0] == '=' && p[1] == '=') op = OP_EQ, p += 2;
		else if (p[0] == '!' && p[1] == '=') op = OP_NE, p += 2;
		else if (*p == '>') op = OP_GT, p++;
		else if (*p == '<') op = OP_LT, p++;
		else if (*p == '+') op = OP_ADD, p++;
		else if (*p == '-') op = OP_SUB, p++;
		else if (*p == '*') op = OP_MUL, p++;
		else if (*p == '/') op = OP_DIV, p++;
		else {
			snprintf(err, es, "%s: meta: operator expected at '%.20s'",
			    r->name, p);
			return -1;
		}
		while (nops && ops[nops - 1] != OP_LPAREN &&
		    prec(ops[nops - 1]) >= prec(op) && nout < SCORE_META_MAX)
			out[nout++] = ops[--nops];
		ops[nops++] = op;
		want_operand = 1;
	}
	if (want_operand || depth) {
		snprintf(err, es, "%s: meta: incomplete expression", r->name);
		return -1;
	}
	while (nops) {
		if (nout >= SCORE_META_MAX)
			goto toolong;
		out[nout++] = ops[--nops];
	}
	if ((r->rpn = calloc(nout, sizeof *r->rpn)) == NULL ||
	    (r->num = calloc(nout, sizeof *r->num)) == NULL) {
		snprintf(err, es, "out of memory");
		return -1;
	}
	memcpy(r->rpn, out, nout * sizeof *out);
	memcpy(r->num, num, nout * sizeof *num);
	r->nrpn = nout;
	return 0;
toolong:
	snprintf(err, es, "%s: meta expression over %d terms", r->name,
	    SCORE_META_MAX);
	return -1;
}

/* Depth-first: rule i after every rule its meta uses. */
static int
visit(struct score_set *s, size_t i, unsigned char *mark, size_t *no,
    char *err, size_t es)
{
	size_t k;

	if (mark[i] == 2)
		return 0;
	if (mark[i] == 1) {
		snprintf(err, es, "%s: meta rules refer to each other in a loop",
		    s->r[i].name);
		return -1;
	}
	mark[i] = 1;
	if (s->r[i].kind == SCORE_META)
		for (k = 0; k < s->r[i].nrpn; k++)
			if (s->r[i].rpn[k] >= 0 &&
			    visit(s, (size_t)s->r[i].rpn[k], mark, no, err, es) == -1)
				return -1;
	mark[i] = 2;
	s->order[(*no)++] = i;
	return 0;
}

/* The prefilter: every regex rule's literals into the automaton, which
 * texts need a scan, the automaton built.  0, or -1 when out of memory. */
static int
prepare(struct score_set *s)
{
	size_t i;

	if (s->prepared)
		return 0;
	for (i = 0; i < s->n; i++) {
		struct score_rule *r = &s->r[i];
		if (r->kind > SCORE_FULL || r->pat == NULL)
			continue;
		if (!s->eager && rule_literals(s, r) == -1)
			return -1;
		if (r->nlit == 0)
			continue;
		s->scan[r->kind == SCORE_HEADER ? 4 : r->kind - SCORE_BODY] = 1;
	}
	if (score_ac_build(&s->ac) == -1)
		return -1;
	s->prepared = 1;
	return 0;
}

/* After the last line: compile the metas, order the rules, build the
 * prefilter.  0, or -1 with the reason in err. */
int
score_set_finish(struct score_set *s, char *err, size_t es)
{
	unsigned char *mark;
	size_t i, no = 0;

	err[0] = '\0';
	for (i = 0; i < s->n; i++)
		if (s->r[i].kind == SCORE_META && s->r[i].rpn == NULL &&
		    meta_compile(s, &s->r[i], err, es) == -1)
			return -1;
	free(s->order);
	if ((s->order = calloc(s->n + 1, sizeof *s->order)) == NULL ||
	    (mark = calloc(s->n + 1, 1)) == NULL) {
		snprintf(err, es, "out of memory");
		return -1;
	}
	for (i = 0; i < s->n; i++)
		if (visit(s, i, mark, &no, err, es) == -1) {
			free(mark);
			return -1;
		}
	free(mark);
	if (s->eager && prepare(s) == -1) {
		snprintf(err, es, "out of memory");
		return -1;
	}
	s->ready = 1;
	return 0;
}

/* Run r's regex over t[0..n); 1 hit, 0 not; a match limit counts as no
 * hit and is remembered.  A regex not compiled yet is compiled now; when
 * that fails the rule does not hit, res->error is set and the set's err
 * and errline say why. */
static int
rmatch(struct score_set *s, struct score_rule *r, const char *t, size_t n,
    struct score_result *res)
{
	int m;

	if (r->re == NULL) {
		if (r->pat == NULL || rule_compile(r, s->err, sizeof s->err) == -1) {
			if (r->pat == NULL)
				snprintf(s->err, sizeof s->err, "%s: no regex", r->name);
			s->errline = r->lineno;
			res->error = errno == ENOMEM ? ENOMEM : EINVAL;
			return 0;
		}
	}
	res->regex_run++;
	m = score_re_match(r->re, t ? t : "", n, s->epoch);
	if (m == -1)
		res->limited = 1;
	return m == 1;
}

/* A header rule: every field of its name (or the whole decoded header
 * section for ALL), each matched alone. */
static int
header_hit(struct score_set *s, struct score_rule *r,
    const struct score_msg *sm, struct score_result *res)
{
	const char *p = sm->hdrs.p, *e = p + sm->hdrs.len;
	size_t fl = strlen(r->field);

	if (strcmp(r->field, "ALL") == 0)
		return rmatch(s, r, p, sm->hdrs.len, res);
	while (p && p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *end = nl ? nl : e;
		if ((size_t)(end - p) >= fl + 2 && strncasecmp(p, r->field, fl) == 0 &&
		    p[fl] == ':' && p[fl + 1] == ' ' &&
		    rmatch(s, r, p + fl + 2, (size_t)(end - p) - fl - 2, res))
			return 1;
		p = end + 1;
	}
	return 0;
}

static int
uri_hit(struct score_set *s, struct score_rule *r, const struct score_msg *sm,
    struct score_result *res)
{
	const char *p = sm->uris.p, *e = p + sm->uris.len;

	while (p && p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *end = nl ? nl : e;
		if (rmatch(s, r, p, (size_t)(end - p), res))
			return 1;
		p = end + 1;
	}
	return 0;
}

static double
meta_value(const struct score_rule *r, const struct score_result *res)
{
	double st[SCORE_META_MAX];
	size_t sp = 0, k;

	for (k = 0; k < r->nrpn; k++) {
		int op = r->rpn[k];
		double a, b;
		if (op >= 0) {
			st[sp++] = res->hit[op];
			continue;
		}
		if (op == OP_NUM) {
			st[sp++] = r->num[k];
			continue;
		}
		if (op == OP_NOT) {
			if (sp < 1)
				return 0;
			st[sp - 1] = st[sp - 1] == 0;
			continue;
		}
		if (sp < 2)
			return 0;
		b = st[--sp];
		a = st[sp - 1];
		switch (op) {
		case OP_MUL: a = a * b; break;
		case OP_DIV: a = b != 0 ? a / b : 0; break;
		case OP_ADD: a = a + b; break;
		case OP_SUB: a = a - b; break;
		case OP_GT: a = a > b; break;
		case OP_LT: a = a < b; break;
		case OP_GE: a = a >= b; break;
		case OP_LE: a = a <= b; break;
		case OP_EQ: a = a == b; break;
		case OP_NE: a = a != b; break;
		case OP_AND: a = a != 0 && b != 0; break;
		case OP_OR: a = a != 0 || b != 0; break;
		}
		st[sp - 1] = a;
	}
	return sp ? st[sp - 1] : 0;
}

/* Can rule r match, going by the literals found in this text? */
static int
maybe(const struct score_rule *r, const unsigned char *found)
{
	size_t k;

	if (r->nlit == 0)
		return 1;
	for (k = 0; k < r->nlit; k++)
		if (found[r->lit[k]])
			return 1;
	return 0;
}

/* Score one message: every rule in order, metas last.  bayes is the
 * Bayes probability, or negative when there is none.  0, or -1 with
 * errno: ENOMEM, or EINVAL when a rule's regex needed on this message
 * does not compile (the set's err and errline say which; the other
 * rules still ran, but the result is not kept). */
int
score_eval(struct score_set *s, struct score_msg *sm, double bayes,
    struct score_result *res)
{
	unsigned char *found;
	size_t i, nl;
	const struct msg *m = sm->m;

	memset(res, 0, sizeof *res);
	res->bayes = bayes;
	if (prepare(s) == -1)
		return -1;
	nl = s->ac.nlit ? s->ac.nlit : 1;
	s->epoch++;
	s->err[0] = '\0';
	s->errline = 0;
	if ((res->hit = calloc(s->n + 1, 1)) == NULL)
		return -1;
	res->n = s->n;
	if ((found = calloc(5, nl)) == NULL) {
		score_result_free(res);
		return -1;
	}
	/* one pass over each text that has rules with literals */
	if (s->scan[0])
		score_ac_scan(&s->ac, sm->text.p, sm->text.len, found);
	if (s->scan[1])
		score_ac_scan(&s->ac, sm->raw.p, sm->raw.len, found + nl);
	if (s->scan[2])
		score_ac_scan(&s->ac, sm->uris.p, sm->uris.len, found + 2 * nl);
	if (m && s->scan[3])
		score_ac_scan(&s->ac, m->raw.p, m->raw.len, found + 3 * nl);
	if (s->scan[4])
		score_ac_scan(&s->ac, sm->hdrs.p, sm->hdrs.len, found + 4 * nl);
	for (i = 0; i < s->n; i++) {
		struct score_rule *r = &s->r[s->order[i]];
		int h = 0;

		if (r->test == -2)
			continue;
		switch (r->kind) {
		case SCORE_HEADER:
			h = maybe(r, found + 4 * nl) && header_hit(s, r, sm, res);
			break;
		case SCORE_BODY:
			h = maybe(r, found) &&
			    rmatch(s, r, sm->text.p, sm->text.len, res);
			break;
		case SCORE_RAWBODY:
			h = maybe(r, found + nl) &&
			    rmatch(s, r, sm->raw.p, sm->raw.len, res);
			break;
		case SCORE_URI:
			h = maybe(r, found + 2 * nl) &&
			    uri_hit(s, r, sm, res);
			break;
		case SCORE_FULL:
			h = m && maybe(r, found + 3 * nl) &&
			    rmatch(s, r, m->raw.p, m->raw.len, res);
			break;
		case SCORE_TEST:
			h = score_test_run(r->test, r->arg, sm) == 1;
			break;
		case SCORE_BAYES:
			h = bayes >= 0 && bayes >= r->arg &&
			    (bayes < r->hi || (r->hi >= 1 && bayes <= 1));
			break;
		case SCORE_META: {
			/* a meta's count (a sum of rules) is kept, so that
			 * another meta may ask "__BULK >= 2" of it */
			double v = meta_value(r, res);
			h = v <= 0 ? v != 0 : v >= 255 ? 255 : v < 1 ? 1 : (int)v;
			break;
		}
		}
		if (h) {
			res->hit[s->order[i]] = (unsigned char)h;
			res->score += r->score;
		}
	}
	free(found);
	if (res->error) {
		int e = res->error;
		score_result_free(res);
		errno = e;
		return -1;
	}
	return 0;
}

/* The score without the weights of the bayes rules that hit: what
 * autolearning goes by, so that Bayes never teaches itself what it
 * already believes (SpamAssassin's bayes_auto_learn does the same). */
double
score_learn_score(const struct score_set *s, const struct score_result *res)
{
	double v = res->score;
	size_t i;

	for (i = 0; i < res->n && i < s->n; i++)
		if (res->hit[i] && s->r[i].kind == SCORE_BAYES)
			v -= s->r[i].score;
	return v;
}

/* The points of the header rules, and of the body, raw body and URI rules,
 * that hit (meta rules, built-in tests and Bayes in neither): autolearning
 * takes a message as spam only when both sides alone say so, as
 * SpamAssassin asks 3 points of each, so that a forged header or one
 * phrase in a body cannot teach Bayes. */
void
score_learn_parts(const struct score_set *s, const struct score_result *res,
    double *head, double *body)
{
	size_t i;

	*head = *body = 0;
	for (i = 0; i < res->n && i < s->n; i++) {
		if (!res->hit[i])
			continue;
		switch (s->r[i].kind) {
		case SCORE_HEADER:
			*head += s->r[i].score;
			break;
		case SCORE_BODY:
		case SCORE_RAWBODY:
		case SCORE_URI:
			*body += s->r[i].score;
			break;
		default:
			break;
		}
	}
}

void
score_result_free(struct score_result *res)
{
	free(res->hit);
	res->hit = NULL;
	res->n = 0;
}

static const struct score_set *cmp_set;

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(cmp_set->r[*(const size_t *)a].name,
	    cmp_set->r[*(const size_t *)b].name);
}

/* The names of the rules that hit, sorted as SpamAssassin lists them,
 * comma separated, without the __ sub-rules; "none" when there are
 * none.  0, or -1. */
int
score_tests(const struct score_set *s, const struct score_result *res,
    struct buf *out)
{
	size_t *ix, i, n = 0;

	buf_reset(out);
	if ((ix = calloc(res->n + 1, sizeof *ix)) == NULL)
		return -1;
	for (i = 0; i < res->n; i++)
		if (res->hit[i] && strncmp(s->r[i].name, "__", 2) != 0)
			ix[n++] = i;
	cmp_set = s;
	qsort(ix, n, sizeof *ix, cmp_name);
	for (i = 0; i < n; i++)
		if ((i && buf_addc(out, ',') == -1) ||
		    buf_adds(out, s->r[ix[i]].name) == -1) {
			free(ix);
			return -1;
		}
	free(ix);
	return n ? 0 : buf_adds(out, "none");
}
