/* score_bayes: the learning classifier beside spam-score's rules.  A
 * message becomes a set of tokens (words of its text and subject, words
 * of a few header fields, the hosts of its links), each hashed to 64 bits;
 * LMDB keeps per token how many spam and ham messages held it.  The
 * probability is Robinson's per-token estimate combined with Fisher's
 * chi-square method, as bogofilter and SpamAssassin compute it.
 *
 * LMDB because a cron job learning and every gateway process reading may
 * use one database at once: readers never wait, one writer at a time,
 * and a crash leaves the last committed state.  The database file and its
 * "-lock" file beside it must be writable by every uid that opens it
 * (readers register in the lock file).  Library code. */
#ifndef PORTCULLIS_SCORE_BAYES_H
#define PORTCULLIS_SCORE_BAYES_H
#include <stddef.h>
#include <stdint.h>
#include "score_msg.h"

/* SpamAssassin will not classify before 200 of each are learned. */
#define SCORE_BAYES_MIN      200
#define SCORE_BAYES_TOKENS   4000   /* distinct tokens taken from one message */
#define SCORE_BAYES_MAPSIZE  (1024UL * 1024 * 1024)

struct score_bayes {
	void    *env;     /* MDB_env */
	unsigned tok, meta;
	void    *txn;     /* the open write transaction, or NULL */
	int      rdonly;
	unsigned long min;
	uint32_t nspam, nham;
};

int    score_bayes_open(struct score_bayes *, const char *path, int writable);
void   score_bayes_close(struct score_bayes *);
int    score_bayes_learn(struct score_bayes *, const struct score_msg *,
	int spam);
int    score_bayes_commit(struct score_bayes *);
double score_bayes_prob(struct score_bayes *, const struct score_msg *);
size_t score_bayes_tokens(const struct score_msg *, uint64_t *, size_t max);
double score_bayes_chi2q(double x2, unsigned v);

#endif
