/* dkim: DKIM verification (see dkim.h).  Runs in auth-check under the
 * caller's uid.  A signature's tags, the message it covers and the key
 * record are strangers' bytes: tags are parsed with their lengths, the
 * number of signatures and of h= names is capped, keys are decoded by
 * OpenSSL from bounded buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim.h"
#include "taglist.h"

const char *
dkim_result_name(enum dkim_result r)
{
	static const char *const n[] = { "none", "pass", "fail", "neutral",
		"policy", "temperror", "permerror" };

	return (unsigned)r < sizeof n / sizeof n[0] ? n[r] : "permerror";
}

/* base64 (RFC 2045 alphabet) with folding white space skipped; the
 * length decoded, or -1 when it is not base64 or will not fit. */
static long
b64(const char *s, size_t n, unsigned char *out, size_t max)
{
	unsigned v = 0, bits = 0;
	size_t i, o = 0, pad = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];
		int d;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad)
			return -1;   /* data after padding */
		if (c >= 'A' && c <= 'Z') d = c - 'A';
		else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
		else if (c >= '0' && c <= '9') d = c - '0' + 52;
		else if (c == '+') d = 62;
		else if (c == '/') d = 63;
		else return -1;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == max)
				return -1;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	return pad > 2 ? -1 : (long)o;
}

