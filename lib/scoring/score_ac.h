/* score_ac: the prefilter in front of PCRE2.  For each regex rule, the
 * literals one of which every match must contain (score_literals: a
 * literal run, or one literal per alternative of a group that must match)
 * are added to one Aho-Corasick automaton, ASCII case folded; one pass
 * over a text marks every literal it contains, and only the rules with
 * one of their literals seen run their regex.  The automaton is a dense table (256 next states per
 * state): a few megabytes for thousands of rules, one load per byte.
 * Library code. */
#ifndef PORTCULLIS_SCORE_AC_H
#define PORTCULLIS_SCORE_AC_H
#include <stddef.h>
#include <stdint.h>

/* Shorter literals would match nearly every text and filter nothing. */
#define SCORE_LIT_MIN 3
#define SCORE_LIT_MAX 64

struct score_ac {
	int32_t *delta;    /* nstates * 256 while adding, nstates * ncls built */
	uint8_t  cls[256]; /* byte to class: bytes in no literal share class 0 */
	size_t   ncls;
	int32_t *out;      /* literal ending in this state, or -1 */
	int32_t *link;     /* next state on the failure chain with an out */
	size_t   nstates, cap;
	char   **lit;      /* the literals, lower case */
	size_t   nlit;
	int      built;
};

void score_ac_init(struct score_ac *);
long score_ac_add(struct score_ac *, const char *lit, size_t len);
int  score_ac_build(struct score_ac *);
void score_ac_scan(const struct score_ac *, const char *s, size_t n,
	unsigned char *found);
void score_ac_free(struct score_ac *);
/* The literals of a pattern, one of which every match contains. */
#define SCORE_LIT_SET 16
struct score_litset {
	size_t n;     /* 0: no prefilter */
	size_t q;     /* the length of the shortest */
	char   lit[SCORE_LIT_SET][SCORE_LIT_MAX + 1];
};

size_t score_literals(const char *pattern, int extended,
	struct score_litset *);

#endif
