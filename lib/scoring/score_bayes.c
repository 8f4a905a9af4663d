/* score_bayes: tokens, the LMDB store and the chi-square combination
 * (see score_bayes.h).  Messages are strangers'; the database is ours but
 * may be shared with other processes at the same moment.  Runs under the
 * uid of its caller. */
#include <ctype.h>
#include <errno.h>
#include <lmdb.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "score_bayes.h"
#include "score_html.h"

/* Robinson's strength of the prior and the prior for a token seen rarely:
 * with s = 1 a hapax (a token learned once) counts half as much as its
 * one sighting says, which held out in 5 folds on the development corpus
 * kept more spam above 0.6 than bogofilter's 0.45 (21 of 500 below
 * against 27) with no more ham above it; tokens closer to 0.5 than
 * MIN_DEV say nothing and are left out; the most telling MAX_TOKENS are
 * combined. */
#define ROB_S      1.0
#define ROB_X      0.5
#define MIN_DEV    0.1
#define MAX_TOKENS 150

/* A token's value: 12 bytes now, 8 (no day) as written before days
 * were kept; day 0 means "not stored". */
struct counts {
	uint32_t spam, ham, day;
};
#define COUNTS_OLD 8

/* Expiry deletes in write transactions of this many tokens (or ten times
 * as many looked at), so that a checker that autolearns waits for the
 * writer lock no longer than one batch takes. */
#define EXPIRE_BATCH 5000

/* The counts in v; 0, or -1 when v is neither size. */
static int
counts_get(const MDB_val *v, struct counts *c)
{
	memset(c, 0, sizeof *c);
	if (v->mv_size != sizeof *c && v->mv_size != COUNTS_OLD)
		return -1;
	memcpy(c, v->mv_data, v->mv_size);
	return 0;
}

static uint64_t
fnv(uint64_t h, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct toks {
	uint64_t *v;
	size_t    n, max;
};

static void
add(struct toks *t, const char *prefix, const char *s, size_t n)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, prefix, strlen(prefix));

	if (t->n < t->max)
		t->v[t->n++] = fnv(h, s, n);
}

static int
tokc(unsigned char c)
{
	return isalnum(c) || c >= 0x80 || c == '$' || c == '\'' || c == '-' ||
	    c == '!';
}

/* Words of s[0..n) as tokens under prefix: ASCII folded, 3 to 24 bytes,
 * longer ones as a prefix with a length class, bare numbers left out. */
static void
words(struct toks *t, const char *prefix, const char *s, size_t n)
{
	char w[32];
	size_t i = 0;

	while (i < n && t->n < t->max) {
		size_t a, l, k, digits = 0;
		while (i < n && !tokc((unsigned char)s[i]))
			i++;
		for (a = i; i < n && tokc((unsigned char)s[i]); i++)
			;
		while (a < i && (s[a] == '-' || s[a] == '\''))
			a++;
		l = i - a;
		while (l > 0 && (s[a + l - 1] == '-' || s[a + l - 1] == '\''))
			l--;
		if (l < 3)
			continue;
		for (k = 0; k < l && k < 24; k++) {
			w[k] = (char)tolower((unsigned char)s[a + k]);
			digits += isdigit((unsigned char)w[k]) != 0;
		}
		if (digits == l)
			continue;
		if (l > 24) {
			char sk[40];
			int m = snprintf(sk, sizeof sk, "%.8s:%zu", w, l / 8);
			add(t, "skip:", sk, (size_t)m);
			continue;
		}
		add(t, prefix, w, l);
	}
}

