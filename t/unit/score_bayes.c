/* Unit tests for lib/scoring/score_bayes.c: the day each token was learned, the
 * statistics, expiry by age and by the size bound (across several write
 * transactions), autolearning's "only what was never learned", and a
 * database in the format written before days were kept (8-byte values,
 * no "since"), which must read the same and upgrade on write. */
#include <errno.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hdr.h"
#include "msg.h"
#include "score_bayes.h"
#include "score_msg.h"
#include "tap.h"
#include "tmpdir.h"

#define D0 20000u   /* 2024-10-04: the day the tests start learning */

struct one {
	struct msg m;
	struct hdr h;
	struct score_msg sm;
};

static void
one_make(struct one *o, const char *text)
{
	memset(o, 0, sizeof *o);
	if (msg_from_mem(text, strlen(text), &o->m) == -1 ||
	    hdr_parse(&o->h, o->m.raw.p, o->m.hdr_off, o->m.hdr_len, NULL) == -1 ||
	    score_msg_build(&o->sm, &o->m, &o->h, NULL) == -1) {
		printf("Bail out! unable to build a message\n");
		exit(1);
	}
}

static void
one_free(struct one *o)
{
	score_msg_free(&o->sm);
	hdr_free(&o->h);
	msg_free(&o->m);
}

/* A message of n made-up words, each unique to seed, plus shared ones. */
static char *
words_msg(unsigned seed, unsigned n, const char *shared)
{
	struct buf b = BUF_INIT;
	unsigned i;

	buf_printf(&b, "From: a%u@example.net\nSubject: note %u\n"
	    "Message-ID: <%u@example.net>\n\n%s\n", seed, seed, seed, shared);
	for (i = 0; i < n; i++)
		buf_printf(&b, "w%uq%ux%s", seed, i, i % 10 == 9 ? "\n" : " ");
	buf_addc(&b, '\n');
	return b.p;
}

static size_t
ntokens(const struct score_msg *sm)
{
	uint64_t *v = calloc(SCORE_BAYES_TOKENS, sizeof *v);
	size_t n = score_bayes_tokens(sm, v, SCORE_BAYES_TOKENS);

	free(v);
	return n;
}

/* How many tokens a and b have in common. */
static size_t
nshared(const struct score_msg *a, const struct score_msg *b)
{
	uint64_t *v = calloc(SCORE_BAYES_TOKENS, sizeof *v);
	uint64_t *w = calloc(SCORE_BAYES_TOKENS, sizeof *w);
	size_t n = score_bayes_tokens(a, v, SCORE_BAYES_TOKENS);
	size_t m = score_bayes_tokens(b, w, SCORE_BAYES_TOKENS), i, j, k = 0;

	for (i = 0; i < n; i++)
		for (j = 0; j < m; j++)
			k += v[i] == w[j];
	free(v);
	free(w);
	return k;
}

struct walk {
	size_t   n, before;   /* tokens; those with a day before "day" */
	uint32_t day, maxcount;
};

static int
walk_one(void *arg, uint64_t t, uint32_t spam, uint32_t ham, uint32_t day)
{
	struct walk *w = arg;

	(void)t;
	w->n++;
	w->before += day < w->day;
	if (spam + ham > w->maxcount)
		w->maxcount = spam + ham;
	return 0;
}

/* Rewrite every token to the old 8-byte value and forget "since": the
 * database as the version before days wrote it. */
static int
make_old(const char *path)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi tok, meta;
	MDB_cursor *cur;
	MDB_val k, v, mk = { 5, "since" };
	static uint64_t keys[1000];
	static uint32_t vals[1000][2];
	size_t n = 0, i;
	int rc;

	if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, 4) ||
	    mdb_env_open(env, path, MDB_NOSUBDIR, 0640))
		return -1;
	if (mdb_txn_begin(env, NULL, 0, &txn) || mdb_dbi_open(txn, "tokens", 0, &tok) ||
	    mdb_dbi_open(txn, "meta", 0, &meta) || mdb_cursor_open(txn, tok, &cur))
		return -1;
	/* keys first: a value of another size is a delete and an insert,
	 * which a cursor walking the same tree must not see */
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0 && n < 1000) {
		memcpy(&keys[n], k.mv_data, sizeof keys[n]);
		memcpy(vals[n++], v.mv_data, 8);
	}
	mdb_cursor_close(cur);
	for (i = 0; i < n; i++) {
		k.mv_size = sizeof keys[i];
		k.mv_data = &keys[i];
		v.mv_size = 8;
		v.mv_data = vals[i];
		if (mdb_put(txn, tok, &k, &v, 0))
			return -1;
	}
	mdb_del(txn, meta, &mk, NULL);
	rc = mdb_txn_commit(txn);
	mdb_env_close(env);
	return rc ? -1 : 0;
}

