/* auth: SPF, DKIM and DMARC for one inbound message (see auth.h).  Runs in
 * auth-check under the caller's uid, with the network.  The message, its
 * envelope and every DNS answer are strangers' bytes; what reaches the
 * header is made printable and quoted by authres. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arc.h"
#include "auth.h"
#include "authres.h"
#include "ctl.h"
#include "dkim.h"
#include "dmarc.h"
#include "dnsq.h"
#include "spf.h"

#define AUTH_TIMEOUT_S 5   /* control/authtimeout default */

/* Read the control files and open the resolver.  A resolver that cannot
 * be opened is not fatal: every lookup is then a temperror and the
 * header says so.  0, or -1 with err set (configuration error). */
int
auth_load(struct auth_conf *c, const char *me, char *err, size_t errsize)
{
	unsigned long t;
	char mode[64];

	memset(c, 0, sizeof *c);
	snprintf(c->me, sizeof c->me, "%s", me);
	if (ctl_ulong("authtimeout", AUTH_TIMEOUT_S, 1, 300, &t) == -1) {
		snprintf(err, errsize, "control/authtimeout: %s", strerror(errno));
		return -1;
	}
	c->timeout_ms = (int)t * 1000;
	if (ctl_string("dmarcpolicy", "enforce", mode, sizeof mode) == -1) {
		snprintf(err, errsize, "control/dmarcpolicy: %s", strerror(errno));
		return -1;
	}
	if (strcmp(mode, "enforce") == 0)
		c->dmarc = AUTH_DMARC_ENFORCE;
	else if (strcmp(mode, "quarantine") == 0)
		c->dmarc = AUTH_DMARC_QUARANTINE;
	else if (strcmp(mode, "none") == 0)
		c->dmarc = AUTH_DMARC_NONE;
	else {
		snprintf(err, errsize, "control/dmarcpolicy: \"%s\" is not enforce, "
		    "quarantine or none", mode);
		errno = EINVAL;
		return -1;
	}
	if (ctl_lines("arcsealers", &c->arcsealers) == -1) {
		snprintf(err, errsize, "control/arcsealers: %s", strerror(errno));
		return -1;
	}
	c->dns = dns_open(c->dns_err, sizeof c->dns_err);
	return 0;
}

void
auth_free(struct auth_conf *c)
{
	dns_close(c->dns);
	c->dns = NULL;
	ctl_free(&c->arcsealers);
}

/* The SMTP sender without angle brackets ("" for the null sender). */
static void
bare_sender(const char *s, char *out, size_t n)
{
	size_t l;

	if (s == NULL)
		s = "";
	l = strlen(s);
	if (l >= 2 && s[0] == '<' && s[l - 1] == '>') {
		s++;
		l -= 2;
	}
	snprintf(out, n, "%.*s", (int)l, s);
}

/* "spf=RESULT (why) smtp.mailfrom=DOMAIN" (RFC 8601 2.7.2). */
static int
add_spf(struct buf *l, enum spf_result r, const struct spf_check *sc)
{
	char why[SPF_MAX_TEXT * 2 + 16];

	snprintf(why, sizeof why, "%s%s%s", sc->why, sc->exp[0] ? ": " : "",
	    sc->exp);
	if (buf_printf(l, ";\n spf=%s", spf_result_name(r)) == -1 ||
	    (why[0] && authres_comment(l, why) == -1) ||
	    buf_printf(l, " smtp.%s=", sc->identity) == -1)
		return -1;
	return authres_value(l, sc->domain[0] ? sc->domain : "unknown", 0);
}

/* "dkim=RESULT (why) header.d=... header.s=... header.a=... header.b=..."
 * for each signature (RFC 8601 2.7.1, RFC 6008), or "dkim=none". */
static int
add_dkim(struct buf *l, const struct dkim_sig *s, size_t n)
{
	size_t i;

	if (n == 0)
		return buf_adds(l, ";\n dkim=none (no signature)");
	for (i = 0; i < n; i++) {
		if (buf_printf(l, ";\n dkim=%s", dkim_result_name(s[i].res)) == -1 ||
		    (s[i].why[0] && authres_comment(l, s[i].why) == -1))
			return -1;
		if (s[i].d[0] && (buf_adds(l, " header.d=") == -1 ||
		    authres_value(l, s[i].d, 0) == -1))
			return -1;
		if (s[i].s[0] && (buf_adds(l, " header.s=") == -1 ||
		    authres_value(l, s[i].s, 0) == -1))
			return -1;
		if (s[i].a[0] && (buf_adds(l, " header.a=") == -1 ||
		    authres_value(l, s[i].a, 0) == -1))
			return -1;
		if (s[i].bprefix[0] && (buf_adds(l, " header.b=") == -1 ||
		    authres_value(l, s[i].bprefix, 0) == -1))
			return -1;
	}
	return 0;
}

