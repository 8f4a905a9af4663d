/* score_re: PCRE2 for spam-score's rules, JIT-compiled on demand.  The
 * gateway starts one spam-score per message, and compiling every rule of
 * a rule set costs more than scoring a message; so a pattern is compiled
 * when it is first needed (score.c; --lint compiles them all), and
 * JIT-compiled when it runs on a second message, which happens only in a
 * process that scores many messages (a batch, a rescan).  Otherwise as
 * re.h: bytes with lengths, every match under RE_MATCH_LIMIT; one match
 * data shared by all patterns (one match at a time, one thread). */
#ifndef PORTCULLIS_SCORE_RE_H
#define PORTCULLIS_SCORE_RE_H
#include <stddef.h>

struct score_re;

struct score_re *score_re_compile(const char *pattern, unsigned flags,
	char *err, size_t errsize);
int  score_re_match(struct score_re *, const char *s, size_t n,
	unsigned long epoch);
int  score_re_jitted(const struct score_re *);
void score_re_free(struct score_re *);

#endif