/* A value into a C string with white space removed (d=, s=, a=). */
static int
copy_val(const struct tag *t, char *out, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < t->vl; i++) {
		unsigned char c = (unsigned char)t->val[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c < 0x21 || c > 0x7e || o + 1 >= n)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static long long
number(const struct tag *t)
{
	unsigned long long v = 0;
	size_t i;

	if (t->vl == 0 || t->vl > 18)
		return -1;
	for (i = 0; i < t->vl; i++) {
		if (t->val[i] < '0' || t->val[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(t->val[i] - '0');
	}
	return (long long)v;
}

/* The h= list: names separated by ':' with white space around. */
static int
parse_h(const struct tag *t, struct dkim_sig *s)
{
	size_t i = 0;
	int from = 0;

	s->nh = 0;
	while (i <= t->vl) {
		char name[80];
		size_t o = 0;

		for (; i < t->vl && t->val[i] != ':'; i++) {
			char c = t->val[i];
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if ((unsigned char)c < 0x21 || (unsigned char)c > 0x7e ||
			    o + 1 >= sizeof name)
				return -1;
			name[o++] = c;
		}
		name[o] = '\0';
		i++;
		/* ARC: an empty name in h= (or h= empty) signs nothing, as the
		 * ARC suite and dkimpy have it */
		if (o == 0 && s->kind == DKIM_AMS)
			continue;
		if (o == 0 || s->nh == DKIM_MAX_HDRS)
			return -1;
		if (strcasecmp(name, "from") == 0)
			from = 1;
		if (s->kind == DKIM_AMS && strcasecmp(name, "arc-seal") == 0)
			return -1;   /* RFC 8617 4.1.2 */
		memcpy(s->h[s->nh++], name, o + 1);
	}
	/* From must be signed (RFC 6376 5.4) */
	return from || s->kind != DKIM_SIG ? 0 : -1;
}

/* ARC's i= (the instance, 1 to 50) and, for a seal, cv= (RFC 8617 4.1). */
static int
parse_arc(const struct tag *t, size_t nt, struct dkim_sig *s)
{
	const struct tag *x = taglist_get(t, nt, "i");
	long long i;

	if (x == NULL || (i = number(x)) < 1 || i > 50)
		return -1;
	s->inst = (unsigned)i;
	if (s->kind != DKIM_AS)
		return 0;
	x = taglist_get(t, nt, "cv");
	if (taglist_is(x, "none"))
		s->cv = 0;
	else if (taglist_is(x, "pass"))
		s->cv = 1;
	else if (taglist_is(x, "fail"))
		s->cv = 2;
	else
		return -1;
	return 0;
}

/* Parse one DKIM-Signature value (RFC 6376 3.5) into s.  0; or -1 with
 * s->res set (permerror, or neutral for a version we do not know). */
int
dkim_parse_sig(const char *v, size_t n, struct dkim_sig *s, long long now)
{
	struct tag t[TAGLIST_MAX];
	const struct tag *x;
	int nt;
	long r;

	s->t = s->x = -1;
	s->res = DKIM_PERMERROR;
#define BAD(msg) do { snprintf(s->why, sizeof s->why, "%s", msg); return -1; } while (0)
	if ((nt = taglist_parse(v, n, t, TAGLIST_MAX)) < 0)
		BAD("malformed tag list");
	if (s->kind == DKIM_SIG &&
	    !taglist_is(taglist_get(t, (size_t)nt, "v"), "1")) {
		s->res = DKIM_NEUTRAL;
		BAD("not version 1");
	}
	if ((x = taglist_get(t, (size_t)nt, "a")) == NULL ||
	    copy_val(x, s->a, sizeof s->a) == -1)
		BAD("bad or missing a=");
	if (strcasecmp(s->a, "rsa-sha256") == 0)
		s->alg = DKIM_RSA_SHA256;
	else if (strcasecmp(s->a, "ed25519-sha256") == 0)
		s->alg = DKIM_ED25519_SHA256;
	else if (strcasecmp(s->a, "rsa-sha1") == 0)
		s->alg = DKIM_RSA_SHA1;
	else
		BAD("unknown algorithm");
	if ((x = taglist_get(t, (size_t)nt, "d")) == NULL ||
	    copy_val(x, s->d, sizeof s->d) == -1 || s->d[0] == '\0')
		BAD("bad or missing d=");
	if ((x = taglist_get(t, (size_t)nt, "s")) == NULL ||
	    copy_val(x, s->s, sizeof s->s) == -1 || s->s[0] == '\0')
		BAD("bad or missing s=");
	if ((x = taglist_get(t, (size_t)nt, "b")) == NULL ||
	    (r = b64(x->val, x->vl, s->b, sizeof s->b)) <= 0)
		BAD("bad or missing b=");
	s->blen = (size_t)r;
	{
		/* header.b (RFC 6008): the first 8 characters of b= */
		size_t i, o = 0;
		for (i = 0; i < x->vl && o < 8; i++)
			if (x->val[i] != ' ' && x->val[i] != '\t' &&
			    x->val[i] != '\r' && x->val[i] != '\n')
				s->bprefix[o++] = x->val[i];
		s->bprefix[o] = '\0';
	}
	if (s->kind != DKIM_SIG && parse_arc(t, (size_t)nt, s) == -1)
		BAD("bad i= or cv=");
	if (s->kind == DKIM_AS) {
		s->hrelaxed = 1;   /* RFC 8617 4.1.3: always relaxed */
		s->res = DKIM_NONE;
		return 0;
	}
	if ((x = taglist_get(t, (size_t)nt, "bh")) == NULL ||
	    (r = b64(x->val, x->vl, s->bh, sizeof s->bh)) <= 0)
		BAD("bad or missing bh=");
	s->bhlen = (size_t)r;
	if ((x = taglist_get(t, (size_t)nt, "h")) == NULL || parse_h(x, s) == -1)
		BAD("bad or missing h=, or From not signed");
	/* no c=: simple/simple for DKIM (RFC 6376 3.5); relaxed/relaxed for
	 * an ARC-Message-Signature, as the ARC suite and dkimpy read it */
	s->hrelaxed = s->brelaxed = s->kind == DKIM_AMS;
	if ((x = taglist_get(t, (size_t)nt, "c")) != NULL) {
		s->hrelaxed = s->brelaxed = 0;
		char c[40], *slash;
		if (copy_val(x, c, sizeof c) == -1)
			BAD("bad c=");
		if ((slash = strchr(c, '/')) != NULL)
			*slash++ = '\0';
		if (strcasecmp(c, "relaxed") == 0)
			s->hrelaxed = 1;
		else if (strcasecmp(c, "simple") != 0)
			BAD("bad c=");
		if (slash && strcasecmp(slash, "relaxed") == 0)
			s->brelaxed = 1;
		else if (slash && strcasecmp(slash, "simple") != 0)
			BAD("bad c=");
	}
	if ((x = taglist_get(t, (size_t)nt, "l")) != NULL) {
		long long l = number(x);
		if (l < 0)
			BAD("bad l=");
		s->has_l = 1;
		s->l = (unsigned long long)l;
	}
	if ((x = taglist_get(t, (size_t)nt, "q")) != NULL &&
	    !(x->vl >= 7 && strncasecmp(x->val, "dns/txt", 7) == 0))
		BAD("unknown q=");
	if ((x = taglist_get(t, (size_t)nt, "t")) != NULL &&
	    (s->t = number(x)) < 0)
		BAD("bad t=");
	if ((x = taglist_get(t, (size_t)nt, "x")) != NULL) {
		if ((s->x = number(x)) < 0 || (s->t >= 0 && s->x < s->t))
			BAD("bad x=");
		if (s->x < now)
			BAD("signature expired");
	}
	if (s->kind == DKIM_SIG && (x = taglist_get(t, (size_t)nt, "i")) != NULL) {
		const char *at;
		if (copy_val(x, s->i, sizeof s->i) == -1 ||
		    (at = strrchr(s->i, '@')) == NULL)
			BAD("bad i=");
		/* the AUID's domain is d= or below it (RFC 6376 3.5) */
		{
			size_t il = strlen(at + 1), dl = strlen(s->d);
			if (!(il == dl && strcasecmp(at + 1, s->d) == 0) &&
			    !(il > dl && at[il - dl] == '.' &&
			    strcasecmp(at + 1 + il - dl, s->d) == 0))
				BAD("i= not within d=");
		}
	}
#undef BAD
	s->res = DKIM_NONE;
	return 0;
}

/* Every DKIM-Signature field, topmost first, at most max, parsed. */
size_t
dkim_collect(const struct hdr *h, struct dkim_sig *sigs, size_t max,
    long long now)
{
	size_t i, n = 0;

	for (i = 0; i < h->n && n < max; i++) {
		if (!hdr_name_is(h, i, "DKIM-Signature"))
			continue;
		memset(&sigs[n], 0, sizeof sigs[n]);
		sigs[n].field = i;
		(void)dkim_parse_sig(h->base + h->f[i].val_off, h->f[i].val_len,
		    &sigs[n], now);
		n++;
	}
	return n;
}

static void
key_name(const struct dkim_sig *s, char *out, size_t n)
{
	snprintf(out, n, "%s._domainkey.%s", s->s, s->d);
}

/* Submit the key queries of every signature at once. */
void
dkim_ask(struct dnsq *q, const struct dkim_sig *s, size_t n)
{
	char name[400];
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i].res == DKIM_NONE && s[i].alg != DKIM_RSA_SHA1) {
			key_name(&s[i], name, sizeof name);
			dnsq_ask(q, name, DNS_TXT);
		}
}

/* --- canonicalisation ------------------------------------------------ */

struct canon {
	EVP_MD_CTX *md;
	int         relaxed;
	unsigned long long left;   /* l=: bytes still to hash */
	int         limited;
	unsigned long long total;  /* canonical body bytes seen */
	size_t      blank;         /* empty lines held back */
	int         err;
};

static void
out(struct canon *c, const char *p, size_t n)
{
	c->total += n;
	if (c->limited) {
		if (c->left == 0)
			return;
		if (n > c->left)
			n = (size_t)c->left;
		c->left -= n;
	}
	if (n && EVP_DigestUpdate(c->md, p, n) != 1)
		c->err = 1;
}

/* One body line (without its line end) through the canonicaliser;
 * empty lines are held back until a line with content shows that they
 * are not trailing ones (RFC 6376 3.4.3, 3.4.4). */
static void
body_line(struct canon *c, const char *p, size_t n)
{
	char buf[1024];
	size_t i, o = 0;
	int sp = 0;

	if (c->relaxed) {
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
	}
	if (n == 0) {
		c->blank++;
		return;
	}
	for (; c->blank; c->blank--)
		out(c, "\r\n", 2);
	if (!c->relaxed) {
		out(c, p, n);
		out(c, "\r\n", 2);
		return;
	}
	for (i = 0; i < n; i++) {
		if (p[i] == ' ' || p[i] == '\t') {
			sp = 1;
			continue;
		}
		if (o + 2 > sizeof buf) {
			out(c, buf, o);
			o = 0;
		}
		if (sp)
			buf[o++] = ' ';
		sp = 0;
		buf[o++] = p[i];
	}
	out(c, buf, o);
	out(c, "\r\n", 2);
}

/* The body hash of bytes p[0..n) into md (its output), per the
 * signature's canonicalisation and l=.  0; -1 on an OpenSSL error; 1
 * when l= is longer than the body. */
static int
body_hash(const struct dkim_sig *s, const char *p, size_t n,
    unsigned char *md, unsigned *mdlen)
{
	struct canon c;
	size_t i, st = 0, e;
	int rc = 0;

	memset(&c, 0, sizeof c);
	c.relaxed = s->brelaxed;
	c.limited = s->has_l;
	c.left = s->l;
	if ((c.md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c.md, s->alg == DKIM_RSA_SHA1 ? EVP_sha1() :
	    EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c.md);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (p[i] == '\n') {
			e = i;
			if (e > st && p[e - 1] == '\r')
				e--;
			body_line(&c, p + st, e - st);
			st = i + 1;
		}
	if (st < n)
		body_line(&c, p + st, n - st);   /* a last line with no end */
	/* simple: an empty body is one CRLF (3.4.3) */
	if (!c.relaxed && c.total == 0)
		out(&c, "\r\n", 2);
	if (c.limited && c.left > 0)
		rc = 1;
	if (c.err || EVP_DigestFinal_ex(c.md, md, mdlen) != 1)
		rc = -1;
	EVP_MD_CTX_free(c.md);
	return rc;
}

/* Append header field bytes p[0..n) (name to the end of the value, no
 * line end) in the signature's header canonicalisation to b. */
int
dkim_canon_header(int relaxed, const char *p, size_t n, size_t name_len,
    struct buf *b, int crlf)
{
	size_t i, e;
	int sp = 0, started = 0;

	if (!relaxed) {
		/* simple: as it is, with every line end made CRLF */
		for (i = 0; i < n; i++) {
			if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) {
				if (buf_add(b, "\r\n", 2) == -1)
					return -1;
			} else if (buf_addc(b, p[i]) == -1)
				return -1;
		}
		return crlf ? buf_add(b, "\r\n", 2) : 0;
	}
	for (i = 0; i < name_len; i++)
		if (buf_addc(b, p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]) == -1)
			return -1;
	for (i = name_len; i < n && p[i] != ':'; i++)
		;
	if (buf_addc(b, ':') == -1)
		return -1;
	e = n;
	while (e > i + 1 && (p[e - 1] == ' ' || p[e - 1] == '\t' ||
	    p[e - 1] == '\r' || p[e - 1] == '\n'))
		e--;
	for (i++; i < e; i++) {
		char c = p[i];
		if (c == '\r' || c == '\n')
			continue;   /* unfold */
		if (c == ' ' || c == '\t') {
			sp = 1;
			continue;
		}
		if (sp && started && buf_addc(b, ' ') == -1)
			return -1;
		sp = 0;
		started = 1;
		if (buf_addc(b, c) == -1)
			return -1;
	}
	return crlf ? buf_add(b, "\r\n", 2) : 0;
}

