/* spoof: the judgement of spoof-check(8), kept out of cmd/ so that it can
 * be unit-tested and so that later sender checks (SPF, DMARC) can reuse
 * what it knows about the identities a reader is shown.
 *
 * Identities judged against the rules (policy.h): the envelope sender
 * (unknown and <> are skipped), every address of every From and Sender
 * field, and inbound, every "@domain" of ours anywhere else in the text of
 * those fields (display names, comments, quoted local parts, group names),
 * raw and after RFC 2047 decoding.  Besides the rules, From and Sender
 * fields that different readers could read differently are quarantined:
 * the From-header ambiguities of Chen et al., "Composition Kills"
 * (USENIX Security 2020). */
#ifndef PORTCULLIS_SPOOF_H
#define PORTCULLIS_SPOOF_H
#include <stddef.h>
#include "buf.h"
#include "ctl.h"
#include "env.h"
#include "hdr.h"
#include "policy.h"
#include "verdict.h"

#define SPOOF_RULES "spoof-check"   /* rule file name (share/rules, control) */

struct spoof {
	struct policy   pol;
	struct ctl_list local;          /* control/localdomains */
	struct ctl_list allow;          /* control/allowsenders: business-only */
	char            rules_path[4096];
};

struct spoof_result {
	int  alert;                     /* someone forged an identity of ours */
	char from_domain[256];          /* first From address's, for header.from */
};

int  spoof_load(struct spoof *, char *err, size_t errsize);
void spoof_free(struct spoof *);
int  spoof_judge(const struct spoof *, const struct hdr *,
	const struct envelope *, struct verdict_result *, struct spoof_result *);
int  spoof_authres(const char *me, const struct envelope *,
	const struct spoof_result *, const struct verdict_result *,
	struct buf *out);
int  spoof_authres_ours(const struct hdr *, size_t i, const char *me);

#endif
