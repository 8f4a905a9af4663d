/* re: a small wrapper around PCRE2 (8-bit, bytes not UTF-8) for rule
 * files.  A pattern is compiled once, JIT-compiled when the library and
 * the CPU allow it, and matched against bytes with a length, so that NUL
 * and 8-bit bytes in mail are plain data.  Each compiled pattern owns its
 * match data, reused by every match: no allocation per match, and no
 * sharing one pattern between threads.  Every match runs under a match
 * limit, since subjects come from strangers and a pattern can backtrack
 * exponentially. */
#ifndef PORTCULLIS_RE_H
#define PORTCULLIS_RE_H
#include <stddef.h>

#define RE_ICASE      0x01  /* ASCII case-insensitive */
#define RE_MULTILINE  0x02  /* ^ and $ match at every line end too */

/* Backtracking steps one match may take (PCRE2's own default is ten
 * million); beyond it re_match fails with ERANGE instead of spinning. */
#define RE_MATCH_LIMIT 1000000

struct re;

struct re *re_compile(const char *pattern, unsigned flags, char *err,
	size_t errsize);
int        re_match(struct re *, const char *s, size_t n, size_t from,
	size_t *so, size_t *eo);
int        re_jitted(const struct re *);
void       re_free(struct re *);

#endif