/* The field's bytes without its line end. */
static void
field_bytes(const struct hdr *h, size_t i, const char **p, size_t *n)
{
	*p = h->base + h->f[i].off;
	*n = h->f[i].val_off + h->f[i].val_len - h->f[i].off;
}

/* Field i (name, colon, value; no line end) with the value of its b=
 * tag emptied, everything else byte for byte (RFC 6376 3.7), into out. */
int
dkim_field_sans_b(const struct hdr *h, size_t i, struct buf *out)
{
	const char *p;
	size_t n, j, v0 = h->f[i].val_off - h->f[i].off;

	field_bytes(h, i, &p, &n);
	if (buf_add(out, p, v0) == -1)
		return -1;
	for (j = v0; j < n; ) {
		size_t st = j, e, q, r;

		for (e = j; e < n && p[e] != ';'; e++)
			;
		for (q = st; q < e && (p[q] == ' ' || p[q] == '\t' ||
		    p[q] == '\r' || p[q] == '\n'); q++)
			;
		r = q + 1;
		while (r < e && (p[r] == ' ' || p[r] == '\t' || p[r] == '\r' ||
		    p[r] == '\n'))
			r++;
		if (q < e && p[q] == 'b' && r < e && p[r] == '=') {
			/* the b tag: keep up to its '=', drop its value */
			if (buf_add(out, p + st, r + 1 - st) == -1)
				return -1;
		} else if (buf_add(out, p + st, e - st) == -1)
			return -1;
		if (e < n && buf_addc(out, ';') == -1)
			return -1;
		j = e + 1;
	}
	return 0;
}

