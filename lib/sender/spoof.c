/* spoof: the judgement of spoof-check (see spoof.h).  Header text is a
 * stranger's; rules and control files are the administrator's.  Every scan
 * is linear in the header section, which hdr_parse has already capped.
 * Runs under any uid. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "authres.h"
#include "bypass.h"
#include "log.h"
#include "spoof.h"

/* RFC 5322 3.6 allows one From and at most one Sender; readers differ in
 * which of several they show, so several are refused, not chosen from. */
#define AMBIGUOUS_FLAGS (ADDR_AMBIGUOUS | ADDR_UNCLOSED | ADDR_NUL | \
	ADDR_JUNK | ADDR_ROUTE)

struct judge {
	const struct spoof    *sp;
	const struct envelope *e;
	unsigned               dir;        /* POLICY_IN or POLICY_OUT */
	struct verdict_result *r;
	struct spoof_result   *sr;
	size_t                 nfromaddr;  /* addresses in all From fields */
	struct buf             fromdoms;   /* their domains, "d\n" each */
};

static int
ours(const struct spoof *sp, const char *dom)
{
	return addr_domain_in(dom, sp->local.v, sp->local.n);
}

/* A domain as control files may list it: "example.com" or ".example.com". */
static int
domain_ok(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strstr(s, "..") != NULL)
		return 0;
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c >= 0x80))
			return 0;
	}
	return 1;
}

static int
read_domains(const char *name, struct ctl_list *l, char *err, size_t n)
{
	size_t i;

	if (ctl_lines(name, l) == -1) {
		snprintf(err, n, "unable to read %s/%s", ctl_dir(), name);
		return -1;
	}
	for (i = 0; i < l->n; i++)
		if (!domain_ok(l->v[i])) {
			snprintf(err, n, "%s/%s line %u: not a domain: %.100s",
			    ctl_dir(), name, l->lineno[i], l->v[i]);
			return -2;
		}
	return 0;
}

void
spoof_free(struct spoof *sp)
{
	policy_free(&sp->pol);
	ctl_free(&sp->local);
	ctl_free(&sp->allow);
}

/* Control files and rules.  0; -1 with errno when something cannot be
 * read; -2 for a mistake in them.  Either way err says what. */
int
spoof_load(struct spoof *sp, char *err, size_t n)
{
	struct ctl_list rules;
	struct policy_macro mac;
	char why[512];
	int r;

	memset(sp, 0, sizeof *sp);
	if ((r = read_domains("localdomains", &sp->local, err, n)) != 0 ||
	    (r = read_domains("allowsenders", &sp->allow, err, n)) != 0)
		goto fail;
	if ((r = ctl_rules(SPOOF_RULES, &rules)) <= 0) {
		if (r == 0)
			errno = ENOENT;
		snprintf(err, n, "unable to read rules %s", SPOOF_RULES);
		r = -1;
		goto fail;
	}
	snprintf(sp->rules_path, sizeof sp->rules_path, "%s", rules.path);
	mac.name = "local";
	mac.val = sp->local.v;
	mac.n = sp->local.n;
	if (policy_load(&sp->pol, &rules, &mac, 1, why, sizeof why) == -1) {
		r = errno == EINVAL ? -2 : -1;
		if (r == -2)
			snprintf(err, n, "%s (%s)", why, rules.path);
		else
			snprintf(err, n, "unable to load %s", rules.path);
		ctl_free(&rules);
		goto fail;
	}
	ctl_free(&rules);
	return 0;
fail:
	r = r == -2 ? -2 : -1;
	{
		int e = errno;
		spoof_free(sp);
		errno = e;
	}
	return r;
}

/* Judge one identity against the rules, for every envelope recipient
 * (none known: only the rules that say nothing of the recipient). */
