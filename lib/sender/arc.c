/* arc: Authenticated Received Chain validation (RFC 8617 5.2; see arc.h).
 * Runs in auth-check under the caller's uid.  The ARC fields are a
 * stranger's bytes: instances are capped at 50 (RFC 8617 4.2.1), each set
 * must be whole and single, and the signatures are checked with the DKIM
 * code (keys, canonicalisation, algorithms and their refusals). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc.h"

const char *
arc_result_name(enum arc_result r)
{
	return r == ARC_PASS ? "pass" : r == ARC_FAIL ? "fail" :
	    r == ARC_TEMPERROR ? "temperror" : "none";
}

/* The instance of an ARC-Authentication-Results value ("i=N; ..."): N,
 * or 0 when it is not there. */
static unsigned
aar_instance(const char *v, size_t n)
{
	size_t i = 0;
	unsigned x = 0;

	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' ||
	    v[i] == '\n'))
		i++;
	if (i + 2 > n || v[i] != 'i')
		return 0;
	for (i++; i < n && (v[i] == ' ' || v[i] == '\t'); i++)
		;
	if (i >= n || v[i++] != '=')
		return 0;
	for (; i < n && (v[i] == ' ' || v[i] == '\t'); i++)
		;
	if (i >= n || v[i] < '1' || v[i] > '9')
		return 0;
	for (; i < n && v[i] >= '0' && v[i] <= '9' && x <= 50; i++)
		x = x * 10 + (unsigned)(v[i] - '0');
	for (; i < n && (v[i] == ' ' || v[i] == '\t'); i++)
		;
	return i < n && v[i] == ';' && x <= 50 ? x : 0;
}

static void
fail(struct arc_check *a, const char *why)
{
	a->res = ARC_FAIL;
	snprintf(a->why, sizeof a->why, "%s", why);
}

/* Gather the sets: every instance 1..n exactly once of each field.
 * 0; or -1 with a->res set. */
static int
gather(const struct hdr *h, struct arc_check *a, long long now)
{
	size_t i;
	unsigned k;

	for (i = 0; i < h->n; i++) {
		const char *v = h->base + h->f[i].val_off;
		size_t n = h->f[i].val_len;
		struct dkim_sig s;
		unsigned inst;

		if (hdr_name_is(h, i, "ARC-Authentication-Results")) {
			if ((inst = aar_instance(v, n)) == 0)
				{ fail(a, "an ARC-Authentication-Results without i="); return -1; }
			if (a->aar[inst - 1] != (size_t)-1)
				{ fail(a, "two ARC-Authentication-Results of one instance"); return -1; }
			a->aar[inst - 1] = i;
		} else if (hdr_name_is(h, i, "ARC-Message-Signature") ||
		    hdr_name_is(h, i, "ARC-Seal")) {
			int seal = hdr_name_is(h, i, "ARC-Seal");
			memset(&s, 0, sizeof s);
			s.kind = seal ? DKIM_AS : DKIM_AMS;
			s.field = i;
			if (dkim_parse_sig(v, n, &s, now) == -1 || s.inst == 0)
				{ fail(a, seal ? "a malformed ARC-Seal" :
				    "a malformed ARC-Message-Signature"); return -1; }
			inst = s.inst;
			if ((seal ? a->as : a->ams)[inst - 1].inst != 0)
				{ fail(a, "two ARC fields of one kind and instance"); return -1; }
			(seal ? a->as : a->ams)[inst - 1] = s;
		} else
			continue;
		if (inst > a->n)
			a->n = inst;
	}
	for (k = 0; k < a->n; k++)
		if (a->aar[k] == (size_t)-1 || a->ams[k].inst == 0 ||
		    a->as[k].inst == 0)
			{ fail(a, "an ARC set is incomplete"); return -1; }
	return 0;
}

void
arc_gather(const struct hdr *h, struct arc_check *a, long long now)
{
	unsigned k;

	memset(a, 0, sizeof *a);
	for (k = 0; k < ARC_MAX; k++)
		a->aar[k] = (size_t)-1;
	a->res = ARC_NONE;
	if (hdr_find(h, "ARC-Seal", 0) < 0 &&
	    hdr_find(h, "ARC-Message-Signature", 0) < 0 &&
	    hdr_find(h, "ARC-Authentication-Results", 0) < 0)
		return;
	if (gather(h, a, now) == -1)
		return;
	a->gathered = 1;
}

