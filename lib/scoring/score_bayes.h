/* score_bayes: the learning classifier beside spam-score's rules.  A
 * message becomes a set of tokens (words of its text and subject, words
 * of a few header fields under their names, the name of every field, the
 * hosts of its links), each hashed to 64 bits;
 * LMDB keeps per token how many spam and ham messages held it.  The
 * probability is Robinson's per-token estimate combined with Fisher's
 * chi-square method, as bogofilter and SpamAssassin compute it.
 *
 * LMDB because a cron job learning and every gateway process reading may
 * use one database at once: readers never wait, one writer at a time,
 * and a crash leaves the last committed state.  The database file and its
 * "-lock" file beside it must be writable by every uid that opens it
 * (readers register in the lock file).  Scoring reads in a read
 * transaction; only learning (by hand, or automatic in the checker),
 * and expiry write.
 *
 * Each token keeps, beside its counts, the day it was last learned
 * (days since 1970-01-01 UTC), so that an expiry run from cron can drop
 * what has not been learned for long.  Databases written before days
 * were kept hold 8-byte values: they are read as they are, a token gets
 * its day when it is next learned (upgrade on write), and until then it
 * counts as learned on the day this version first wrote the database
 * (meta "since").  Library code. */
#ifndef PORTCULLIS_SCORE_BAYES_H
#define PORTCULLIS_SCORE_BAYES_H
#include <stddef.h>
#include <stdint.h>
#include "score_msg.h"

/* SpamAssassin will not classify before 200 of each are learned. */
#define SCORE_BAYES_MIN      200
#define SCORE_BAYES_TOKENS   4000   /* distinct tokens taken from one message */
#define SCORE_BAYES_MAPSIZE  (1024UL * 1024 * 1024)

#define SCORE_BAYES_EXPIRE_DAYS  90  /* --bayes-expire defaults */
#define SCORE_BAYES_EXPIRE_COUNT 2

struct score_bayes {
	void    *env;     /* MDB_env */
	unsigned tok, meta;
	void    *txn;     /* the open write transaction, or NULL */
	int      rdonly;
	unsigned long min;
	uint32_t nspam, nham;
	uint32_t today;   /* the day learning stamps: set by open, may be set */
};

/* What --bayes-stats shows. */
struct score_bayes_stats {
	uint32_t nspam, nham;
	size_t   tokens, hapaxes;
	size_t   undated;        /* written before days were kept */
	size_t   known;          /* messages learned ("seen" digests) */
	uint32_t oldest, newest; /* days; 0 with no dated token */
	uint32_t since;          /* day this version first wrote; 0 not yet */
	uint64_t filebytes, usedbytes;
};

/* What an expiry run did. */
struct score_bayes_expiry {
	size_t byage, bysize, left;
};

typedef int (*score_bayes_fn)(void *, uint64_t tok, uint32_t spam,
    uint32_t ham, uint32_t day);

int    score_bayes_open(struct score_bayes *, const char *path, int writable);
void   score_bayes_close(struct score_bayes *);
int    score_bayes_learn(struct score_bayes *, const struct score_msg *,
	int spam);
int    score_bayes_learn_new(struct score_bayes *, const struct score_msg *,
	int spam);
int    score_bayes_commit(struct score_bayes *);
double score_bayes_prob(struct score_bayes *, const struct score_msg *);
size_t score_bayes_tokens(const struct score_msg *, uint64_t *, size_t max);
double score_bayes_chi2q(double x2, unsigned v);
int    score_bayes_stats(struct score_bayes *, struct score_bayes_stats *);
int    score_bayes_each(struct score_bayes *, score_bayes_fn, void *);
int    score_bayes_expire(struct score_bayes *, unsigned days, unsigned count,
	unsigned long maxtokens, struct score_bayes_expiry *);
int    score_bayes_day_parse(const char *, uint32_t *);
void   score_bayes_day_format(uint32_t, char *, size_t);

#endif
