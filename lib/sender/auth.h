/* auth: the sender authentication of auth-check(8): SPF (spf.h), DKIM
 * (dkim.h) and DMARC (dmarc.h) for one inbound message, their results in
 * one Authentication-Results field (RFC 8601) and a verdict from the
 * DMARC policy.  Every DNS question goes through dnsq (one deadline per
 * message); a DNS failure is a temperror, never a pass. */
#ifndef PORTCULLIS_AUTH_H
#define PORTCULLIS_AUTH_H
#include "buf.h"
#include "ctl.h"
#include "dns.h"
#include "env.h"
#include "hdr.h"
#include "msg.h"
#include "verdict.h"

/* control/dmarcpolicy: how far a DMARC policy is followed */
enum auth_dmarc_mode {
	AUTH_DMARC_ENFORCE = 0,   /* reject is reject, quarantine quarantine */
	AUTH_DMARC_QUARANTINE,    /* reject softened to quarantine */
	AUTH_DMARC_NONE           /* results in the header only */
};

struct auth_conf {
	char                 me[256];     /* authserv-id, %{r} */
	int                  timeout_ms;  /* control/authtimeout */
	enum auth_dmarc_mode dmarc;
	struct ctl_list      arcsealers;  /* control/arcsealers: domains */
	struct dns          *dns;         /* NULL: no resolver, all temperror */
	char                 dns_err[256];
};

int  auth_load(struct auth_conf *, const char *me, char *err, size_t errsize);
void auth_free(struct auth_conf *);
int  auth_judge(struct auth_conf *, const struct msg *, const struct hdr *,
	const struct envelope *, struct verdict_result *, struct buf *hdrs);
int  auth_header_ours(const struct hdr *, size_t i, const char *me);

#endif