static int
cmp64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The distinct tokens of sm into v (at most max); their count. */
size_t
score_bayes_tokens(const struct score_msg *sm, uint64_t *v, size_t max)
{
	static const char *const fields[] = {
		"From", "Reply-To", "To", "X-Mailer", "User-Agent", "Content-Type",
		"Message-ID", "Return-Path", "Received", "X-Priority", "Errors-To",
		"List-Id", "List-Unsubscribe", "Precedence", "Sender",
		"X-MSMail-Priority",
	};
	struct toks t = { v, 0, max };
	const char *p, *e, *nl;
	size_t i, o;

	p = sm->text.p ? sm->text.p : "";
	nl = memchr(p, '\n', sm->text.len);
	if (nl && sm->h && hdr_find(sm->h, "Subject", 0) >= 0) {
		words(&t, "S:", p, (size_t)(nl - p));
		words(&t, "", nl + 1, sm->text.len - (size_t)(nl + 1 - p));
	} else
		words(&t, "", p, sm->text.len);
	/* header fields, from the decoded "Name: value" lines */
	p = sm->hdrs.p;
	e = p ? p + sm->hdrs.len : p;
	while (p && p < e) {
		const char *end = memchr(p, '\n', (size_t)(e - p));
		const char *colon;
		if (end == NULL)
			end = e;
		colon = memchr(p, ':', (size_t)(end - p));
		/* every field's name: which fields a sender writes tells its
		 * software (a mailing list manager, a mass mailer, a client) */
		if (colon && colon > p && colon - p < 64) {
			char nm[64];
			size_t k, l = (size_t)(colon - p);
			for (k = 0; k < l; k++)
				nm[k] = (char)tolower((unsigned char)p[k]);
			add(&t, "N:", nm, l);
		}
		for (i = 0; colon && i < sizeof fields / sizeof fields[0]; i++)
			if ((size_t)(colon - p) == strlen(fields[i]) &&
			    strncasecmp(p, fields[i], strlen(fields[i])) == 0) {
				char pre[24];
				snprintf(pre, sizeof pre, "H%.4s:", fields[i]);
				words(&t, pre, colon + 1, (size_t)(end - colon - 1));
				break;
			}
		p = end + 1;
	}
	/* the hosts of the links, and each parent domain */
	p = sm->uris.p;
	e = p ? p + sm->uris.len : p;
	while (p && p < e && t.n < t.max) {
		const char *end = memchr(p, '\n', (size_t)(e - p));
		char host[256];
		if (end == NULL)
			end = e;
		if (score_uri_host(p, (size_t)(end - p), host, sizeof host) == 0) {
			const char *d = host;
			while (d && strchr(d, '.')) {
				add(&t, "U:", d, strlen(d));
				d = strchr(d, '.') + 1;
			}
		}
		p = end + 1;
	}
	qsort(v, t.n, sizeof *v, cmp64);
	for (i = o = 0; i < t.n; i++)
		if (o == 0 || v[o - 1] != v[i])
			v[o++] = v[i];
	return o;
}

/* Open the database at path.  Writable: created when missing, learning
 * and expiry allowed; opening it writes nothing when it exists, so that a
 * checker that may autolearn costs a write transaction only when it
 * learns.  0; 1 when it does not exist and we only read (no Bayes: not an
 * error); -1 with errno. */
int
score_bayes_open(struct score_bayes *b, const char *path, int writable)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	unsigned create = 0;
	int rc;

	memset(b, 0, sizeof *b);
	b->min = SCORE_BAYES_MIN;
	b->today = (uint32_t)(time(NULL) / 86400);
	if ((rc = mdb_env_create(&env)) != 0) {
		errno = rc > 0 ? rc : ENOMEM;
		return -1;
	}
	mdb_env_set_maxdbs(env, 4);
	mdb_env_set_mapsize(env, SCORE_BAYES_MAPSIZE);
	rc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_NOMETASYNC |
	    (writable ? 0 : MDB_RDONLY), 0640);
	if (rc != 0) {
		mdb_env_close(env);
		if (rc == ENOENT && !writable)
			return 1;
		errno = rc > 0 ? rc : EIO;
		return -1;
	}
	b->env = env;
	b->rdonly = !writable;
