/* rcptcheck: is this recipient at one of our local domains valid?  The
 * decision smtpd-accept makes at RCPT, before any message is taken, so
 * that mail for a user who does not exist is refused by us (550 5.1.1)
 * instead of being accepted and bounced later to a sender who is usually
 * forged.  In order:
 *   - a recipient outside the local domains (only our relay clients get
 *     this far with one) is refused when its domain is a bogus
 *     destination: one in control/bogusdomains, or, when that file says
 *     "reserved", a name RFC 2606 and RFC 6761 reserve (.test, .example,
 *     .invalid, .localhost, example.com/.net/.org), unless control/routes
 *     names it (550 5.1.2, share/rules/notices/bogus-destination); any
 *     other is not ours to judge;
 *   - postmaster and abuse (any case, any extension) are always valid
 *     (RFC 5321 4.5.1, RFC 2142);
 *   - control/recipients, when it exists (lib/door/rcptlist.c);
 *   - for the domains in control/verifyrecipients, the internal server
 *     that control/routes names, asked and cached (lib/door/verify.c).
 * Replies name the address as the client gave it (cleaned); the internal
 * server's own words and address stay in the log.  Never prints, never
 * exits; log lines go to the caller's function. */
#ifndef PORTCULLIS_RCPTCHECK_H
#define PORTCULLIS_RCPTCHECK_H
#include <limits.h>
#include <stddef.h>

#include "ctl.h"
#include "rcptlist.h"
#include "route.h"
#include "verify.h"

#define RCPTCHECK_DEF_POSTTL  604800UL   /* 7 days, as Postfix's */
#define RCPTCHECK_DEF_NEGTTL  10800UL    /* 3 hours, as Postfix's */
#define RCPTCHECK_DEF_TIMEOUT 10UL       /* seconds, per probe step */

struct rcptcheck {
	char            text[PATH_MAX];     /* control/recipients */
	char            index[PATH_MAX];    /* QUEUE/recipients.cdb */
	char            cache[PATH_MAX];    /* QUEUE/verify.db */
	char            delims[32];         /* control/recipientdelimiter */
	char            me[256];
	char *const    *local;
	size_t          nlocal;
	struct ctl_list verify, routes;
	struct ctl_list bogus;              /* control/bogusdomains */
	char            bogusnote[200];     /* its notice's first line */
	unsigned long   posttl, negttl, timeout;
	/* opened at the first recipient that needs them */
	struct rcptlist *list;
	int             listopen;           /* 0 not yet, 1 open, -1 failed */
	struct verify_cache *vc;
	int             vcopen;
	struct route    down;               /* a server that did not answer */
	int             isdown;             /* this session: not asked again */
	void          (*log)(void *, const char *);
	void           *logctx;
};

/* What became of a recipient. */
enum rcptcheck_verdict {
	RCPTCHECK_OK = 0,
	RCPTCHECK_UNKNOWN,       /* 550 5.1.1: not in control/recipients */
	RCPTCHECK_UNDELIVERABLE, /* 550 5.1.1: the internal server refused it */
	RCPTCHECK_UNVERIFIED,    /* 450 4.1.1: the internal server could not say */
	RCPTCHECK_TEMP,          /* 451 4.3.0: our own configuration is broken */
	RCPTCHECK_BOGUS,         /* 550 5.1.2: a destination no mail can reach */
};

int  rcptcheck_init(struct rcptcheck *, const char *queuedir,
	char *const *localdomains, size_t nlocal, const char *me,
	const char **what);
int  rcptcheck_decide(struct rcptcheck *, const char *local,
	const char *domain, char *reply, size_t n);
void rcptcheck_free(struct rcptcheck *);

#endif
