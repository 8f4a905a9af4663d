/* arc: validation of an Authenticated Received Chain (RFC 8617): the
 * sets of ARC-Authentication-Results, ARC-Message-Signature and ARC-Seal
 * fields that forwarders (mailing lists) add, so that a receiver can see
 * the results an earlier hop found before the forwarder changed the
 * message.  Only the chain's validity is found here; whether a sealer's
 * results are believed is the caller's policy (control/arcsealers). */
#ifndef PORTCULLIS_ARC_H
#define PORTCULLIS_ARC_H
#include <stddef.h>
#include "dkim.h"

#define ARC_MAX 50   /* instances (RFC 8617 4.2.1) */

enum arc_result { ARC_NONE = 0, ARC_PASS, ARC_FAIL, ARC_TEMPERROR };

struct arc_check {
	enum arc_result res;
	unsigned        n;                /* instances */
	int             gathered;
	size_t          aar[ARC_MAX];     /* field index per instance */
	struct dkim_sig ams[ARC_MAX], as[ARC_MAX];
	char            why[160];
};

/* The sets of h into a, without a DNS question: a->n instances and their
 * fields when a->gathered, else a->res is ARC_NONE (no ARC field) or
 * ARC_FAIL (a malformed or incomplete chain, a->why says how). */
void arc_gather(const struct hdr *, struct arc_check *, long long now);
void arc_ask(struct dnsq *, const struct hdr *, struct arc_check *,
	long long now);
void arc_verify(struct dnsq *, const struct msg *, const struct hdr *,
	struct arc_check *);
const char *arc_result_name(enum arc_result);

#endif
