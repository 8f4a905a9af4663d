/* bypass: is there a current bypass key in a Subject (see bypass.h)?  The
 * Subject is a stranger's text, already RFC 2047-decoded by the caller;
 * the keys are the administrator's.  Runs under any uid. */
#include <errno.h>
#include <string.h>

#include "bypass.h"
#include "ctl.h"

/* Characters that continue a word: a key must stand alone, so that the key
 * "XK29-7741" is not found in "XK29-77410". */
static int
wordc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c >= 0x80;
}

/* Does key occur in text as a whole word (case matters: keys are
 * secrets)?  1 or 0. */
int
bypass_word_in(const char *text, const char *key)
{
	size_t kl = strlen(key);
	const char *s;

	if (kl == 0)
		return 0;
	for (s = strstr(text, key); s; s = strstr(s + 1, key))
		if ((s == text || !wordc((unsigned char)s[-1])) &&
		    !wordc((unsigned char)s[kl]))
			return 1;
	return 0;
}

/* 1 when the decoded Subject carries a current key, 0 when not, -1 when
 * the keys cannot be read (errno), or EINVAL when one is shorter than
 * BYPASS_KEY_MIN or holds white space: a temporary failure, so that a
 * broken key file makes mail wait rather than decide either way. */
int
bypass_subject_ok(const char *subject)
{
	struct ctl_list l;
	size_t i;
	int r, found = 0;

	if ((r = ctl_lines("bypasskeys", &l)) <= 0)
		return r;
	for (i = 0; i < l.n; i++) {
		if (strlen(l.v[i]) < BYPASS_KEY_MIN || strpbrk(l.v[i], " \t")) {
			ctl_free(&l);
			errno = EINVAL;
			return -1;
		}
		if (subject && bypass_word_in(subject, l.v[i]))
			found = 1;
	}
	ctl_free(&l);
	return found;
}