static void
judge_id(struct judge *j, const char *label, const char *addr)
{
	const struct policy_rule *best = NULL, *p;
	const struct envelope *e = j->e;
	const char *dom = strrchr(addr, '@');
	char nd[256];
	size_t i;
	int mine;

	dom = dom ? dom + 1 : "";
	for (i = 0; i < (e->nrcpt ? e->nrcpt : 1); i++) {
		p = policy_match(&j->sp->pol, addr, e->nrcpt ? e->rcpt[i] : NULL,
		    j->dir);
		if (p && (best == NULL || p->action > best->action))
			best = p;
	}
	if (best == NULL || best->action == VERDICT_PASS)
		return;
	mine = ours(j->sp, dom);
	if (addr_domain_norm(dom, nd, sizeof nd) == 0)
		dom = nd;
	if (j->dir == POLICY_IN && mine) {
		if (best->action >= VERDICT_QUARANTINE)
			j->sr->alert = 1;
		verdict_raise(j->r, best->action, best->action == VERDICT_FLAG ?
		    "2.0.0" : "5.7.1", "%s claims %s from outside (rules line %u)",
		    label, dom, best->lineno);
	} else if (j->dir == POLICY_OUT && !mine)
		verdict_raise(j->r, best->action, best->action == VERDICT_FLAG ?
		    "2.0.0" : "5.7.1", "%s %s is not one of our domains%s "
		    "(rules line %u)", label, *dom ? dom : "(none)",
		    j->sp->local.n ? "" : ": control/localdomains is empty",
		    best->lineno);
	else
		verdict_raise(j->r, best->action, best->action == VERDICT_FLAG ?
		    "2.0.0" : "5.7.1", "%s %s (rules line %u)", label, addr,
		    best->lineno);
}

/* An '@' as a reader sees it: the ASCII one, and the full-width and small
 * commercial ats (U+FF20, U+FE6B) that render like it.  Its length, or 0. */
static size_t
at_len(const unsigned char *s, size_t n)
{
	if (s[0] == '@')
		return 1;
	if (n >= 3 && s[0] == 0xef && ((s[1] == 0xbc && s[2] == 0xa0) ||
	    (s[1] == 0xb9 && s[2] == 0xab)))
		return 3;
	return 0;
}

/* Invisible characters a sender can put inside a domain to hide it from a
 * byte comparison while the reader sees the domain: zero-width spaces and
 * joiners, marks, word joiner, BOM (U+200B-U+200F, U+2060, U+FEFF) and the
 * soft hyphen U+00AD.  Their length at s, or 0. */
static size_t
invisible_len(const unsigned char *s, size_t n)
{
	if (n >= 2 && s[0] == 0xc2 && s[1] == 0xad)
		return 2;
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0x8b && s[2] <= 0x8f)
		return 3;
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0xa0)
		return 3;
	if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		return 3;
	return 0;
}

static int
dchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* RFC 5322 3.2.3 atext and '.', the characters of a dot-atom local part. */
static int
lchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~.", c));
}

/* Inbound: every "@domain" of ours in the text of a From or Sender field
 * (display name, comment, quoted local part, group name) is judged as if
 * it were the address, since a reader may take it for one. */
static int
scan_claims(struct judge *j, const char *label, const char *s0, size_t n0)
{
	struct buf t = BUF_INIT, a = BUF_INIT;
	const unsigned char *s;
	size_t i, n, at, e, k, l;
	char dom[256];
	int rc = -1;

	for (i = 0; i < n0; i += k ? k : 1)
		if ((k = invisible_len((const unsigned char *)s0 + i, n0 - i)) == 0 &&
		    buf_addc(&t, s0[i]) == -1)
			goto out;
	s = (const unsigned char *)(t.p ? t.p : "");
	n = t.len;
	for (i = 0; i < n; i++) {
		if ((at = at_len(s + i, n - i)) == 0)
			continue;
		for (e = i + at; e < n && dchar(s[e]); e++)
			;
		while (e > i + at && s[e - 1] == '.')
			e--;
		k = e - (i + at);
		if (k == 0 || k >= sizeof dom)
			continue;
		memcpy(dom, s + i + at, k);
		dom[k] = '\0';
		if (!ours(j->sp, dom))
			continue;
		for (l = i; l > 0 && i - l < 256 && lchar(s[l - 1]); l--)
			;
		buf_reset(&a);
		if (buf_add(&a, s + l, i - l) == -1 || buf_addc(&a, '@') == -1 ||
		    buf_adds(&a, dom) == -1)
			goto out;
		judge_id(j, label, a.p);
	}
	rc = 0;
out:
	buf_free(&t);
	buf_free(&a);
	return rc;
}

static void
ambiguous(struct judge *j, const char *what)
{
	j->sr->alert = 1;
	verdict_raise(j->r, VERDICT_QUARANTINE, "5.7.1", "ambiguous %s: "
	    "readers may be shown different senders", what);
}

