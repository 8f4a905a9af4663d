/* bypass: the hook that lets a trusted correspondent's mail past a
 * business-only or attachment policy when its Subject carries a current
 * bypass key.
 *
 * The keys are the lines of control/bypasskeys (missing file: no key, so
 * nothing is ever let past) and, when control/bypass-secret exists, the
 * rotating monthly key below, behind this same function: callers (the
 * business-only mode of spoof-check, filetype-check) did not change. */
#ifndef PORTCULLIS_BYPASS_H
#define PORTCULLIS_BYPASS_H

/* Shorter keys are refused as a configuration error: a key a stranger can
 * guess or type by chance ("ok", "RE") would open the policy to anyone. */
#define BYPASS_KEY_MIN 8

int bypass_subject_ok(const char *subject_utf8);
int bypass_word_in(const char *text, const char *key);

/* The rotating key (attachment-policy issue): the first BYPASS_HEX_LEN hex
 * digits of HMAC-SHA256(control/bypass-secret, "YYYY-MM"), the month in
 * UTC, so that staff can hand it out and it expires by itself; last
 * month's key stays good for control/bypassgrace days (default
 * BYPASS_GRACE_DAYS) into the new month, so that a key given out on the
 * 31st still works on the 1st.  Both sources are accepted: the keys of
 * control/bypasskeys and the rotating key when bypass-secret exists. */
#include <stddef.h>
#include <time.h>

#define BYPASS_HEX_LEN     12
#define BYPASS_SECRET_MIN  16   /* bytes: a secret that cannot be guessed */
#define BYPASS_GRACE_DAYS  7UL

int bypass_month(time_t, int back, char out[8]);
int bypass_key(const char *secret, size_t, const char *month,
	char out[BYPASS_HEX_LEN + 1]);
int bypass_secret(char *out, size_t);
int bypass_subject_ok_at(const char *subject_utf8, time_t now);

#endif