int
main(void)
{
	static const char spam[] =
	    "From: win@lottery.example\nSubject: you won cash prize\n"
	    "Message-ID: <s1@lottery.example>\n\n"
	    "Claim your lottery prize money now, winner, click quickly\n";
	static const char ham[] =
	    "From: bob@ourco.example\nSubject: minutes of the budget meeting\n"
	    "Message-ID: <h1@ourco.example>\n\n"
	    "Attached are the minutes; the budget review moves to Thursday\n";
	char path[256], new_path[256], day[16];
	struct score_bayes b;
	struct score_bayes_stats st;
	struct score_bayes_expiry ex;
	struct one s, h, big[3];
	struct walk w;
	double p_new, p_old;
	size_t ns, nh, nb, i, total;

	tmpdir_make();
	snprintf(path, sizeof path, "%s/bayes", tmpdir_path);
	one_make(&s, spam);
	one_make(&h, ham);
	nb = nshared(&s.sm, &h.sm);     /* learned twice: count 2 */
	ns = ntokens(&s.sm) - nb;       /* the spam's own */
	nh = ntokens(&h.sm) - nb;
	tap_ok(ns > 10 && nh > 10, "the two messages have their own tokens");

	/* days */
	tap_ok(score_bayes_day_parse("2024-10-04", &(uint32_t){ 0 }) == 0,
	    "a day parses");
	{
		uint32_t d = 0;
		score_bayes_day_parse("2024-10-04", &d);
		tap_is_long(d, D0, "2024-10-04 is day 20000");
		score_bayes_day_format(d + 366, day, sizeof day);
		tap_is(day, "2025-10-05", "and formats back");
		tap_ok(score_bayes_day_parse("2024-13-01", &d) == -1 &&
		    score_bayes_day_parse("2024-10-04x", &d) == -1 &&
		    score_bayes_day_parse("yesterday", &d) == -1, "bad days refused");
		score_bayes_day_format(0, day, sizeof day);
		tap_is(day, "-", "day 0 is none");
	}

	/* learn on two days, stats */
	tap_ok(score_bayes_open(&b, path, 1) == 0, "a new database opens writable");
	b.today = D0;
	tap_is_long(score_bayes_learn(&b, &s.sm, 1), 0, "spam learned on D0");
	tap_ok(score_bayes_commit(&b) == 0, "committed");
	b.today = D0 + 50;
	tap_is_long(score_bayes_learn(&b, &h.sm, 0), 0, "ham learned on D0+50");
	tap_ok(score_bayes_commit(&b) == 0, "committed");
	tap_ok(score_bayes_stats(&b, &st) == 0, "stats");
	tap_is_long((long)st.tokens, (long)(ns + nh + nb), "tokens of both");
	tap_is_long((long)st.hapaxes, (long)(ns + nh), "hapaxes: those not shared");
	tap_ok(st.nspam == 1 && st.nham == 1 && st.known == 2, "one spam, one ham, two known");
	tap_ok(st.oldest == D0 && st.newest == D0 + 50 && st.since == D0,
	    "oldest, newest, since");
	tap_ok(st.undated == 0, "every token dated");
	tap_ok(st.filebytes > 0 && st.usedbytes > 0 && st.usedbytes <= st.filebytes,
	    "sizes");

	/* autolearn learns only what was never learned */
	tap_is_long(score_bayes_learn_new(&b, &s.sm, 0), 1,
	    "learn_new: known as spam is not learned as ham");
	tap_is_long(score_bayes_learn_new(&b, &s.sm, 1), 1,
	    "learn_new: known as spam is not learned again");
	score_bayes_commit(&b);
	tap_ok(score_bayes_stats(&b, &st) == 0 && st.nspam == 1 && st.nham == 1,
	    "counts unchanged");

	/* expiry by age: the spam's tokens are 90 days old on D0+90 */
	b.today = D0 + 89;
	tap_ok(score_bayes_expire(&b, 90, 2, 0, &ex) == 0, "expire on D0+89");
	tap_ok(ex.byage == 0 && ex.left == ns + nh + nb, "nothing 89 days old goes");
	b.today = D0 + 90;
	tap_ok(score_bayes_expire(&b, 90, 2, 0, &ex) == 0, "expire on D0+90");
	tap_is_long((long)ex.byage, (long)ns, "the spam's tokens go");
	tap_is_long((long)ex.left, (long)(nh + nb), "the ham's stay, and the shared (day D0+50)");
	tap_ok(score_bayes_stats(&b, &st) == 0 && st.nspam == 1 && st.oldest == D0 + 50,
	    "messages learned kept; oldest is now the ham's day");
	b.today = D0 + 500;
	tap_ok(score_bayes_expire(&b, 90, 0, 0, &ex) == 0 && ex.byage == 0,
	    "count 0: nothing learned is that rare");
	score_bayes_close(&b);

	/* many tokens: several write transactions, the size bound */
	snprintf(new_path, sizeof new_path, "%s/many", tmpdir_path);
	tap_ok(score_bayes_open(&b, new_path, 1) == 0, "another database");
	for (i = 0; i < 3; i++) {
		char *t = words_msg((unsigned)i, 3000, "common words shared here");
		one_make(&big[i], t);
		free(t);
		b.today = D0 + (uint32_t)i * 10;
		score_bayes_learn(&b, &big[i].sm, i == 1);
		score_bayes_learn(&b, &big[i].sm, i == 1);
		score_bayes_commit(&b);
	}
	score_bayes_stats(&b, &st);
	total = st.tokens;
	tap_ok(total > 9000, "over 9000 tokens");
	b.today = D0 + 1000;
	tap_ok(score_bayes_expire(&b, 1000, 2, 0, &ex) == 0, "expire many");
	tap_is_long((long)ex.byage, 3000,
	    "the first message's own tokens go (more than a batch)");
	memset(&w, 0, sizeof w);
	w.day = D0 + 10;
	score_bayes_each(&b, walk_one, &w);
	tap_ok(w.n == ex.left && w.before == 0, "what is left is the later days'");
	tap_ok(score_bayes_expire(&b, 100000, 2, 3000, &ex) == 0, "expire to 3000");
	tap_ok(ex.byage == 0 && ex.left == 3000 && ex.bysize == w.n - 3000,
	    "the size bound leaves exactly 3000");
	memset(&w, 0, sizeof w);
	w.day = D0 + 20;
	score_bayes_each(&b, walk_one, &w);
	tap_ok(w.n == 3000 && w.before == 0, "the newest are the ones left");
	tap_ok(score_bayes_expire(&b, 100000, 2, 3000, &ex) == 0 && ex.bysize == 0,
	    "under the bound, nothing more goes");
	score_bayes_close(&b);
	for (i = 0; i < 3; i++)
		one_free(&big[i]);

	/* the old format: same probability, undated, upgraded on write */
	snprintf(new_path, sizeof new_path, "%s/fmt", tmpdir_path);
	score_bayes_open(&b, new_path, 1);
	b.today = D0;
	score_bayes_learn(&b, &s.sm, 1);
	score_bayes_learn(&b, &h.sm, 0);
	score_bayes_commit(&b);
	b.min = 1;
	p_new = score_bayes_prob(&b, &s.sm);
	score_bayes_close(&b);
	tap_ok(make_old(new_path) == 0, "database rewritten in the old format");
	tap_ok(score_bayes_open(&b, new_path, 0) == 0, "the old format opens read-only");
	b.min = 1;
	p_old = score_bayes_prob(&b, &s.sm);
	tap_ok(p_old == p_new && p_new > 0.5, "and gives the same probability");
	if (p_old != p_new)
		printf("#   old %f new %f\n", p_old, p_new);
	tap_ok(score_bayes_stats(&b, &st) == 0 && st.undated == st.tokens &&
	    st.since == 0 && st.oldest == 0, "stats: all undated, no since");
	score_bayes_close(&b);
	tap_ok(score_bayes_open(&b, new_path, 1) == 0, "opens writable");
	b.today = D0 + 10;
	tap_ok(score_bayes_expire(&b, 5, 2, 0, &ex) == 0 && ex.byage == 0,
	    "undated tokens count from the upgrade day: none expire yet");
	score_bayes_stats(&b, &st);
	tap_is_long(st.since, D0 + 10, "since: the first write of this version");
	{
		const char *t = "From: c@example.net\nSubject: you won\n\nlottery winner\n";
		struct one o;
		one_make(&o, t);
		b.today = D0 + 12;
		tap_is_long(score_bayes_learn(&b, &o.sm, 1), 0, "learn into the old database");
		score_bayes_commit(&b);
		score_bayes_stats(&b, &st);
		tap_ok(st.undated < ns + nh + nb && st.newest == D0 + 12 &&
		    st.tokens - st.undated == ntokens(&o.sm), "its tokens are dated now");
		one_free(&o);
	}
	b.today = D0 + 15;
	tap_ok(score_bayes_expire(&b, 5, 2, 0, &ex) == 0, "expire 5 days after the upgrade");
	tap_ok(ex.byage == st.undated && ex.left == st.tokens - st.undated,
	    "the undated go, the upgraded stay");
	score_bayes_close(&b);

	/* read-only: no learning, no expiry */
	score_bayes_open(&b, new_path, 0);
	errno = 0;
	tap_ok(score_bayes_expire(&b, 1, 1, 0, &ex) == -1 && errno == EROFS,
	    "expiry needs a writable database");
	score_bayes_close(&b);

	one_free(&s);
	one_free(&h);
	tmpdir_remove();
	return tap_done();
}
