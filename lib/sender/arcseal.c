/* arcseal: making the next ARC set (RFC 8617 4.1, 5.1; see arcseal.h).
 * Runs in arc-seal under the caller's uid.  The message and its ARC
 * fields are strangers' bytes; the Authentication-Results above the
 * first Received field are auth-check's, but are read with the same care
 * (comments and quoted strings may hold ';'). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arcseal.h"
#include "authres.h"

/* Is field i one of our Authentication-Results: our authserv-id, above
 * the first Received field (RFC 8601 5: below it, it came from outside)? */
static int
ours(const struct hdr *h, size_t i, const char *me, long rcv)
{
	if (rcv >= 0 && i > (size_t)rcv)
		return 0;
	return hdr_name_is(h, i, "Authentication-Results") &&
	    authres_id_is(h->base + h->f[i].val_off, h->f[i].val_len, me);
}

/* The end of the segment of v that starts at i: the next ';' outside a
 * comment or a quoted string, or n. */
static size_t
seg_end(const char *v, size_t n, size_t i)
{
	int depth = 0, quote = 0;

	for (; i < n; i++) {
		if (v[i] == '\\' && (depth || quote)) {
			i++;
			continue;
		}
		if (quote) {
			quote = v[i] != '"';
			continue;
		}
		if (v[i] == '"' && depth == 0)
			quote = 1;
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && depth > 0)
			depth--;
		else if (v[i] == ';' && depth == 0)
			break;
	}
	return i;
}

static int
wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* [*s, *e) without white space (and folding) at either end. */
static void
trim(const char *v, size_t *s, size_t *e)
{
	while (*s < *e && wsp(v[*s]))
		(*s)++;
	while (*e > *s && wsp(v[*e - 1]))
		(*e)--;
}

/* The result of the resinfo "arc=RESULT ..." in [s, e), or -2 when the
 * segment is no arc= result; -1 for a result we do not seal on. */
static int
arc_result(const char *v, size_t s, size_t e)
{
	static const struct { const char *w; int r; } res[] = {
		{ "none", ARC_NONE }, { "pass", ARC_PASS }, { "fail", ARC_FAIL },
	};
	size_t k, w;

	if (e - s < 4 || strncasecmp(v + s, "arc", 3) != 0)
		return -2;
	for (s += 3; s < e && wsp(v[s]); s++)
		;
	if (s >= e || v[s++] != '=')
		return -2;
	for (; s < e && wsp(v[s]); s++)
		;
	for (w = 0; s + w < e && ((v[s + w] >= 'a' && v[s + w] <= 'z') ||
	    (v[s + w] >= 'A' && v[s + w] <= 'Z')); w++)
		;
	for (k = 0; k < sizeof res / sizeof res[0]; k++)
		if (strlen(res[k].w) == w && strncasecmp(v + s, res[k].w, w) == 0)
			return res[k].r;
	return -1;
}

int
arcseal_stamp(const struct hdr *h, const char *me)
{
	long rcv = hdr_find(h, "Received", 0);
	size_t i, s, e, z;

	for (i = 0; i < h->n; i++) {
		const char *v = h->base + h->f[i].val_off;
		size_t n = h->f[i].val_len;

		if (!ours(h, i, me, rcv))
			continue;
		/* the first segment is the authserv-id; then the results */
		for (s = seg_end(v, n, 0); s < n; s = e) {
			size_t a = s + 1;
			int r;

			e = seg_end(v, n, a);
			z = e;
			trim(v, &a, &z);
			if ((r = arc_result(v, a, z)) != -2)
				return r;
		}
	}
	return -1;
}

int
arcseal_aar(const struct hdr *h, const char *me, unsigned inst,
    enum arc_result cv, const char *eol, struct buf *out)
{
	long rcv = hdr_find(h, "Received", 0);
	size_t i, s, e, a, z, nres = 0;
	int arc = 0;