/* Submit the key queries of every seal and message signature at once. */
void
arc_ask(struct dnsq *q, const struct hdr *h, struct arc_check *a,
    long long now)
{
	arc_gather(h, a, now);
	if (!a->gathered)
		return;
	dkim_ask(q, a->ams + a->n - 1, 1);
	dkim_ask(q, a->as, a->n);
}

/* The seal of instance i (RFC 8617 5.1.2): over the sets 1..i, each in
 * the order AAR, AMS, AS, relaxed; the seal itself without its b= value
 * and without a line end. */
static int
seal_data(const struct hdr *h, const struct arc_check *a, unsigned inst,
    struct buf *b)
{
	unsigned k;
	size_t f[3], j;

	for (k = 0; k < inst; k++) {
		f[0] = a->aar[k];
		f[1] = a->ams[k].field;
		f[2] = a->as[k].field;
		for (j = 0; j < 3; j++) {
			const char *p = h->base + h->f[f[j]].off;
			size_t n = h->f[f[j]].val_off + h->f[f[j]].val_len - h->f[f[j]].off;
			if (k + 1 == inst && j == 2) {
				struct buf s = BUF_INIT;
				int rc = dkim_field_sans_b(h, f[j], &s) == -1 ? -1 :
				    dkim_canon_header(1, s.p, s.len, h->f[f[j]].name_len,
				    b, 0);
				buf_free(&s);
				return rc;
			}
			if (dkim_canon_header(1, p, n, h->f[f[j]].name_len, b, 1) == -1)
				return -1;
		}
	}
	return 0;
}

/* Validate the chain (RFC 8617 5.2). */
void
arc_verify(struct dnsq *q, const struct msg *m, const struct hdr *h,
    struct arc_check *a)
{
	unsigned k;

	if (!a->gathered)
		return;   /* none, or already a fail */
	if (a->n == 0)
		return;
	/* the newest seal's cv, then every seal's (5.2 steps 2, 3) */
	if (a->as[a->n - 1].cv == 2)
		{ fail(a, "the newest seal says cv=fail"); return; }
	for (k = 0; k < a->n; k++)
		if ((k == 0) != (a->as[k].cv == 0) ||
		    (k > 0 && a->as[k].cv != 1))
			{ fail(a, k == 0 ? "the first seal's cv= is not none" :
			    "a seal's cv= is not pass"); return; }
	/* the newest message signature (step 4) */
	dkim_verify(q, m, h, &a->ams[a->n - 1]);
	if (a->ams[a->n - 1].res == DKIM_TEMPERROR) {
		a->res = ARC_TEMPERROR;
		snprintf(a->why, sizeof a->why, "key lookup failed");
		return;
	}
	if (a->ams[a->n - 1].res != DKIM_PASS) {
		char w[160];
		snprintf(w, sizeof w, "message signature i=%u: %s", a->n,
		    a->ams[a->n - 1].why);
		{ fail(a, w); return; }
	}
	/* every seal, newest first (step 6) */
	for (k = a->n; k-- > 0; ) {
		struct dkim_sig *s = &a->as[k];
		struct buf d = BUF_INIT;
		void *key;
		int ok;

		if (dkim_key(q, s, &key) == -1) {
			if (s->res == DKIM_TEMPERROR) {
				a->res = ARC_TEMPERROR;
				snprintf(a->why, sizeof a->why, "key lookup failed");
				return;
			}
			{ fail(a, s->why); return; }
		}
		ok = seal_data(h, a, k + 1, &d) == 0 &&
		    dkim_check_data(s, key, d.p ? d.p : "", d.len);
		dkim_key_free(key);
		buf_free(&d);
		if (!ok) {
			char w[80];
			snprintf(w, sizeof w, "seal i=%u did not verify", k + 1);
			{ fail(a, w); return; }
		}
	}
	a->res = ARC_PASS;
	snprintf(a->why, sizeof a->why, "%u sets verified, sealed by %s", a->n,
	    a->as[a->n - 1].d);
}
