/* score_conf: what spam-score reads when it starts: both directions'
 * rule sets, their notices, thresholds, the Subject tag, the Bayes
 * settings, the MIME limits (spam-score(8), CONTROL FILES). */
#ifndef PORTCULLIS_SCORE_CONF_H
#define PORTCULLIS_SCORE_CONF_H
#include <stddef.h>
#include "buf.h"
#include "mime.h"
#include "score.h"

#define SCORE_RULES_IN   "spam"
#define SCORE_RULES_OUT  "outbound"
#define SCORE_NOTICE_MAX 1000
#define SCORE_OFF        (-1e12)   /* a threshold that is off */

enum { SCORE_FLAG, SCORE_QUARANTINE, SCORE_REJECT };

struct score_notice {
	char       name[128];
	char       summary[SCORE_NOTICE_MAX];  /* first line, printable */
	struct buf text;
};

struct score_conf {
	struct score_set     set[2];        /* in, out */
	char                 path[2][4096];
	double               thr[2][3];     /* per direction and level */
	char                 subject[64];   /* control/spamsubject */
	char                 dbpath[4096];  /* control/bayesdb */
	unsigned long        bayesmin;
	unsigned long        bayesmaxtokens;  /* 0: no bound */
	int                  autolearn;       /* control/bayesautolearn exists */
	double               al_spam, al_ham; /* its thresholds */
	struct mime_limits   lim;
	struct score_notice *notices;
	size_t               nnotices;
};

/* eager: compile every regex now (--lint), so that a bad one is an error
 * here; else each is compiled when a message first needs it (score.h). */
int  score_conf_load(struct score_conf *, int eager, char *err,
	size_t errsize);
const struct score_notice *score_conf_notice(const struct score_conf *,
	const char *name);
void score_conf_free(struct score_conf *);

#endif