/* One From or Sender field: its addresses judged, and refused when it can
 * be read more than one way. */
static int
check_field(struct judge *j, const struct hdr *h, size_t i, const char *what,
    int is_from)
{
	struct buf v = BUF_INIT, dec = BUF_INIT, a = BUF_INIT;
	struct addr_list l;
	char label[64];
	size_t k, naddr = 0;
	int amb = (h->f[i].flags & (HDR_NUL | HDR_BARECR | HDR_OBSNAME)) != 0;
	int enc = 0, nodom = 0, rc = -1;

	memset(&l, 0, sizeof l);
	if (hdr_value(h, i, &v) == -1 || addr_parse_list(v.p, v.len, &l) == -1)
		goto out;
	snprintf(label, sizeof label, "%s header", what);
	for (k = 0; k < l.n; k++) {
		const struct addr *ad = &l.a[k];
		if (ad->flags & ADDR_NULLPATH)
			continue;
		naddr++;
		buf_reset(&a);
		if (buf_printf(&a, "%s@%s", ad->local, ad->domain) == -1)
			goto out;
		judge_id(j, label, a.p);
		if (is_from && ad->domain[0]) {
			if (j->sr->from_domain[0] == '\0')
				snprintf(j->sr->from_domain, sizeof j->sr->from_domain,
				    "%s", ad->domain);
			if (buf_printf(&j->fromdoms, "%s\n", ad->domain) == -1)
				goto out;
		}
		/* RFC 2047 section 5: never inside an addr-spec; a reader that
		 * decodes it anyway sees another address */
		if (strstr(ad->local, "=?") || strstr(ad->domain, "=?"))
			enc = 1;
		/* "a@ours"@evil: shown as a@ours by some readers */
		if (strpbrk(ad->local, "@<>"))
			amb = 1;
		if (ad->flags & ADDR_NODOMAIN)
			nodom = 1;
	}
	if (l.flags & AMBIGUOUS_FLAGS)
		amb = 1;
	if (hdr_decode_2047(v.p, v.len, &dec) == -1)
		goto out;
	/* a NUL, CR or LF out of an encoded word (Mailsploit): readers cut
	 * the name there, or start a new line, and show what they like */
	if (dec.len && (memchr(dec.p, '\0', dec.len) || memchr(dec.p, '\r',
	    dec.len) || memchr(dec.p, '\n', dec.len)))
		amb = 1;
	if (j->dir == POLICY_IN) {
		snprintf(label, sizeof label, "%s display text", what);
		if (scan_claims(j, label, v.p, v.len) == -1 ||
		    scan_claims(j, label, dec.p ? dec.p : "", dec.len) == -1)
			goto out;
	}
	snprintf(label, sizeof label, "%s field", what);
	if (amb)
		ambiguous(j, label);
	if (enc) {
		j->sr->alert = 1;
		verdict_raise(j->r, VERDICT_QUARANTINE, "5.7.1",
		    "encoded word inside the %s address", what);
	}
	if (naddr == 0)
		verdict_raise(j->r, VERDICT_FLAG, "2.0.0", "%s field has no address",
		    what);
	else if (nodom)
		verdict_raise(j->r, VERDICT_FLAG, "2.0.0", "%s address has no domain",
		    what);
	if (is_from)
		j->nfromaddr += naddr;
	rc = 0;
out:
	addr_list_free(&l);
	buf_free(&v);
	buf_free(&dec);
	buf_free(&a);
	return rc;
}

/* Does this name, with everything but letters left out, read "from" or
 * "sender"?  ("Fr\0om", " From", "From\x01") */
static int
name_like(const char *p, size_t n)
{
	char w[8];
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)p[i];
		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (c < 'a' || c > 'z')
			continue;
		if (k + 1 >= sizeof w)
			return 0;
		w[k++] = (char)c;
	}
	w[k] = '\0';
	return strcmp(w, "from") == 0 || strcmp(w, "sender") == 0;
}

/* A field that some reader may take for a From or Sender we do not see as
 * one: a broken name that reads "from", or a "From:" after a bare CR or at
 * the start of a continuation line (folding tricks). */
