/* policy: a rule table in MAILsweeper's manner,
 *
 *     SENDER  RECIPIENT  [DIRECTION]  ACTION
 *
 * address patterns with '*' wildcards, matched case-insensitively; the
 * most specific matching rule decides.  Macros ("%local") in a pattern
 * stand for a list of domains taken from a control file, and a line using
 * one expands to one rule per domain.  Shared by every tool whose policy is
 * "who may send what to whom" (spoof-check first; attachment and size
 * policies later).  Rule text is the administrator's; the addresses
 * matched against it are a stranger's. */
#ifndef PORTCULLIS_POLICY_H
#define PORTCULLIS_POLICY_H
#include <stddef.h>
#include "ctl.h"
#include "verdict.h"

#define POLICY_IN    0x1
#define POLICY_OUT   0x2
#define POLICY_BOTH  (POLICY_IN | POLICY_OUT)

#define POLICY_PATTERN_MAX 512    /* bytes in one pattern, after expansion */
#define POLICY_RULES_MAX   100000 /* rules after expansion: a bound on typos */

struct policy_rule {
	char        *sender;    /* pattern, lower case, no trailing dot */
	char        *rcpt;
	unsigned     dir;       /* POLICY_IN, POLICY_OUT or both */
	enum verdict action;    /* pass, flag, quarantine or reject */
	unsigned     lineno;    /* line of the rule file it came from */
	unsigned     stars;     /* '*' in sender + rcpt: fewer is more specific */
	size_t       literal;   /* other bytes: more is more specific */
};

/* A macro: "%name" in a pattern stands for each of val[0..n).  Values are
 * domains in control-file form: ".example.com" (every subdomain, as in
 * qmail's rcpthosts) expands to "*.example.com". */
struct policy_macro {
	const char  *name;      /* without the '%' */
	char *const *val;
	size_t       n;
};

struct policy {
	struct policy_rule *r;
	size_t              n, cap;
	size_t              lines;  /* rule lines read, before expansion */
};

int  policy_add_line(struct policy *, const char *line, unsigned lineno,
	const struct policy_macro *, size_t nmacro, char *err, size_t errsize);
int  policy_load(struct policy *, const struct ctl_list *,
	const struct policy_macro *, size_t nmacro, char *err, size_t errsize);
int  policy_glob(const char *pattern, const char *s, size_t n);
int  policy_rcpt_any(const char *pattern);
const struct policy_rule *policy_match(const struct policy *,
	const char *sender, const char *rcpt, unsigned dir);
void policy_free(struct policy *);

#endif