again:
	if ((rc = mdb_txn_begin(env, NULL, create ? 0 : MDB_RDONLY, &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, "tokens", create, &dbi)) != 0) {
		mdb_txn_abort(txn);
		if (rc == MDB_NOTFOUND && writable && !create) {
			create = MDB_CREATE;
			goto again;
		}
		if (rc == MDB_NOTFOUND && !writable) {
			score_bayes_close(b);
			return 1;
		}
		goto fail;
	}
	b->tok = dbi;
	if ((rc = mdb_dbi_open(txn, "meta", create, &dbi)) != 0) {
		mdb_txn_abort(txn);
		if (rc == MDB_NOTFOUND && writable && !create) {
			create = MDB_CREATE;
			goto again;
		}
		goto fail;
	}
	b->meta = dbi;
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	return 0;
fail:
	score_bayes_close(b);
	errno = rc > 0 ? rc : EIO;
	return -1;
}

void
score_bayes_close(struct score_bayes *b)
{
	if (b->txn)
		mdb_txn_abort(b->txn);
	if (b->env)
		mdb_env_close(b->env);
	memset(b, 0, sizeof *b);
}

static int
get_count(MDB_txn *txn, MDB_dbi dbi, const char *key, uint32_t *out)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc = mdb_get(txn, dbi, &k, &v);

	*out = 0;
	if (rc == 0 && v.mv_size == sizeof *out)
		memcpy(out, v.mv_data, sizeof *out);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : rc;
}

static int
put_count(MDB_txn *txn, MDB_dbi dbi, const char *key, uint32_t n)
{
	MDB_val k = { strlen(key), (void *)key }, v = { sizeof n, &n };

	return mdb_put(txn, dbi, &k, &v, 0);
}

/* The day this version first wrote the database, stamped now (in the
 * write transaction txn) when it was not yet: tokens without a day count
 * as learned then.  0, or an LMDB error. */
static int
since_mark(MDB_txn *txn, MDB_dbi meta, uint32_t today)
{
	uint32_t since;
	int rc;

	if ((rc = get_count(txn, meta, "since", &since)) != 0 || since != 0)
		return rc;
	return put_count(txn, meta, "since", today ? today : 1);
}

/* A message's identity for "learned already": its Message-ID and its
 * tokens hashed together (the same text sent twice is one message; the
 * same Message-ID with other text is another). */
static uint64_t
msg_id(const struct score_msg *sm, const uint64_t *v, size_t n)
{
	struct buf id = BUF_INIT;
	uint64_t h = 0xcbf29ce484222325ULL;

	if (sm->h && score_msg_field(sm, "Message-ID", 0, &id) >= 0 && id.p)
		h = fnv(h, id.p, id.len);
	buf_free(&id);
	return fnv(h, (const char *)v, n * sizeof *v);
}

/* Learn sm as spam (1) or ham (0), in the write transaction that
 * score_bayes_commit ends; every token of it is stamped with b->today.
 * 0 learned; 1 learned already (as that class; with newonly, as either);
 * -1 with errno.  Without newonly a message learned before as the other
 * class moves over. */
