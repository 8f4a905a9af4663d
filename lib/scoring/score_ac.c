/* score_ac: literal extraction and the multi-pattern automaton (see
 * score_ac.h).  Patterns come from rule files; texts from strangers.
 * Runs under any uid. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "score_ac.h"

void
score_ac_init(struct score_ac *a)
{
	memset(a, 0, sizeof *a);
}

void
score_ac_free(struct score_ac *a)
{
	size_t i;

	for (i = 0; i < a->nlit; i++)
		free(a->lit[i]);
	free(a->lit);
	free(a->delta);
	free(a->out);
	free(a->link);
	memset(a, 0, sizeof *a);
}

/* A new state with no transitions; its number, or -1. */
static int32_t
new_state(struct score_ac *a)
{
	if (a->nstates == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 256;
		int32_t *d, *o, *l;
		if (nc > INT32_MAX / 256) {
			errno = ENOMEM;
			return -1;
		}
		if ((d = reallocarray(a->delta, nc * a->ncls, sizeof *d)) == NULL)
			return -1;
		a->delta = d;
		if ((o = reallocarray(a->out, nc, sizeof *o)) == NULL)
			return -1;
		a->out = o;
		if ((l = reallocarray(a->link, nc, sizeof *l)) == NULL)
			return -1;
		a->link = l;
		a->cap = nc;
	}
	memset(a->delta + a->nstates * a->ncls, 0xff, a->ncls * sizeof *a->delta);
	a->out[a->nstates] = -1;
	a->link[a->nstates] = -1;
	return (int32_t)a->nstates++;
}

/* Add a literal (folded to lower case); its id, the same for the same
 * literal twice, or -1 when out of memory.  The automaton is built from
 * all of them at once by score_ac_build. */