	if (buf_printf(out, "ARC-Authentication-Results: i=%u; ", inst) == -1)
		return -1;
	for (i = 0; i < h->n; i++) {
		const char *v = h->base + h->f[i].val_off;
		size_t n = h->f[i].val_len;

		if (!ours(h, i, me, rcv))
			continue;
		/* the authserv-id (and version) once, as the first field has it */
		a = 0;
		z = seg_end(v, n, 0);
		trim(v, &a, &z);
		if (nres++ == 0 && buf_add(out, v + a, z - a) == -1)
			return -1;
		for (s = seg_end(v, n, 0); s < n; s = e) {
			a = s + 1;
			e = seg_end(v, n, a);
			z = e;
			trim(v, &a, &z);
			/* "none": no result of this field, nothing to merge */
			if (z == a || (z - a == 4 && strncasecmp(v + a, "none", 4) == 0))
				continue;
			if (arc_result(v, a, z) != -2)
				arc = 1;
			if (buf_adds(out, ";") == -1 || buf_adds(out, eol) == -1 ||
			    buf_addc(out, '\t') == -1 || buf_add(out, v + a, z - a) == -1)
				return -1;
		}
	}
	if (nres == 0 && buf_adds(out, me) == -1)
		return -1;
	if (!arc && buf_printf(out, "; arc=%s", arc_result_name(cv)) == -1)
		return -1;
	return buf_adds(out, eol);
}

/* A signature field: name, "a=rsa-sha256;", b= on a line of its own,
 * then the tags, in the format the ValiMail suite assumes of a signer
 * (its README): tags in alphabetical order, folded only before a tag, so
 * that relaxed canonicalisation leaves exactly one space after each ';'
 * and none inside a value, not even inside b= (this seal covers the
 * AMS's b= as written).  head gets the part up to "b=", tail the rest
 * from the ';' after the b= value, without a final line end. */
static int
sig_parts(const char *name, const char *const *tags, const char *eol,
    struct buf *head, struct buf *tail)
{
	struct buf t = BUF_INIT;
	size_t i, col = 8;
	int rc = -1;

	if (buf_printf(head, "%s: a=rsa-sha256;%s\tb=", name, eol) == -1 ||
	    buf_adds(tail, ";") == -1 || buf_adds(tail, eol) == -1 ||
	    buf_addc(tail, '\t') == -1)
		return -1;
	for (i = 0; tags[i]; i++) {
		buf_reset(&t);
		if (buf_printf(&t, "%s%s%s", i ? " " : "", tags[i],
		    tags[i + 1] ? ";" : "") == -1)
			goto out;
		if (i == 0) {
			if (buf_add(tail, t.p, t.len) == -1)
				goto out;
			col += t.len;
		} else if (dkimsign_fold(tail, &col, eol, t.p, t.len) == -1)
			goto out;
	}
	rc = 0;
out:
	buf_free(&t);
	return rc;
}

/* Sign head + tail (relaxed, no final CRLF) after pre; the field with
 * its b= value into f. */
static int
sig_make(const struct dkim_key *k, const struct buf *pre,
    const struct buf *head, const struct buf *tail, const char *eol,
    struct buf *f)
{
	struct buf data = BUF_INIT, b = BUF_INIT;
	int rc = -1;

	if (buf_add(&data, pre->p, pre->len) == -1 ||
	    buf_add(f, head->p, head->len) == -1 ||
	    buf_add(f, tail->p, tail->len) == -1 ||
	    dkimcanon_header(DKIM_RELAXED, f->p, f->len, 0, &data) == -1 ||
	    dkimsign_data(k, &data, &b) == -1)
		goto out;
	buf_reset(f);
	if (buf_add(f, head->p, head->len) == -1 ||
	    buf_add(f, b.p, b.len) == -1 ||
	    buf_add(f, tail->p, tail->len) == -1 || buf_adds(f, eol) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&data);
	buf_free(&b);
	return rc;
}

/* The relaxed text of the sets 1..n already in the message, in the order
 * the seal covers them (RFC 8617 5.1.1): AAR, AMS, AS of each. */