/* The data the signature's header hash covers (RFC 6376 3.7): the fields
 * named in h=, each taken from the bottom up, then the signature field
 * itself with the value of b= removed and no line end. */
static int
signed_data(const struct hdr *h, const struct dkim_sig *s, struct buf *b)
{
	unsigned char *used;
	size_t k, i, n;
	const char *p;
	int rc = -1;

	if ((used = calloc(h->n ? h->n : 1, 1)) == NULL)
		return -1;
	for (k = 0; k < s->nh; k++) {
		for (i = h->n; i-- > 0; )
			if (!used[i] && hdr_name_is(h, i, s->h[k]))
				break;
		if (i == (size_t)-1)
			continue;   /* absent or oversigned: contributes nothing */
		used[i] = 1;
		field_bytes(h, i, &p, &n);
		if (dkim_canon_header(s->hrelaxed, p, n, h->f[i].name_len, b, 1) == -1)
			goto out;
	}
	/* the signature field with b='s value emptied, no line end */
	{
		struct buf f = BUF_INIT;

		if (dkim_field_sans_b(h, s->field, &f) == 0)
			rc = dkim_canon_header(s->hrelaxed, f.p, f.len,
			    h->f[s->field].name_len, b, 0);
		buf_free(&f);
	}
out:
	free(used);
	return rc;
}

