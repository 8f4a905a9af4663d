/* score: spam-score's weighted rules (spam-score(5)).  A rule file is read
 * line by line into a set: regex rules over a message's header fields,
 * body text, raw body, links or whole bytes; built-in tests; Bayes
 * probability bands; meta rules combining the others.  Each regex rule's
 * longest required literal goes into one multi-pattern automaton
 * (score_ac.h), so that one pass over each text tells which regexes can
 * match at all, and PCRE2 runs only for those.
 *
 * A process is started for each message, so a set does at start only
 * what every message needs: the lines are parsed and checked, but a
 * regex is compiled when it first has to run (most never do on a given
 * message), and the literals and the automaton are made when the set
 * first scores a message (the gateway's process scores with one of its
 * two sets).  A set marked eager (--lint, tests) compiles each regex as
 * its line is read, so that a bad one is an error of that line; a lazy
 * set reports it when the rule first runs: score_eval fails with EINVAL
 * and the set's err and errline say which rule.  Rule files are the
 * administrator's; messages are strangers'.  Library code: never prints,
 * never exits. */
#ifndef PORTCULLIS_SCORE_H
#define PORTCULLIS_SCORE_H
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "score_ac.h"
#include "score_msg.h"

enum score_kind {
	SCORE_HEADER, SCORE_BODY, SCORE_RAWBODY, SCORE_URI, SCORE_FULL,
	SCORE_TEST, SCORE_BAYES, SCORE_META
};

#define SCORE_NAME_MAX  64
#define SCORE_RULES_MAX 10000
#define SCORE_META_MAX  256   /* tokens of one meta expression */

struct score_re;

struct score_rule {
	char            name[SCORE_NAME_MAX];
	enum score_kind kind;
	double          score;
	unsigned        lineno;
	char           *field;     /* header: the field name, or "ALL" */
	char           *pat;       /* the regex, %orgname% and flags applied */
	unsigned        reflags;   /* RE_ICASE, RE_MULTILINE */
	unsigned char   ext, dot;  /* the x and s flags ((?x), (?s) in pat) */
	struct score_re *re;       /* NULL until compiled */
	long            lit[SCORE_LIT_SET]; /* prefilter literal ids */
	size_t          nlit;      /* 0: no prefilter, the regex always runs */
	int             test;      /* SCORE_TEST: which built-in */
	double          arg;       /* its argument; SCORE_BAYES: low bound */
	double          hi;        /* SCORE_BAYES: high bound */
	int            *rpn;       /* SCORE_META: the expression, compiled */
	double         *num;       /* its numbers */
	size_t          nrpn;
	char           *describe;
	char           *notice;    /* notice file named by a notice line */
};

struct score_set {
	struct score_rule *r;
	size_t             n, cap;
	size_t            *order;  /* evaluation order: metas after what they use */
	struct score_ac    ac;
	int                ready;  /* score_set_finish done */
	int                eager;  /* compile each regex as its line is read */
	int                prepared;      /* literals and automaton made */
	unsigned long      epoch;         /* messages scored */
	uint32_t          *ht;            /* names: index + 1, open addressing */
	size_t             hcap;
	char               err[320];      /* a regex that failed to compile */
	unsigned           errline;       /* at score_eval: its line */
	char               orgname[128];  /* %orgname% in patterns */
	size_t             lines;
	size_t             prefiltered;   /* regex rules with a literal */
	unsigned char      scan[5];       /* body, rawbody, uri, full, header:
					   * any literal */
};

/* What one message scored. */
struct score_result {
	double         score;
	double         bayes;     /* Bayes probability, or -1 when not used */
	unsigned char *hit;       /* per rule: 1 hit */
	size_t         n;
	size_t         regex_run; /* regexes run (the rest were filtered out) */
	int            limited;   /* a regex reached its match limit */
	int            error;     /* a regex did not compile (set's err) */
};

void score_set_init(struct score_set *);
int  score_set_line(struct score_set *, const char *line, unsigned lineno,
	char *err, size_t errsize);
int  score_set_finish(struct score_set *, char *err, size_t errsize);
void score_set_free(struct score_set *);
long score_set_find(const struct score_set *, const char *name);
int  score_set_uses_bayes(const struct score_set *);

int  score_eval(struct score_set *, struct score_msg *, double bayes,
	struct score_result *);
void score_result_free(struct score_result *);
double score_learn_score(const struct score_set *, const struct score_result *);
void   score_learn_parts(const struct score_set *, const struct score_result *,
	double *head, double *body);
int  score_tests(const struct score_set *, const struct score_result *,
	struct buf *out);

int  score_test_lookup(const char *name);
int  score_test_run(int test, double arg, const struct score_msg *);



#endif