static int
learn(struct score_bayes *b, const struct score_msg *sm, int spam, int newonly)
{
	MDB_txn *txn;
	uint64_t *v, id;
	size_t n, i;
	uint32_t ns, nh;
	char seenk[24];
	MDB_val k, d;
	int rc, was = -1;
	unsigned char cls = spam ? 's' : 'h';

	if (b->rdonly || b->env == NULL) {
		errno = EROFS;
		return -1;
	}
	if (b->txn == NULL && (rc = mdb_txn_begin(b->env, NULL, 0,
	    (MDB_txn **)&b->txn)) != 0) {
		errno = rc > 0 ? rc : EIO;
		return -1;
	}
	txn = b->txn;
	if ((v = calloc(SCORE_BAYES_TOKENS, sizeof *v)) == NULL)
		return -1;
	n = score_bayes_tokens(sm, v, SCORE_BAYES_TOKENS);
	id = msg_id(sm, v, n);
	memcpy(seenk, "seen:", 5);
	memcpy(seenk + 5, &id, sizeof id);
	k.mv_size = 5 + sizeof id;
	k.mv_data = seenk;
	if ((rc = mdb_get(txn, b->meta, &k, &d)) == 0 && d.mv_size == 1)
		was = *(unsigned char *)d.mv_data == 's';
	else if (rc != MDB_NOTFOUND)
		goto fail;
	if (was == spam || (newonly && was != -1)) {
		free(v);
		return 1;
	}
	if ((rc = since_mark(txn, b->meta, b->today)) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		MDB_val tk = { sizeof v[i], &v[i] }, tv;
		struct counts c = { 0, 0, 0 };
		if ((rc = mdb_get(txn, b->tok, &tk, &tv)) == 0)
			counts_get(&tv, &c);
		else if (rc != MDB_NOTFOUND)
			goto fail;
		if (was == 1 && c.spam)
			c.spam--;
		if (was == 0 && c.ham)
			c.ham--;
		if (spam)
			c.spam++;
		else
			c.ham++;
		c.day = b->today;
		tv.mv_size = sizeof c;
		tv.mv_data = &c;
		if ((rc = mdb_put(txn, b->tok, &tk, &tv, 0)) != 0)
			goto fail;
	}
	if ((rc = get_count(txn, b->meta, "nspam", &ns)) != 0 ||
	    (rc = get_count(txn, b->meta, "nham", &nh)) != 0)
		goto fail;
	if (was == 1 && ns)
		ns--;
	if (was == 0 && nh)
		nh--;
	if (spam)
		ns++;
	else
		nh++;
	d.mv_size = 1;
	d.mv_data = &cls;
	if ((rc = put_count(txn, b->meta, "nspam", ns)) != 0 ||
	    (rc = put_count(txn, b->meta, "nham", nh)) != 0 ||
	    (rc = mdb_put(txn, b->meta, &k, &d, 0)) != 0)
		goto fail;
	free(v);
	return 0;
fail:
	free(v);
	mdb_txn_abort(txn);
	b->txn = NULL;
	errno = rc > 0 ? rc : EIO;
	return -1;
}

int
score_bayes_learn(struct score_bayes *b, const struct score_msg *sm, int spam)
{
	return learn(b, sm, spam, 0);
}

/* Learn sm only when it was never learned, as either class: what
 * autolearning does, so that it never overrides what a person taught. */
int
score_bayes_learn_new(struct score_bayes *b, const struct score_msg *sm,
    int spam)
{
	return learn(b, sm, spam, 1);
}

/* Commit what was learned.  0, or -1 with errno. */
int
score_bayes_commit(struct score_bayes *b)
{
	int rc;

	if (b->txn == NULL)
		return 0;
	rc = mdb_txn_commit(b->txn);
	b->txn = NULL;
	if (rc != 0) {
		errno = rc > 0 ? rc : EIO;
		return -1;
	}
	return 0;
}

/* The chi-square survival function for even degrees of freedom v: the
 * probability that chi-square with v degrees exceeds x2. */
double
score_bayes_chi2q(double x2, unsigned v)
{
	double m = x2 / 2, sum, term;
	unsigned i;

	if (x2 <= 0 || v < 2)
		return 1;
	sum = term = exp(-m);
	for (i = 1; i < v / 2; i++) {
		term *= m / i;
		sum += term;
	}
	return sum < 1 ? sum : 1;
}

static int
cmp_dev(const void *a, const void *b)
{
	double x = fabs(*(const double *)a - 0.5), y = fabs(*(const double *)b - 0.5);

	return x < y ? 1 : x > y ? -1 : 0;
}

/* The probability that sm is spam, in [0, 1]; -1 when the database has
 * learned too little (fewer than min of either kind) or cannot be read. */