/* The public key from a key record's p= (SubjectPublicKeyInfo, or a bare
 * PKCS#1 RSA key as some publish), or a raw Ed25519 key. */
static EVP_PKEY *
load_key(int ed, const struct tag *p)
{
	unsigned char der[2048];
	const unsigned char *q = der;
	long n = b64(p->val, p->vl, der, sizeof der);
	EVP_PKEY *k;

	if (n <= 0)
		return NULL;
	if (ed)
		return n == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
		    NULL, der, 32) : NULL;
	if ((k = d2i_PUBKEY(NULL, &q, n)) != NULL)
		return k;
	q = der;
	return d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, n);
}

/* Check the key record against the signature (RFC 6376 3.6.1); the key,
 * or NULL with s->res and s->why set. */
static EVP_PKEY *
check_key(struct dkim_sig *s, const char *rec, size_t n)
{
	struct tag t[TAGLIST_MAX];
	const struct tag *x;
	EVP_PKEY *k;
	int nt, ed = s->alg == DKIM_ED25519_SHA256;

	s->res = DKIM_PERMERROR;
#define BAD(msg) do { snprintf(s->why, sizeof s->why, "%s", msg); return NULL; } while (0)
	if ((nt = taglist_parse(rec, n, t, TAGLIST_MAX)) < 0)
		BAD("malformed key record");
	/* v= must be first and DKIM1 when present */
	if ((x = taglist_get(t, (size_t)nt, "v")) != NULL &&
	    (x != &t[0] || !taglist_is(x, "DKIM1")))
		BAD("bad key record version");
	x = taglist_get(t, (size_t)nt, "k");
	if (ed ? !taglist_is(x, "ed25519") : (x && !taglist_is(x, "rsa")))
		BAD("key type does not match the algorithm");
	if ((x = taglist_get(t, (size_t)nt, "h")) != NULL &&
	    !(x->vl >= 6 && strcasestr(x->val, "sha256") &&
	    (size_t)(strcasestr(x->val, "sha256") - x->val) < x->vl))
		BAD("key not for sha256");
	if ((x = taglist_get(t, (size_t)nt, "s")) != NULL) {
		char v[64];
		if (copy_val(x, v, sizeof v) == -1 ||
		    (!strstr(v, "*") && !strcasestr(v, "email")))
			BAD("key not for email");
	}
	if ((x = taglist_get(t, (size_t)nt, "t")) != NULL && s->i[0] &&
	    memchr(x->val, 's', x->vl)) {
		/* t=s: the i= domain must be d= itself */
		const char *at = strrchr(s->i, '@');
		if (at && strcasecmp(at + 1, s->d) != 0)
			BAD("key t=s forbids a subdomain in i=");
	}
	if ((x = taglist_get(t, (size_t)nt, "p")) == NULL)
		BAD("key record without p=");
	if (x->vl == 0)
		BAD("key revoked");
	if ((k = load_key(ed, x)) == NULL)
		BAD("key cannot be decoded");
	if (!ed && (EVP_PKEY_base_id(k) != EVP_PKEY_RSA ||
	    EVP_PKEY_bits(k) < DKIM_MIN_RSA)) {
		EVP_PKEY_free(k);
		s->res = DKIM_POLICY;
		BAD("RSA key under 1024 bits");
	}
#undef BAD
	s->res = DKIM_NONE;
	return k;
}