long
score_ac_add(struct score_ac *a, const char *s, size_t n)
{
	char **nl, *l;
	size_t i;

	if (a->built) {
		errno = EINVAL;
		return -1;
	}
	if ((l = malloc(n + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		l[i] = (char)tolower((unsigned char)s[i]);
	l[n] = '\0';
	for (i = 0; i < a->nlit; i++)
		if (a->lit[i][0] == l[0] && strcmp(a->lit[i], l) == 0) {
			free(l);
			return (long)i;
		}
	if ((nl = reallocarray(a->lit, a->nlit + 1, sizeof *nl)) == NULL) {
		free(l);
		return -1;
	}
	a->lit = nl;
	a->lit[a->nlit] = l;
	return (long)a->nlit++;
}

/* Byte classes: a byte in no literal only ever leads back to the root,
 * so all such bytes are class 0; an upper-case letter is its lower-case
 * one; every other byte of a literal is a class of its own. */
static void
classes(struct score_ac *a)
{
	unsigned char used[256] = { 0 };
	size_t i, k, c, n = 1;

	for (i = 0; i < a->nlit; i++)
		for (k = 0; a->lit[i][k]; k++)
			used[(unsigned char)a->lit[i][k]] = 1;
	memset(a->cls, 0, sizeof a->cls);
	for (c = 0; c < 256; c++)
		if (used[c] && !(c >= 'A' && c <= 'Z'))
			a->cls[c] = (uint8_t)n++;
	for (c = 'A'; c <= 'Z'; c++)
		a->cls[c] = a->cls[c - 'A' + 'a'];
	a->ncls = n;
}

/* Build the automaton: the trie of the literals, then failure links in
 * breadth-first order folded into the table, so that scanning never
 * follows one.  0, or -1. */
int
score_ac_build(struct score_ac *a)
{
	int32_t *fail = NULL, *queue = NULL, st, nx;
	size_t head = 0, tail = 0, c, i, k, nc;

	classes(a);
	nc = a->ncls;
	a->nstates = 0;
	/* the trie has at most one state per literal byte and the root:
	 * the table is allocated once, never copied as it grows (a process
	 * per message pays for every page it touches) */
	for (i = 0, k = 1; i < a->nlit && k < INT32_MAX / 256; i++)
		k += strlen(a->lit[i]);
	if (k > a->cap && k < INT32_MAX / 256) {
		int32_t *d, *o, *l;
		if ((d = reallocarray(a->delta, k * nc, sizeof *d)) == NULL)
			return -1;
		a->delta = d;
		if ((o = reallocarray(a->out, k, sizeof *o)) == NULL)
			return -1;
		a->out = o;
		if ((l = reallocarray(a->link, k, sizeof *l)) == NULL)
			return -1;
		a->link = l;
		a->cap = k;
	}
	if (new_state(a) == -1)
		return -1;
	for (i = 0; i < a->nlit; i++) {
		for (st = 0, k = 0; a->lit[i][k]; k++) {
			c = a->cls[(unsigned char)a->lit[i][k]];
			if ((nx = a->delta[(size_t)st * nc + c]) == -1) {
				if ((nx = new_state(a)) == -1)
					return -1;
				a->delta[(size_t)st * nc + c] = nx;
			}
			st = nx;
		}
		a->out[st] = (int32_t)i;
	}
	if ((fail = calloc(a->nstates, sizeof *fail)) == NULL ||
	    (queue = calloc(a->nstates, sizeof *queue)) == NULL) {
		free(fail);
		return -1;
	}
	for (c = 0; c < nc; c++) {
		int32_t u = a->delta[c];
		if (u == -1)
			a->delta[c] = 0;
		else {
			fail[u] = 0;
			queue[tail++] = u;
		}
	}
	while (head < tail) {
		int32_t r = queue[head++];
		for (c = 0; c < nc; c++) {
			int32_t u = a->delta[(size_t)r * nc + c];
			int32_t f = a->delta[(size_t)fail[r] * nc + c];
			if (u == -1) {
				a->delta[(size_t)r * nc + c] = f;
				continue;
			}
			fail[u] = f;
			a->link[u] = a->out[f] >= 0 ? f : a->link[f];
			queue[tail++] = u;
		}
	}
	free(fail);
	free(queue);
	a->built = 1;
	return 0;
}

/* Mark found[id] = 1 for every literal in s[0..n), ASCII case folded. */
void
score_ac_scan(const struct score_ac *a, const char *s, size_t n,
    unsigned char *found)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	const int32_t *d = a->delta;
	const uint8_t *cls = a->cls;
	size_t ncls = a->ncls;
	int32_t st = 0, t;

	if (!a->built || a->nlit == 0)
		return;
	for (; p < e; p++) {
		st = d[(size_t)st * ncls + cls[*p]];
		t = a->out[st] >= 0 ? st : a->link[st];
		while (t > 0) {
			found[a->out[t]] = 1;
			t = a->link[t];
		}
	}
}

/* Where the class or group starting at p[i] ends (the index after it),
 * or 0 when it does not end. */
static size_t
skip_nested(const char *p, size_t i)
{
	int depth = 0, cls = 0;

	for (; p[i]; i++) {
		if (p[i] == '\\') {
			if (p[i + 1] == '\0')
				return 0;
			i++;
			continue;
		}
		if (cls) {
			if (p[i] == '[' && p[i + 1] == ':') {
				const char *e = strstr(p + i + 2, ":]");
				if (e == NULL)
					return 0;
				i = (size_t)(e - p) + 1;
				cls = 2;
			} else if (p[i] == ']' && cls > 1) {
				cls = 0;
				if (depth == 0)
					return i + 1;
			} else
				cls++;
			continue;
		}
		if (p[i] == '[') {
			cls = 1;
			if (p[i + 1] == '^')
				i++;
			continue;
		}
		if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && --depth <= 0)
			return i + 1;
	}
	return 0;
}

/* Inline option settings that turn on x: "(?x)", "(?ix:" */
static int
inline_extended(const char *p)
{
	const char *s;

	for (s = strstr(p, "(?"); s; s = strstr(s + 2, "(?")) {
		const char *t = s + 2;
		while (*t && (isalpha((unsigned char)*t) || *t == '-' || *t == '^')) {
			if (*t == 'x')
				return 1;
			t++;
		}
	}
	return 0;
}

/* A quantifier at p[i]: its length and whether it allows zero. */
static size_t
quantifier(const char *p, size_t i, size_t end, int *zero)
{
	size_t k = i;

	*zero = 0;
	if (k >= end)
		return 0;
	if (p[k] == '?' || p[k] == '*')
		*zero = 1, k++;
	else if (p[k] == '+')
		k++;
	else if (p[k] == '{' && k + 1 < end && isdigit((unsigned char)p[k + 1])) {
		size_t j = k + 1;
		unsigned long min = 0;
		while (j < end && isdigit((unsigned char)p[j]) && min < 100000)
			min = min * 10 + (unsigned long)(p[j++] - '0');
		if (j < end && p[j] == ',') {
			j++;
			while (j < end && isdigit((unsigned char)p[j]))
				j++;
		}
		if (j >= end || p[j] != '}')
			return 0;
		*zero = min == 0;
		k = j + 1;
	} else
		return 0;
	if (k < end && (p[k] == '?' || p[k] == '+'))
		k++;
	return k - i;
}

/* Is candidate a (n literals, shortest q) better than b?  The longer
 * shortest literal filters better; at a tie, fewer literals. */
static int
better(const struct score_litset *a, const struct score_litset *b)
{
	if (a->n == 0)
		return 0;
	if (b->n == 0)
		return 1;
	return a->q > b->q || (a->q == b->q && a->n < b->n);
}

static void
set_one(struct score_litset *s, const char *run, size_t n)
{
	memcpy(s->lit[0], run, n);
	s->lit[0][n] = '\0';
	s->n = 1;
	s->q = n;
}

static void alts(const char *, size_t, size_t, struct score_litset *, int);

/* The best required factor of the sequence p[a..b) (no top-level '|'):
 * a literal run, or the literal set of a group that must match. */
static void
seq(const char *p, size_t a, size_t b, struct score_litset *best, int depth)
{
	char run[SCORE_LIT_MAX + 1];
	struct score_litset cand;
	size_t i = a, rl = 0;

	best->n = 0;
	best->q = 0;
	while (i < b) {
		int lit = -1, zero = 0, stop = 0;
		size_t next = i + 1, q;

		cand.n = 0;
		if (p[i] == '\\') {
			int c = i + 1 < b ? (unsigned char)p[i + 1] : 0;
			next = i + 2;
			if (c == 0)
				break;
			if (c == 'x' && i + 3 < b &&
			    ascii_hex((unsigned char)p[i + 2]) >= 0 &&
			    ascii_hex((unsigned char)p[i + 3]) >= 0) {
				lit = ascii_hex((unsigned char)p[i + 2]) * 16 +
				    ascii_hex((unsigned char)p[i + 3]);
				next = i + 4;
			} else if (strchr("QxcoNpPgkE", c))
				stop = 1;
			else if (c == 'n')
				lit = '\n';
			else if (c == 't')
				lit = '\t';
			else if (!isalnum(c))
				lit = c;
		} else if (p[i] == '[') {
			if ((next = skip_nested(p, i)) == 0 || next > b)
				break;
		} else if (p[i] == '(') {
			size_t c0 = i + 1;
			int kind = 1;   /* 1: a group whose content must match */
			if ((next = skip_nested(p, i)) == 0 || next > b)
				break;
			if (p[c0] == '?') {
				const char *t = p + c0 + 1;
				if (*t == ':' || *t == '>' || *t == '|')
					c0 += 2;
				else if (*t == '<' && t[1] != '=' && t[1] != '!') {
					const char *gt = memchr(t, '>', next - 1 - (size_t)(t - p));
					kind = gt != NULL;
					c0 = gt ? (size_t)(gt - p) + 1 : c0;
				} else if (*t == 'P' && t[1] == '<') {
					const char *gt = memchr(t, '>', next - 1 - (size_t)(t - p));
					kind = gt != NULL;
					c0 = gt ? (size_t)(gt - p) + 1 : c0;
				} else {
					/* flags, then ':' for a group or ')' for a
					 * setting; lookarounds, comments, conditions:
					 * nothing required */
					const char *u = t;
					while (isalpha((unsigned char)*u) || *u == '-' || *u == '^')
						u++;
					if (u > t && *u == ':')
						c0 = (size_t)(u - p) + 1;
					else
						kind = 0;
				}
			}
			q = quantifier(p, next, b, &zero);
			if (kind && !zero && depth < 16)
				alts(p, c0, next - 1, &cand, depth + 1);
		} else if (p[i] == ')' || p[i] == '|')
			break;
		else if (p[i] != '.' && p[i] != '^' && p[i] != '$')
			lit = (unsigned char)p[i];
		if (stop)
			break;
		q = quantifier(p, next, b, &zero);
		if (lit >= 0 && !zero && rl < SCORE_LIT_MAX)
			run[rl++] = (char)tolower(lit);
		if (lit < 0 || q || rl >= SCORE_LIT_MAX) {
			struct score_litset r = { 0, 0, { { 0 } } };
			if (rl) {
				set_one(&r, run, rl);
				if (better(&r, best))
					*best = r;
			}
			rl = 0;
		}
		if (better(&cand, best))
			*best = cand;
		i = next + q;
	}
	if (rl) {
		set_one(&cand, run, rl);
		if (better(&cand, best))
			*best = cand;
	}
}

/* The literal set of the alternatives of p[a..b): each alternative's best
 * factor, all of them; none when one alternative has none. */
static void
alts(const char *p, size_t a, size_t b, struct score_litset *out, int depth)
{
	struct score_litset f;
	size_t i, start = a, k, j;
	int d = 0, cls = 0;

	out->n = 0;
	out->q = SCORE_LIT_MAX + 1;
	for (i = a; i <= b; i++) {
		if (i < b) {
			if (p[i] == '\\') {
				if (i + 1 < b)
					i++;
				continue;
			}
			if (cls) {
				if (p[i] == '[' && i + 1 < b && p[i + 1] == ':') {
					const char *e = strstr(p + i + 2, ":]");
					if (e && (size_t)(e - p) < b)
						i = (size_t)(e - p) + 1;
					cls = 2;
				} else if (p[i] == ']' && cls > 1)
					cls = 0;
				else
					cls++;
				continue;
			}
			if (p[i] == '[') {
				cls = 1;
				if (i + 1 < b && p[i + 1] == '^')
					i++;
				continue;
			}
			if (p[i] == '(')
				d++;
			else if (p[i] == ')')
				d--;
			if (p[i] != '|' || d != 0)
				continue;
		}
		seq(p, start, i, &f, depth);
		if (f.n == 0 || out->n + f.n > SCORE_LIT_SET) {
			out->n = 0;
			return;
		}
		for (k = 0; k < f.n; k++) {
			for (j = 0; j < out->n && strcmp(out->lit[j], f.lit[k]) != 0; j++)
				;
			if (j < out->n)
				continue;
			memcpy(out->lit[out->n++], f.lit[k], sizeof f.lit[k]);
		}
		if (f.q < out->q)
			out->q = f.q;
		start = i + 1;
	}
}

/* The literals of which every match of pattern must contain one, lower
 * case, into out; their count (0: none worth filtering on).
 * Conservative: anything not understood gives fewer or shorter literals
 * or none, never a wrong one.  extended: the x flag, where white space is
 * not literal. */
size_t
score_literals(const char *p, int extended, struct score_litset *out)
{
	size_t n = strlen(p);

	out->n = 0;
	if (extended || inline_extended(p))
		return 0;
	alts(p, 0, n, out, 0);
	if (out->n == 0 || out->q < SCORE_LIT_MIN) {
		out->n = 0;
		return 0;
	}
	return out->n;
}