double
score_bayes_prob(struct score_bayes *b, const struct score_msg *sm)
{
	MDB_txn *txn;
	uint64_t *v;
	double *f, ls = 0, lh = 0, p;
	size_t n, i, nf = 0;
	uint32_t ns, nh;

	if (b->env == NULL)
		return -1;
	if (mdb_txn_begin(b->env, NULL, MDB_RDONLY, &txn) != 0)
		return -1;
	if (get_count(txn, b->meta, "nspam", &ns) != 0 ||
	    get_count(txn, b->meta, "nham", &nh) != 0) {
		mdb_txn_abort(txn);
		return -1;
	}
	b->nspam = ns;
	b->nham = nh;
	if (ns < b->min || nh < b->min || ns == 0 || nh == 0) {
		mdb_txn_abort(txn);
		return -1;
	}
	v = calloc(SCORE_BAYES_TOKENS, sizeof *v);
	f = calloc(SCORE_BAYES_TOKENS, sizeof *f);
	if (v == NULL || f == NULL) {
		free(v);
		free(f);
		mdb_txn_abort(txn);
		return -1;
	}
	n = score_bayes_tokens(sm, v, SCORE_BAYES_TOKENS);
	for (i = 0; i < n; i++) {
		MDB_val tk = { sizeof v[i], &v[i] }, tv;
		struct counts c;
		double rs, rh, pw, fw, cnt;
		if (mdb_get(txn, b->tok, &tk, &tv) != 0 || counts_get(&tv, &c) == -1)
			continue;
		if (c.spam + c.ham == 0)
			continue;
		rs = (double)c.spam / ns;
		rh = (double)c.ham / nh;
		pw = rs / (rs + rh);
		cnt = (double)c.spam + c.ham;
		fw = (ROB_S * ROB_X + cnt * pw) / (ROB_S + cnt);
		if (fabs(fw - 0.5) >= MIN_DEV)
			f[nf++] = fw;
	}
	mdb_txn_abort(txn);
	free(v);
	if (nf == 0) {
		free(f);
		return 0.5;
	}
	qsort(f, nf, sizeof *f, cmp_dev);
	if (nf > MAX_TOKENS)
		nf = MAX_TOKENS;
	for (i = 0; i < nf; i++) {
		double x = f[i] < 1e-6 ? 1e-6 : f[i] > 1 - 1e-6 ? 1 - 1e-6 : f[i];
		lh += log(x);
		ls += log(1 - x);
	}
	free(f);
	/* H near 1: the tokens look like spam; S near 1: like ham */
	{
		double h = score_bayes_chi2q(-2 * lh, 2 * (unsigned)nf);
		double s = score_bayes_chi2q(-2 * ls, 2 * (unsigned)nf);
		p = (1 + h - s) / 2;
	}
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* Walk every token in a read transaction: fn(arg, token, spam, ham, day)
 * for each, day 0 when none is stored; a non-zero return from fn stops
 * the walk and is returned.  0, or -1 with errno. */
int
score_bayes_each(struct score_bayes *b, score_bayes_fn fn, void *arg)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, r = 0;

	if (b->env == NULL) {
		errno = ENOENT;
		return -1;
	}
	if ((rc = mdb_txn_begin(b->env, NULL, MDB_RDONLY, &txn)) != 0) {
		errno = rc > 0 ? rc : EIO;
		return -1;
	}
	if ((rc = mdb_cursor_open(txn, b->tok, &cur)) != 0) {
		mdb_txn_abort(txn);
		errno = rc > 0 ? rc : EIO;
		return -1;
	}
	while (r == 0 && (rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		struct counts c;
		uint64_t t;
		if (k.mv_size != sizeof t || counts_get(&v, &c) == -1)
			continue;
		memcpy(&t, k.mv_data, sizeof t);
		r = fn(arg, t, c.spam, c.ham, c.day);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		errno = rc > 0 ? rc : EIO;
		return -1;
	}
	return r;
}

static int
stats_one(void *arg, uint64_t t, uint32_t spam, uint32_t ham, uint32_t day)
{
	struct score_bayes_stats *st = arg;

	(void)t;
	st->tokens++;
	st->hapaxes += (uint64_t)spam + ham == 1;
	if (day == 0)
		st->undated++;
	else {
		if (st->oldest == 0 || day < st->oldest)
			st->oldest = day;
		if (day > st->newest)
			st->newest = day;
	}
	return 0;
}

/* Counts of the database for --bayes-stats, in one read transaction for
 * the meta data and one walk over the tokens.  0, or -1 with errno. */
int
score_bayes_stats(struct score_bayes *b, struct score_bayes_stats *st)
{
	MDB_txn *txn;
	MDB_stat ms;
	MDB_cursor *cur;
	MDB_val k, v;
	struct stat sb;
	const char *path;
	int rc, i;

	memset(st, 0, sizeof *st);
	if (b->env == NULL) {
		errno = ENOENT;
		return -1;
	}
	if ((rc = mdb_txn_begin(b->env, NULL, MDB_RDONLY, &txn)) != 0)
		goto fail;
	if ((rc = get_count(txn, b->meta, "nspam", &st->nspam)) != 0 ||
	    (rc = get_count(txn, b->meta, "nham", &st->nham)) != 0 ||
	    (rc = get_count(txn, b->meta, "since", &st->since)) != 0 ||
	    (rc = mdb_cursor_open(txn, b->meta, &cur)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0)
		st->known += k.mv_size > 5 && memcmp(k.mv_data, "seen:", 5) == 0;
	mdb_cursor_close(cur);
	/* the pages holding data: both databases, the main one naming
	 * them, the two meta pages; not the free ones LMDB keeps for reuse */
	st->usedbytes = 0;
	for (i = 0; i < 3; i++)
		if (mdb_stat(txn, i == 0 ? b->tok : i == 1 ? b->meta : 1, &ms) == 0)
			st->usedbytes += (uint64_t)ms.ms_psize * (2 * (i == 2) +
			    ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages);
	mdb_txn_abort(txn);
	if (rc != MDB_NOTFOUND)
		goto fail;
	if (mdb_env_get_path(b->env, &path) == 0 && stat(path, &sb) == 0)
		st->filebytes = (uint64_t)sb.st_size;
	return score_bayes_each(b, stats_one, st) == 0 ? 0 : -1;
fail:
	errno = rc > 0 ? rc : EIO;
	return -1;
}

/* Expiry's order for the size bound: the day, then the count (so the
 * oldest go first, and of one day the hapaxes), in one sortable key. */
static uint64_t
age_key(const struct counts *c, uint32_t since)
{
	uint64_t n = (uint64_t)c->spam + c->ham;

	return (uint64_t)(c->day ? c->day : since) << 32 |
	    (n > 0xffffffffU ? 0xffffffffU : n);
}

/* Is the token stale: not learned for days, and learned no more than
 * count times in all? */
static int
stale(const struct counts *c, uint32_t since, uint32_t today, unsigned days,
    unsigned count)
{
	uint32_t d = c->day ? c->day : since;

	return (uint64_t)c->spam + c->ham <= count && d <= today &&
	    today - d >= days;
}

struct expire_scan {
	uint32_t since, today;
	unsigned days, count;
	uint64_t *keys;
	size_t    n, cap, alive;
};

static int
expire_scan_one(void *arg, uint64_t t, uint32_t spam, uint32_t ham,
    uint32_t day)
{
	struct expire_scan *x = arg;
	struct counts c = { spam, ham, day };

	(void)t;
	if (stale(&c, x->since, x->today, x->days, x->count))
		return 0;
	x->alive++;
	if (x->keys == NULL)
		return 0;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 65536;
		uint64_t *k = realloc(x->keys, cap * sizeof *k);
		if (k == NULL)
			return -1;
		x->keys = k;
		x->cap = cap;
	}
	x->keys[x->n++] = age_key(&c, x->since);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Drop the tokens not learned for days (b->today the reference) whose
 * spam and ham counts add up to no more than count; then, when
 * maxtokens is not 0 and more are left, the oldest (of one day, the
 * rarest) until maxtokens are.  The message counts are kept, as
 * SpamAssassin's expiry keeps them.  A first pass reads in a read
 * transaction and finds the cut; the deletions run in short write
 * transactions, each token judged again on what it holds then, so that
 * one learned meanwhile stays.  0, or -1 with errno (what was deleted
 * before the error stays deleted). */
int
score_bayes_expire(struct score_bayes *b, unsigned days, unsigned count,
    unsigned long maxtokens, struct score_bayes_expiry *out)
{
	struct expire_scan x;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	MDB_stat ms;
	uint64_t cut = 0, last = 0;
	size_t excess = 0, atcut = 0, i, batch, seen;
	int rc, started = 0, done = 0;

	memset(out, 0, sizeof *out);
	memset(&x, 0, sizeof x);
	if (b->rdonly || b->env == NULL) {
		errno = EROFS;
		return -1;
	}
	/* tokens without a day count from the day of the upgrade */
	if ((rc = mdb_txn_begin(b->env, NULL, 0, &txn)) != 0 ||
	    (rc = since_mark(txn, b->meta, b->today)) != 0 ||
	    (rc = get_count(txn, b->meta, "since", &x.since)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	txn = NULL;
	x.today = b->today;
	x.days = days;
	x.count = count;
	if (maxtokens && (x.keys = malloc(65536 * sizeof *x.keys)) != NULL)
		x.cap = 65536;
	if (maxtokens && x.keys == NULL)
		return -1;
	if (score_bayes_each(b, expire_scan_one, &x) != 0) {
		free(x.keys);
		return -1;
	}
	if (maxtokens && x.alive > maxtokens) {
		excess = x.alive - maxtokens;
		qsort(x.keys, x.n, sizeof *x.keys, cmp_u64);
		cut = x.keys[excess - 1];
		for (i = excess; i > 0 && x.keys[i - 1] == cut; i--)
			atcut++;    /* of the tokens at the cut, this many go */
	}
	free(x.keys);
	while (!done) {
		if ((rc = mdb_txn_begin(b->env, NULL, 0, &txn)) != 0 ||
		    (rc = mdb_cursor_open(txn, b->tok, &cur)) != 0)
			goto fail;
		if (!started) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
			started = 1;
		} else {
			k.mv_size = sizeof last;
			k.mv_data = &last;
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		}
		for (batch = seen = 0; rc == 0 && batch < EXPIRE_BATCH &&
		    seen < 10 * EXPIRE_BATCH;
		    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			struct counts c;
			uint64_t ak;
			int del = 0;
			seen++;
			if (counts_get(&v, &c) == -1)
				continue;
			ak = age_key(&c, x.since);
			if (stale(&c, x.since, x.today, days, count))
				del = 1, out->byage++;
			else if (excess && (ak < cut || (ak == cut && atcut > 0))) {
				del = 1, out->bysize++;
				atcut -= ak == cut;
			}
			if (del && (rc = mdb_cursor_del(cur, 0)) != 0)
				goto fail;
			batch += del;
		}
		if (rc != 0 && rc != MDB_NOTFOUND)
			goto fail;
		done = rc == MDB_NOTFOUND;
		if (!done)    /* the key to go on from, still unjudged */
			memcpy(&last, k.mv_data, sizeof last);
		mdb_cursor_close(cur);
		cur = NULL;
		if ((rc = mdb_txn_commit(txn)) != 0) {
			txn = NULL;
			goto fail;
		}
		txn = NULL;
	}
	if ((rc = mdb_txn_begin(b->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_stat(txn, b->tok, &ms)) != 0)
		goto fail;
	out->left = ms.ms_entries;
	mdb_txn_abort(txn);
	return 0;
fail:
	if (cur)
		mdb_cursor_close(cur);
	if (txn)
		mdb_txn_abort(txn);
	errno = rc > 0 ? rc : EIO;
	return -1;
}

/* "YYYY-MM-DD" as days since 1970-01-01.  0, or -1 (EINVAL). */
int
score_bayes_day_parse(const char *s, uint32_t *day)
{
	struct tm tm;
	const char *e;
	time_t t;

	memset(&tm, 0, sizeof tm);
	e = strptime(s, "%Y-%m-%d", &tm);
	if (e == NULL || *e || tm.tm_year < 70 || tm.tm_year > 1100) {
		errno = EINVAL;
		return -1;
	}
	t = timegm(&tm);
	*day = (uint32_t)(t / 86400);
	return 0;
}

/* Day as "YYYY-MM-DD", or "-" for 0 (none). */
void
score_bayes_day_format(uint32_t day, char *out, size_t n)
{
	time_t t = (time_t)day * 86400;
	struct tm tm;

	if (day == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(out, n, "-");
	else
		strftime(out, n, "%Y-%m-%d", &tm);
}