/* Verify the signature proper over data with key k. */
static int
verify_sig(const struct dkim_sig *s, EVP_PKEY *k, const struct buf *data)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = 0;

	if (m == NULL)
		return -1;
	if (s->alg == DKIM_ED25519_SHA256) {
		/* RFC 8463 3: Ed25519 signs the SHA-256 hash of the data */
		unsigned char h[32];
		unsigned hl;
		if (EVP_Digest(data->p, data->len, h, &hl, EVP_sha256(), NULL) == 1 &&
		    EVP_DigestVerifyInit(m, NULL, NULL, NULL, k) == 1)
			ok = EVP_DigestVerify(m, s->b, s->blen, h, hl) == 1;
	} else if (EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, k) == 1)
		ok = EVP_DigestVerify(m, s->b, s->blen,
		    (const unsigned char *)data->p, data->len) == 1;
	EVP_MD_CTX_free(m);
	return ok;
}

/* The key of signature s from DNS into *key: 0, or -1 with s->res and
 * s->why set (temperror, permerror, policy). */
int
dkim_key(struct dnsq *q, struct dkim_sig *s, void **key)
{
	char name[400];
	const struct dns_answer *a;
	EVP_PKEY *k = NULL;
	size_t i;

	*key = NULL;
	if (s->alg == DKIM_RSA_SHA1) {
		/* RFC 8301 3.1: never valid */
		s->res = DKIM_POLICY;
		snprintf(s->why, sizeof s->why, "rsa-sha1 is not accepted");
		return -1;
	}
	key_name(s, name, sizeof name);
	a = dnsq_get(q, name, DNS_TXT);
	if (a->status == DNS_TEMP) {
		s->res = DKIM_TEMPERROR;
		snprintf(s->why, sizeof s->why, "key lookup failed");
		return -1;
	}
	if (a->status != DNS_OK) {
		s->res = DKIM_PERMERROR;
		snprintf(s->why, sizeof s->why, "no key record");
		return -1;
	}
	/* the first record that yields a key (several are ambiguous) */
	for (i = 0; i < a->n && k == NULL; i++)
		k = check_key(s, a->rr[i].text, a->rr[i].len);
	*key = k;
	return k ? 0 : -1;
}

void
dkim_key_free(void *key)
{
	EVP_PKEY_free(key);
}

/* Does s's signature verify over data with key?  1, 0. */
int
dkim_check_data(const struct dkim_sig *s, void *key, const char *data,
    size_t len)
{
	struct buf b;

	b.p = (char *)data;
	b.len = len;
	b.cap = 0;
	return verify_sig(s, key, &b) == 1;
}

/* Verify one parsed signature: s->res and s->why. */
void
dkim_verify(struct dnsq *q, const struct msg *m, const struct hdr *h,
    struct dkim_sig *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	struct buf data = BUF_INIT;
	EVP_PKEY *k;
	void *key;
	int r;

	if (s->res != DKIM_NONE)
		return;   /* the parse already decided */
	if (dkim_key(q, s, &key) == -1)
		return;
	k = key;
	r = body_hash(s, m->raw.p + m->body_off, m->raw.len - m->body_off,
	    md, &mdlen);
	if (r == -1) {
		s->res = DKIM_TEMPERROR;
		snprintf(s->why, sizeof s->why, "hashing failed");
	} else if (r == 1) {
		s->res = DKIM_FAIL;
		snprintf(s->why, sizeof s->why, "l= longer than the body");
	} else if (mdlen != s->bhlen || memcmp(md, s->bh, mdlen) != 0) {
		s->res = DKIM_FAIL;
		snprintf(s->why, sizeof s->why, "body hash did not verify");
	} else if (signed_data(h, s, &data) == -1) {
		s->res = DKIM_TEMPERROR;
		snprintf(s->why, sizeof s->why, "out of memory");
	} else if (verify_sig(s, k, &data) != 1) {
		s->res = DKIM_FAIL;
		snprintf(s->why, sizeof s->why, "signature did not verify");
	} else if (s->kind == DKIM_SIG && hdr_count(h, "From") != 1) {
		/* the signature holds, but for which From?  (RFC 6376 8.15,
		 * RFC 7489 6.6.1): local policy refuses it */
		s->res = DKIM_POLICY;
		snprintf(s->why, sizeof s->why, "more than one From field");
	} else {
		s->res = DKIM_PASS;
		snprintf(s->why, sizeof s->why, "%s", s->has_l ?
		    "signature verified, l= leaves part of the body unsigned" :
		    "signature verified");
	}
	buf_free(&data);
	EVP_PKEY_free(k);
}