/* "dmarc=RESULT (p=.. sp=.. pct=.. policy=..) header.from=DOMAIN". */
static int
add_dmarc(struct buf *l, const struct dmarc_check *d, int have_from,
    const char *why)
{
	char c[1024];

	if (!have_from) {
		if (buf_adds(l, ";\n dmarc=permerror") == -1)
			return -1;
		return authres_comment(l, why);
	}
	if (d->res == DMARC_NONE || (d->res == DMARC_TEMPERROR &&
	    d->rec.p == DMARC_P_UNSET))
		snprintf(c, sizeof c, "%s", d->why);
	else
		snprintf(c, sizeof c, "%s; record at %s: p=%s sp=%s%s%s pct=%u "
		    "policy=%s%s", d->why, d->policy_domain,
		    dmarc_policy_name(d->rec.p), dmarc_policy_name(d->rec.sp ?
		    d->rec.sp : d->rec.p), d->rec.np ? " np=" : "",
		    d->rec.np ? dmarc_policy_name(d->rec.np) : "", d->rec.pct,
		    dmarc_policy_name(d->applied),
		    d->sampled_out ? ", pct spared it" : "");
	if (buf_printf(l, ";\n dmarc=%s", dmarc_result_name(d->res)) == -1 ||
	    authres_comment(l, c) == -1 || buf_adds(l, " header.from=") == -1)
		return -1;
	return authres_value(l, d->from, 0);
}

/* "arc=RESULT (why)" (RFC 8617 7.1). */
static int
add_arc(struct buf *l, const struct arc_check *a)
{
	if (buf_printf(l, ";\n arc=%s", arc_result_name(a->res)) == -1)
		return -1;
	return a->why[0] ? authres_comment(l, a->why) : 0;
}

/* Is the chain a pass sealed last by a sealer we trust (control/arcsealers),
 * whose word on the earlier results may stand in for ours (RFC 8617 7.2)? */
static int
trusted_arc(const struct auth_conf *c, const struct arc_check *a)
{
	size_t i;

	if (a->res != ARC_PASS)
		return 0;
	for (i = 0; i < c->arcsealers.n; i++)
		if (strcasecmp(c->arcsealers.v[i], a->as[a->n - 1].d) == 0)
			return 1;
	return 0;
}

/* The verdict the DMARC result asks for, as far as control/dmarcpolicy
 * lets it (RFC 7489 6.6.4, 10.1).  A DNS failure never becomes a pass of
 * a policy that asks for action: the mail waits (4.7.5) instead. */
static void
dmarc_verdict(const struct auth_conf *c, const struct dmarc_check *d,
    const struct arc_check *a, struct verdict_result *r)
{
	enum dmarc_policy p = d->action;

	if (c->dmarc == AUTH_DMARC_NONE || p < DMARC_P_QUARANTINE)
		return;
	if (trusted_arc(c, a)) {
		/* a forwarder we trust vouches for the earlier results; the
		 * header keeps dmarc=fail and the arc= result says why */
		verdict_set(r, VERDICT_PASS, "2.0.0", "DMARC %s, overridden: ARC "
		    "sealed by trusted %s", dmarc_result_name(d->res),
		    a->as[a->n - 1].d);
		return;
	}
	if (d->res == DMARC_TEMPERROR) {
		verdict_raise(r, VERDICT_TEMPFAIL, "4.7.5", "DMARC of %s cannot be "
		    "evaluated now: an SPF or DKIM lookup failed", d->from);
		return;
	}
	if (d->res != DMARC_FAIL)
		return;
	if (p == DMARC_P_REJECT && c->dmarc == AUTH_DMARC_ENFORCE)
		verdict_raise(r, VERDICT_REJECT, "5.7.1", "DMARC policy of %s "
		    "says reject: %s", d->policy_domain, d->why);
	else
		verdict_raise(r, VERDICT_QUARANTINE, "5.7.1", "DMARC policy of %s "
		    "says %s: %s", d->policy_domain, dmarc_policy_name(p), d->why);
}

/* The field in l, one result a line ("\n " between them), into f: each
 * result on its own line after a tab, long lines folded at spaces. */
static int
fold_results(const struct buf *l, struct buf *f)
{
	size_t i, s = 0;

	for (i = 0; i <= l->len; i++) {
		struct buf one;

		if (i < l->len && l->p[i] != '\n')
			continue;
		one.p = l->p + s;
		one.len = i - s;
		one.cap = 0;
		if (s) {
			if (buf_addc(f, '\t') == -1)
				return -1;
			if (one.len && one.p[0] == ' ') {
				one.p++;
				one.len--;
			}
		}
		if (authres_fold(&one, f) == -1)
			return -1;
		s = i + 1;
	}
	return 0;
}

