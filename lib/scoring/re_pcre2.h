/* re_pcre2: the PCRE2 steps every pattern of ours shares (lib/scoring/re.c keeps
 * them; lib/scoring/score_re.c, with its own JIT and match-data policy, uses them
 * too): compiling with RE_* flags and an error text, and reading a match's
 * return code.  Include after defining PCRE2_CODE_UNIT_WIDTH 8 and
 * including <pcre2.h>. */
#ifndef PORTCULLIS_RE_PCRE2_H
#define PORTCULLIS_RE_PCRE2_H
#include <stddef.h>

/* pattern compiled with RE_* flags, or NULL with errno EINVAL (err: PCRE2's
 * reason and the offset, "missing closing parenthesis at offset 4") */
pcre2_code *re_pcre2_compile(const char *pattern, unsigned flags, char *err,
	size_t errsize);
/* pcre2_match's result as 1 (a match), 0 (none), or -1 with errno ERANGE
 * when a limit stopped it, EINVAL for anything else */
int         re_pcre2_result(int rc);

#endif
