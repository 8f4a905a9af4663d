/* score_re: PCRE2 for spam-score's rules, JIT-compiled on demand.  The
 * gateway starts one spam-score per message, and JIT-compiling every
 * rule of a rule set costs more than scoring a message; so a pattern is
 * compiled (and so checked) when the rules are read, and JIT-compiled the
 * second time it runs, which happens only in a process that scores many
 * messages (a batch, a rescan).  Otherwise as re.h: bytes with lengths,
 * match data owned by the pattern, every match under RE_MATCH_LIMIT. */
#ifndef PORTCULLIS_SCORE_RE_H
#define PORTCULLIS_SCORE_RE_H
#include <stddef.h>

struct score_re;

struct score_re *score_re_compile(const char *pattern, unsigned flags,
	char *err, size_t errsize);
int  score_re_match(struct score_re *, const char *s, size_t n);
int  score_re_jitted(const struct score_re *);
void score_re_free(struct score_re *);

#endif
