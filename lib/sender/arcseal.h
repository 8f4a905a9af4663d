/* arcseal: the next set of an Authenticated Received Chain (RFC 8617
 * 4.1, 5.1) for a message the gateway forwards: an
 * ARC-Authentication-Results with our own Authentication-Results in it,
 * an ARC-Message-Signature over the message and an ARC-Seal over every
 * set, made with the DKIM signing code (dkimsign.h).  The chain already
 * in the message is found by arc.h; the Authentication-Results fields
 * read here are ours only above the first Received field, where
 * auth-check wrote them (a stranger's copy arrives below it). */
#ifndef PORTCULLIS_ARCSEAL_H
#define PORTCULLIS_ARCSEAL_H
#include <stddef.h>
#include "arc.h"
#include "buf.h"
#include "dkimsign.h"
#include "hdr.h"
#include "msg.h"

/* The arc= result that our own Authentication-Results (authserv-id me)
 * gives: ARC_NONE, ARC_PASS or ARC_FAIL; -1 when none of ours has an
 * arc= result, or it is another one (temperror, permerror). */
int arcseal_stamp(const struct hdr *, const char *me);

/* "ARC-Authentication-Results: i=INST; " and the results of every one of
 * our Authentication-Results merged in one (RFC 8617 4.1.1), "arc=CV"
 * added when none of them has an arc= result, "ME; arc=CV" when there is
 * none of ours; the field's own line end is eol.  0, or -1 with errno. */
int arcseal_aar(const struct hdr *, const char *me, unsigned inst,
	enum arc_result cv, const char *eol, struct buf *out);

/* Append to out the ARC-Seal and ARC-Message-Signature of instance
 * a->n + 1, signed with key k (RSA: RFC 8617 knows rsa-sha256 only) at
 * o->now over the fields o names, relaxed/relaxed, then aar (the field
 * arcseal_aar made).  cv is the chain's validation (ARC_NONE, ARC_PASS,
 * ARC_FAIL); with cv=fail the seal covers its own set only (RFC 8617
 * 5.1.2).  a comes from arc_gather.  0, or -1 with errno. */
int arcseal_sign(const struct dkim_key *k, const struct dkim_opts *o,
	const struct msg *m, const struct hdr *h, const struct arc_check *a,
	enum arc_result cv, const struct buf *aar, const char *eol,
	struct buf *out);

#endif