static int
lookalike(const struct hdr *h, size_t i)
{
	const struct hdr_field *f = &h->f[i];
	const char *p = h->base + f->off, *c;
	size_t k, e;

	if (f->flags & (HDR_BADNAME | HDR_NUL | HDR_NOCOLON)) {
		const char *nl = memchr(p, '\n', f->len);
		size_t first = nl ? (size_t)(nl - p) : f->len;
		if ((c = memchr(p, ':', first)) != NULL &&
		    name_like(p, (size_t)(c - p)))
			return 1;
		/* a name folded before its colon ("From\r\n : a@b", espoofer
		 * A13): readers that unfold first see a From field */
		if (c == NULL && (c = memchr(p, ':', f->len)) != NULL &&
		    (size_t)(c - p) < 64 && name_like(p, (size_t)(c - p)))
			return 1;
	}
	for (k = 1; k < f->len; k++) {
		if (!(p[k - 1] == '\n' || (p[k - 1] == '\r' && p[k] != '\n')))
			continue;
		for (e = k; e < f->len && e - k < 32 && p[e] != ':' &&
		    p[e] != '\n'; e++)
			;
		if (e < f->len && p[e] == ':' && name_like(p + k, e - k))
			return 1;
	}
	return 0;
}

static int
allowed(const struct spoof *sp, const char *dom)
{
	return addr_domain_in(dom, sp->allow.v, sp->allow.n) || ours(sp, dom);
}

/* Business-only mode (control/allowsenders): inbound mail from a domain we
 * do not do business with is caught unless the Subject carries a current
 * bypass key. */
static int
business(struct judge *j, const struct hdr *h)
{
	struct buf s = BUF_INIT, dec = BUF_INIT;
	const char *bad = NULL, *d, *snd = j->e->sender;
	char one[256];
	long k;
	int ok, rc = -1;

	if (j->dir != POLICY_IN || j->sp->allow.n == 0)
		return 0;
	if (snd && *snd && (d = strrchr(snd, '@')) && !allowed(j->sp, d + 1))
		bad = d + 1;
	for (d = j->fromdoms.p; !bad && d && *d; d = strchr(d, '\n') + 1) {
		snprintf(one, sizeof one, "%.*s", (int)strcspn(d, "\n"), d);
		if (!allowed(j->sp, one))
			bad = one;
	}
	if (!bad && !(snd && *snd) && j->fromdoms.len == 0)
		bad = "(unknown)";
	if (!bad)
		return 0;
	if ((k = hdr_find(h, "Subject", 0)) >= 0 &&
	    (hdr_value(h, (size_t)k, &s) == -1 ||
	    hdr_decode_2047(s.p, s.len, &dec) == -1))
		goto out;
	if ((ok = bypass_subject_ok(dec.p ? dec.p : "")) == -1)
		verdict_set(j->r, VERDICT_TEMPFAIL, "4.3.0", "unable to read "
		    "%s/bypasskeys: %s", ctl_dir(), strerror(errno));
	else if (ok == 0)
		verdict_raise(j->r, VERDICT_QUARANTINE, "5.7.1",
		    "sender %s not in allowsenders", bad);
	else if (j->r->v == VERDICT_PASS)
		verdict_set(j->r, VERDICT_PASS, "2.0.0", "bypass key in Subject "
		    "(sender %s not in allowsenders)", bad);
	rc = ok == -1 ? -1 : 0;
out:
	buf_free(&s);
	buf_free(&dec);
	return rc;
}

/* Fields RFC 5322 3.6 allows once, besides From and Sender (judged on
 * their own) and Reply-To (a quarantine): a second one is shown by some
 * readers and not by others. */
static const char *singletons[] = {
	"To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To",
};

/* The index in singletons of the first field given twice, or its size. */
static size_t
dup_singleton(const struct hdr *h)
{
	size_t k;

	for (k = 0; k < sizeof singletons / sizeof singletons[0]; k++)
		if (hdr_count(h, singletons[k]) > 1)
			break;
	return k;
}

/* Judge one message into r.  0, or -1 when memory runs out or the bypass
 * keys cannot be read (r then says tempfail where it can). */