static int
old_sets(const struct hdr *h, const struct arc_check *a, struct buf *d)
{
	unsigned k;
	size_t f[3], j;

	for (k = 0; k < a->n; k++) {
		f[0] = a->aar[k];
		f[1] = a->ams[k].field;
		f[2] = a->as[k].field;
		for (j = 0; j < 3; j++)
			if (dkimcanon_header(DKIM_RELAXED, h->base + h->f[f[j]].off,
			    h->f[f[j]].len, 1, d) == -1)
				return -1;
	}
	return 0;
}

int
arcseal_sign(const struct dkim_key *k, const struct dkim_opts *o,
    const struct msg *m, const struct hdr *h, const struct arc_check *a,
    enum arc_result cv, const struct buf *aar, const char *eol,
    struct buf *out)
{
	struct buf names = BUF_INIT, canon = BUF_INIT, head = BUF_INIT,
	    tail = BUF_INIT, ams = BUF_INIT, as = BUF_INIT, sets = BUF_INIT;
	struct dkim_opts ro = *o;
	unsigned inst = a->n + 1;
	struct buf tb = BUF_INIT, th = BUF_INIT;
	char bh[64], td[300], ti[16], ts[80], tt[32];
	int rc = -1;

	if (k->ed25519) {
		errno = EINVAL;   /* RFC 8617 4.1.3: rsa-sha256 only */
		return -1;
	}
	ro.head = ro.body = DKIM_RELAXED;
	if (dkimsign_body_hash(&ro, m, bh) == -1 ||
	    dkimsign_fields(&ro, h, &names, &canon) == -1)
		goto out;
	if (names.len == 0) {
		errno = EINVAL;   /* not one field to sign */
		goto out;
	}
	/* ARC-Message-Signature: the DKIM signature of 4.1.2, i= for v= */
	if (buf_printf(&tb, "bh=%s", bh) == -1 ||
	    buf_printf(&th, "h=%s", names.p) == -1)
		goto out;
	snprintf(td, sizeof td, "d=%s", k->domain);
	snprintf(ti, sizeof ti, "i=%u", inst);
	snprintf(ts, sizeof ts, "s=%s", k->selector);
	snprintf(tt, sizeof tt, "t=%lld", (long long)o->now);
	{
		const char *const t[] = { tb.p, "c=relaxed/relaxed", td, th.p, ti,
			ts, tt, NULL };
		if (sig_parts("ARC-Message-Signature", t, eol, &head, &tail) == -1 ||
		    sig_make(k, &canon, &head, &tail, eol, &ams) == -1)
			goto out;
	}
	/* ARC-Seal over the sets (all of them; its own alone when the chain
	 * failed, 5.1.2), then the new AAR and AMS, itself last */
	if ((cv != ARC_FAIL && old_sets(h, a, &sets) == -1) ||
	    dkimcanon_header(DKIM_RELAXED, aar->p, aar->len, 1, &sets) == -1 ||
	    dkimcanon_header(DKIM_RELAXED, ams.p, ams.len, 1, &sets) == -1)
		goto out;
	buf_reset(&head);
	buf_reset(&tail);
	buf_reset(&tb);
	if (buf_printf(&tb, "cv=%s", arc_result_name(cv)) == -1)
		goto out;
	{
		const char *const t[] = { tb.p, td, ti, ts, tt, NULL };
		if (sig_parts("ARC-Seal", t, eol, &head, &tail) == -1 ||
		    sig_make(k, &sets, &head, &tail, eol, &as) == -1)
			goto out;
	}
	if (buf_add(out, as.p, as.len) == -1 ||
	    buf_add(out, ams.p, ams.len) == -1 ||
	    buf_add(out, aar->p, aar->len) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&names);
	buf_free(&canon);
	buf_free(&head);
	buf_free(&tail);
	buf_free(&ams);
	buf_free(&as);
	buf_free(&sets);
	buf_free(&tb);
	buf_free(&th);
	return rc;
}