/* Judge one message; the verdict into r, the field into hdrs.  0, or -1
 * (out of memory: r becomes a tempfail). */
int
auth_judge(struct auth_conf *c, const struct msg *m, const struct hdr *h,
    const struct envelope *e, struct verdict_result *r, struct buf *hdrs)
{
	struct dnsq q;
	struct spf_check sc;
	enum spf_result spf;
	struct buf l = BUF_INIT, f = BUF_INIT;
	struct dkim_sig sigs[DKIM_MAX_SIGS];
	size_t nsig, i;
	struct dmarc_check dm;
	struct arc_check *arc;
	char sender[520], fromwhy[128];
	int have_from;
	int rc = -1;

	if (e->dir == ENV_DIR_OUT) {
		verdict_set(r, VERDICT_PASS, "2.0.0", "outbound: not checked");
		return 0;
	}
	if ((arc = malloc(sizeof *arc)) == NULL)
		return -1;
	dnsq_init(&q, c->dns, c->timeout_ms);
	/* every key at once; SPF's first question joins them below */
	nsig = dkim_collect(h, sigs, DKIM_MAX_SIGS, (long long)time(NULL));
	dkim_ask(&q, sigs, nsig);
	arc_ask(&q, h, arc, (long long)time(NULL));
	memset(&dm, 0, sizeof dm);
	have_from = dmarc_from_domain(h, dm.from, sizeof dm.from, fromwhy,
	    sizeof fromwhy) == 0;
	if (have_from)
		dmarc_ask(&q, dm.from);
	memset(&sc, 0, sizeof sc);
	bare_sender(e->sender, sender, sizeof sender);
	sc.sender = sender;
	sc.helo = e->helo ? e->helo : "";
	sc.me = c->me;
	if (e->ip == NULL || ip_parse(e->ip, strlen(e->ip), &sc.ip) == -1) {
		spf = SPF_NONE;
		snprintf(sc.identity, sizeof sc.identity, "mailfrom");
		snprintf(sc.why, sizeof sc.why, "client address unknown");
	} else
		spf = spf_check(&q, &sc);
	for (i = 0; i < nsig; i++)
		dkim_verify(&q, m, h, &sigs[i]);
	arc_verify(&q, m, h, arc);
	if (have_from) {
		dm.spf = spf;
		dm.spf_domain = sc.domain;
		dm.sigs = sigs;
		dm.nsig = nsig;
		dmarc_check(&q, &dm);
	}
	verdict_set(r, VERDICT_PASS, "2.0.0", "spf=%s dkim=%s dmarc=%s",
	    spf_result_name(spf), nsig ? dkim_result_name(sigs[0].res) : "none",
	    have_from ? dmarc_result_name(dm.res) : "permerror");
	if (have_from)
		dmarc_verdict(c, &dm, arc, r);
	if (buf_adds(&l, "Authentication-Results: ") == -1 ||
	    authres_value(&l, c->me, 0) == -1 ||
	    add_spf(&l, spf, &sc) == -1 ||
	    add_dkim(&l, sigs, nsig) == -1 ||
	    add_dmarc(&l, &dm, have_from, fromwhy) == -1 ||
	    add_arc(&l, arc) == -1)
		goto out;
	if (fold_results(&l, &f) == -1)
		goto out;
	if (buf_add(hdrs, f.p, f.len) == -1)
		goto out;
	rc = 0;
out:
	free(arc);
	dnsq_free(&q);
	buf_free(&l);
	buf_free(&f);
	return rc;
}

/* Is field i an Authentication-Results of our authserv-id that we must
 * replace?  Every such field from outside is forged (RFC 8601 5); the
 * one spoof-check wrote just before us in the chain (its own method only,
 * above the first Received field) stays. */
int
auth_header_ours(const struct hdr *h, size_t i, const char *me)
{
	const char *v = h->base + h->f[i].val_off;
	size_t n = h->f[i].val_len;
	long rcv;
	static const char *const ours[] = { "spf=", "dkim=", "dmarc=", "arc=",
		"auth=", "iprev=" };
	size_t k;

	if (!hdr_name_is(h, i, "Authentication-Results") ||
	    !authres_id_is(v, n, me))
		return 0;
	rcv = hdr_find(h, "Received", 0);
	if (rcv >= 0 && (size_t)rcv < i)
		return 1;
	if (memmem(v, n, "x-portcullis-", 13) == NULL)
		return 1;
	for (k = 0; k < sizeof ours / sizeof ours[0]; k++)
		if (memmem(v, n, ours[k], strlen(ours[k])) != NULL)
			return 1;
	return 0;
}