int
spoof_judge(const struct spoof *sp, const struct hdr *h,
    const struct envelope *e, struct verdict_result *r, struct spoof_result *sr)
{
	struct judge j;
	size_t i, nfrom, nsender;
	int rc = -1;

	memset(sr, 0, sizeof *sr);
	memset(&j, 0, sizeof j);
	j.sp = sp;
	j.e = e;
	j.r = r;
	j.sr = sr;
	j.dir = e->dir == ENV_DIR_OUT ? POLICY_OUT : POLICY_IN;
	if (e->sender && *e->sender)
		judge_id(&j, "envelope sender", e->sender);
	for (i = 0; i < h->n; i++) {
		if (hdr_name_is(h, i, "From")) {
			if (check_field(&j, h, i, "From", 1) == -1)
				goto out;
		} else if (hdr_name_is(h, i, "Sender")) {
			if (check_field(&j, h, i, "Sender", 0) == -1)
				goto out;
		} else if (lookalike(h, i))
			ambiguous(&j, "header line that reads as From or Sender");
	}
	nfrom = hdr_count(h, "From");
	nsender = hdr_count(h, "Sender");
	if (nfrom > 1 || nsender > 1) {
		sr->alert = 1;
		verdict_raise(r, VERDICT_QUARANTINE, "5.7.1", "%zu %s fields",
		    nfrom > 1 ? nfrom : nsender, nfrom > 1 ? "From" : "Sender");
	}
	if (nfrom == 0) {
		/* without a From, readers show Resent-From (espoofer A13): it
		 * is judged as the From would be */
		for (i = 0; i < h->n; i++)
			if (hdr_name_is(h, i, "Resent-From") &&
			    check_field(&j, h, i, "Resent-From", 0) == -1)
				goto out;
		verdict_raise(r, VERDICT_FLAG, "2.0.0", "no From field");
	}
	if (hdr_count(h, "Reply-To") > 1) {
		sr->alert = 1;
		verdict_raise(r, VERDICT_QUARANTINE, "5.7.1", "%zu Reply-To fields: "
		    "readers may answer different addresses",
		    hdr_count(h, "Reply-To"));
	}
	if ((i = dup_singleton(h)) < sizeof singletons / sizeof singletons[0])
		verdict_raise(r, VERDICT_FLAG, "2.0.0", "%s field given twice "
		    "(RFC 5322 3.6)", singletons[i]);
	else if (j.nfromaddr > 1 && nsender == 0)
		verdict_raise(r, VERDICT_FLAG, "2.0.0", "several From addresses "
		    "and no Sender field (RFC 5322 3.6.2)");
	rc = business(&j, h);
out:
	buf_free(&j.fromdoms);
	return rc;
}

/* The Authentication-Results header (RFC 8601) for -a.  Our method is not
 * registered with IANA, hence the "x-" prefix (RFC 8601 2.7.6); the
 * verdict goes into the reason. */
int
spoof_authres(const char *me, const struct envelope *e,
    const struct spoof_result *sr, const struct verdict_result *r,
    struct buf *out)
{
	struct buf l = BUF_INIT;
	char reason[VERDICT_TEXT_MAX + 64];
	const char *res;
	int rc = -1;

	res = r->v == VERDICT_PASS ? "pass" : r->v == VERDICT_FLAG ? "neutral" :
	    r->v == VERDICT_TEMPFAIL ? "temperror" : "fail";
	snprintf(reason, sizeof reason, "%s %s %s", verdict_name(r->v),
	    r->status, r->text[0] ? r->text : "ok");
	if (buf_adds(&l, "Authentication-Results: ") == -1 ||
	    authres_value(&l, me, 0) == -1 ||
	    buf_printf(&l, "; x-portcullis-spoof=%s reason=", res) == -1 ||
	    authres_value(&l, reason, 1) == -1)
		goto out;
	if (e->sender && *e->sender && (buf_adds(&l, " smtp.mailfrom=") == -1 ||
	    authres_value(&l, e->sender, 0) == -1))
		goto out;
	if (sr->from_domain[0] && (buf_adds(&l, " header.from=") == -1 ||
	    authres_value(&l, sr->from_domain, 0) == -1))
		goto out;
	rc = authres_fold(&l, out);
out:
	buf_free(&l);
	return rc;
}

/* Is field i an Authentication-Results whose authserv-id is ours?  Such a
 * header from outside is forged or stale and is removed (RFC 8601 5). */
int
spoof_authres_ours(const struct hdr *h, size_t i, const char *me)
{
	if (!hdr_name_is(h, i, "Authentication-Results"))
		return 0;
	return authres_id_is(h->base + h->f[i].val_off, h->f[i].val_len, me);
}
