/* bypass: the hook that lets a trusted correspondent's mail past a
 * business-only or attachment policy when its Subject carries a current
 * bypass key.
 *
 * For now the keys are the lines of control/bypasskeys (missing file: no
 * key, so nothing is ever let past).  The rotating-key scheme of the
 * attachment-policy issue will replace that key source behind this same
 * function; callers do not change. */
#ifndef PORTCULLIS_BYPASS_H
#define PORTCULLIS_BYPASS_H

/* Shorter keys are refused as a configuration error: a key a stranger can
 * guess or type by chance ("ok", "RE") would open the policy to anyone. */
#define BYPASS_KEY_MIN 8

int bypass_subject_ok(const char *subject_utf8);
int bypass_word_in(const char *text, const char *key);

#endif
