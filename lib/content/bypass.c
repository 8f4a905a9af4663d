/* bypass: is there a current bypass key in a Subject (see bypass.h)?  The
 * Subject is a stranger's text, already RFC 2047-decoded by the caller;
 * the keys are the administrator's.  Runs under any uid. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

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

/* "YYYY-MM" of the month of t (UTC), or of the month before it when
 * back is 1.  0, or -1. */
int
bypass_month(time_t t, int back, char out[8])
{
	struct tm tm;
	int y, m;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	y = tm.tm_year + 1900;
	m = tm.tm_mon + 1 - back;
	if (m < 1) {
		m += 12;
		y--;
	}
	if (y < 0 || y > 9999)
		return -1;
	snprintf(out, 8, "%04u-%02u", (unsigned)y % 10000U, (unsigned)m % 100U);
	return 0;
}

/* The key of a month: HMAC-SHA256(secret, month), first BYPASS_HEX_LEN
 * hex digits, lower case.  0, or -1. */
int
bypass_key(const char *secret, size_t n, const char *month,
    char out[BYPASS_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int ml = 0, i;

	if (HMAC(EVP_sha256(), secret, (int)n, (const unsigned char *)month,
	    strlen(month), md, &ml) == NULL || ml * 2 < BYPASS_HEX_LEN)
		return -1;
	for (i = 0; i < BYPASS_HEX_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[BYPASS_HEX_LEN] = '\0';
	return 0;
}

/* control/bypass-secret into out: 1 when set, 0 when missing, -1 when
 * unreadable or shorter than BYPASS_SECRET_MIN (EINVAL). */
int
bypass_secret(char *out, size_t n)
{
	if (ctl_string("bypass-secret", "", out, n) == -1)
		return -1;
	if (out[0] == '\0')
		return 0;
	if (strlen(out) < BYPASS_SECRET_MIN) {
		errno = EINVAL;
		return -1;
	}
	return 1;
}

/* The rotating key in the Subject: this month's, or last month's within
 * the grace period.  1, 0, or -1 (errno). */
static int
rotating_ok(const char *subject, time_t now)
{
	char secret[512], month[8], key[BYPASS_HEX_LEN + 1];
	unsigned long grace;
	struct tm tm;
	int r;

	if ((r = bypass_secret(secret, sizeof secret)) <= 0)
		return r;
	if (ctl_ulong("bypassgrace", BYPASS_GRACE_DAYS, 0, 28, &grace) == -1)
		return -1;
	if (subject == NULL || bypass_month(now, 0, month) == -1 ||
	    bypass_key(secret, strlen(secret), month, key) == -1)
		r = subject == NULL ? 0 : -1;
	else if (bypass_word_in(subject, key))
		r = 1;
	else if (gmtime_r(&now, &tm) != NULL &&
	    (unsigned long)tm.tm_mday <= grace &&
	    bypass_month(now, 1, month) == 0 &&
	    bypass_key(secret, strlen(secret), month, key) == 0)
		r = bypass_word_in(subject, key);
	else
		r = 0;
	explicit_bzero(secret, sizeof secret);
	return r;
}

/* 1 when the decoded Subject carries a current key, 0 when not, -1 when
 * the keys cannot be read (errno), or EINVAL when one is shorter than
 * BYPASS_KEY_MIN or holds white space: a temporary failure, so that a
 * broken key file makes mail wait rather than decide either way. */
int
bypass_subject_ok(const char *subject)
{
	return bypass_subject_ok_at(subject, time(NULL));
}

/* The same at a given time (for tests and rescans). */
int
bypass_subject_ok_at(const char *subject, time_t now)
{
	struct ctl_list l;
	size_t i;
	int r, found = 0;

	if ((r = rotating_ok(subject, now)) != 0)
		return r;
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
