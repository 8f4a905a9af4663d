/* dkimsign: making DKIM signatures (RFC 6376 section 5) with rsa-sha256
 * and ed25519-sha256 (RFC 8463) keys from the control directory, and the
 * TXT records that publish them (section 3.6.1).  See dkimsign.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ctl.h"
#include "dkimsign.h"
#include "hdr.h"
#include "log.h"

#define LINE_MAX_COLS 76   /* fold our own field well under 78 (RFC 5322 2.1.1) */

/* A domain or selector name as a directory or file name: letters, digits,
 * '-', '_' and '.', not starting with '.', at most max bytes. */
static int
name_ok(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n == 0 || n >= max || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return 0;
	return 1;
}

/* Read one PEM private key into k; its kind must be RSA (of at least
 * DKIMSIGN_MIN_RSA bits) or Ed25519. */
static int
key_read(const char *path, struct dkim_key *k)
{
	FILE *f;
	int id;

	if ((f = fopen(path, "re")) == NULL) {
		log_detail(errno, "unable to open %s: %s", path, strerror(errno));
		return -1;
	}
	k->pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k->pk == NULL) {
		log_detail(EINVAL, "%s: not a PEM private key", path);
		errno = EINVAL;
		return -1;
	}
	id = EVP_PKEY_get_base_id(k->pk);
	k->bits = EVP_PKEY_get_bits(k->pk);
	if (id == EVP_PKEY_ED25519)
		k->ed25519 = 1;
	else if (id != EVP_PKEY_RSA) {
		log_detail(EINVAL, "%s: neither an RSA nor an Ed25519 key", path);
		errno = EINVAL;
		return -1;
	} else if (k->bits < DKIMSIGN_MIN_RSA) {
		log_detail(EINVAL, "%s: an RSA key of %d bits (at least %d)", path,
		    k->bits, DKIMSIGN_MIN_RSA);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	const struct dkim_key *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	return c ? c : strcmp(x->selector, y->selector);
}

/* The keys of one domain's directory. */
static int
load_domain(const char *dir, const char *dom, struct dkim_keyring *kr)
{
	char path[4096];
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, dom) >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((d = opendir(path)) == NULL) {
		log_detail(errno, "unable to open %s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
		const char *dot = strrchr(e->d_name, '.');
		struct dkim_key *k, *nk;
		int pending;

		if (e->d_name[0] == '.' || dot == NULL)
			continue;
		if (strcmp(dot, ".key") == 0)
			pending = 0;
		else if (strcmp(dot, ".pending") == 0)
			pending = 1;
		else
			continue;       /* retired keys, notes: not ours */
		if (!name_ok(e->d_name, (size_t)(dot - e->d_name), 64)) {
			log_detail(EINVAL, "%s/%s: a selector of letters, digits, "
			    "'-', '_' and '.' only", path, e->d_name);
			errno = EINVAL;
			rc = -1;
			break;
		}
		if (kr->n >= DKIMSIGN_MAX_KEYS) {
			log_detail(E2BIG, "%s: more than %d keys", dir, DKIMSIGN_MAX_KEYS);
			errno = E2BIG;
			rc = -1;
			break;
		}
		if ((nk = reallocarray(kr->k, kr->n + 1, sizeof *nk)) == NULL) {
			rc = -1;
			break;
		}
		kr->k = nk;
		k = &kr->k[kr->n];
		memset(k, 0, sizeof *k);
		snprintf(k->domain, sizeof k->domain, "%s", dom);
		snprintf(k->selector, sizeof k->selector, "%.*s",
		    (int)(dot - e->d_name), e->d_name);
		k->pending = pending;
		if ((size_t)snprintf(path, sizeof path, "%s/%s/%s", dir, dom,
		    e->d_name) >= sizeof path || key_read(path, k) == -1) {
			EVP_PKEY_free(k->pk);
			rc = -1;
			break;
		}
		kr->n++;
		snprintf(path, sizeof path, "%s/%s", dir, dom);
	}
	if (rc == 0 && errno != 0)
		rc = -1;
	closedir(d);
	return rc;
}

int
dkimsign_load(const char *dir, struct dkim_keyring *kr)
{
	struct dirent *e;
	DIR *d;
	size_t i;
	char low[256];

	memset(kr, 0, sizeof *kr);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((errno = 0, e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		if (!name_ok(e->d_name, n, sizeof low)) {
			log_detail(EINVAL, "%s/%s: not a domain name", dir, e->d_name);
			errno = EINVAL;
			goto fail;
		}
		/* domains compare in lower case; the directory may not be */
		for (i = 0; i <= n; i++)
			low[i] = (char)tolower((unsigned char)e->d_name[i]);
		if (strcmp(low, e->d_name) != 0) {
			log_detail(EINVAL, "%s/%s: domain directories are in lower "
			    "case", dir, e->d_name);
			errno = EINVAL;
			goto fail;
		}
		if (load_domain(dir, e->d_name, kr) == -1)
			goto fail;
	}
	if (errno != 0)
		goto fail;
	closedir(d);
	if (kr->n > 1)
		qsort(kr->k, kr->n, sizeof *kr->k, key_cmp);
	return 0;
fail:
	i = (size_t)errno;
	closedir(d);
	dkimsign_free(kr);
	errno = (int)i;
	return -1;
}

void
dkimsign_free(struct dkim_keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->n; i++)
		EVP_PKEY_free(kr->k[i].pk);
	free(kr->k);
	kr->k = NULL;
	kr->n = 0;
}

size_t
dkimsign_pick(const struct dkim_keyring *kr, const char *from_domain,
    size_t *idx, size_t max)
{
	const char *d = from_domain;
	size_t i, n;

	/* the domain itself, then each parent with at least two labels */
	while (d && strchr(d, '.')) {
		for (n = 0, i = 0; i < kr->n && n < max; i++)
			if (!kr->k[i].pending && strcmp(kr->k[i].domain, d) == 0)
				idx[n++] = i;
		if (n > 0)
			return n;
		d = strchr(d, '.');
		d = d ? d + 1 : NULL;
	}
	return 0;
}

/* What a reader sees and what a forger would change (RFC 6376 5.4.1). */
const char *const dkimsign_def_fields[] = { "from", "reply-to", "subject",
	"date", "to", "cc", "message-id", "in-reply-to", "references",
	"mime-version", "content-type", "content-transfer-encoding",
	"content-disposition", "content-language", "sender", "list-id",
	"list-unsubscribe", "list-unsubscribe-post", NULL };

int
dkimsign_names(const char *name, const char *const *def, struct ctl_list *l,
    char ***v, size_t *n, unsigned *badline)
{
	size_t i, k;

	*badline = 0;
	if (ctl_lines(name, l) == -1)
		return -1;
	if (l->path[0] != '\0') {
		for (i = 0; i < l->n; i++) {
			if (!hdr_valid_name(l->v[i], strlen(l->v[i]))) {
				*badline = l->lineno[i];
				errno = EINVAL;
				return -1;
			}
			for (k = 0; l->v[i][k]; k++)
				if (l->v[i][k] >= 'A' && l->v[i][k] <= 'Z')
					l->v[i][k] += 32;
		}
		*v = l->v;
		*n = l->n;
		return 0;
	}
	for (i = 0; def[i]; i++)
		;
	*v = (char **)(uintptr_t)def;
	*n = i;
	return 0;
}

static int
in_list(char *const *v, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(v[i]) == len && strncasecmp(v[i], name, len) == 0)
			return 1;
	return 0;
}

/* The h= list (names joined by ':') and the canonical text of the fields
 * it names, each name taken from the bottom up (section 5.4.2); an
 * oversigned name is listed once more than it occurs, so that a field of
 * that name added later breaks the signature. */
int
dkimsign_fields(const struct dkim_opts *o, const struct hdr *h,
    struct buf *names, struct buf *canon)
{
	size_t s, i, c;
	int from = in_list(o->sign, o->nsign, "from", 4);

	for (s = 0; s < o->nsign + !from; s++) {
		const char *name = s < o->nsign ? o->sign[s] : "from";

		/* the same name twice in the list would sign fields twice */
		if (s < o->nsign && in_list(o->sign, s, name, strlen(name)))
			continue;
		for (c = 0, i = h->n; i-- > 0;) {
			if (!hdr_name_is(h, i, name))
				continue;
			if (dkimcanon_header(o->head, h->base + h->f[i].off,
			    h->f[i].len, 1, canon) == -1)
				return -1;
			c++;
		}
		if (in_list(o->over, o->nover, name, strlen(name)))
			c++;
		while (c-- > 0)
			if ((names->len && buf_addc(names, ':') == -1) ||
			    buf_adds(names, name) == -1)
				return -1;
	}
	return 0;
}

static int
put_digest(void *arg, const void *p, size_t n)
{
	return EVP_DigestUpdate(arg, p, n) == 1 ? 0 : -1;
}

/* bh=: the SHA-256 of the canonical body, in base64 (44 characters). */
int
dkimsign_body_hash(const struct dkim_opts *o, const struct msg *m, char b64[64])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	struct dkimcanon_body b;
	int rc = -1;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	dkimcanon_body_init(&b, o->body, put_digest, md);
	if (m->body_off < m->raw.len &&
	    dkimcanon_body_feed(&b, m->raw.p + m->body_off,
	    m->raw.len - m->body_off) == -1)
		goto out;
	if (dkimcanon_body_end(&b) == -1 || EVP_DigestFinal_ex(md, dg, &n) != 1)
		goto out;
	EVP_EncodeBlock((unsigned char *)b64, dg, (int)n);
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	if (rc == -1)
		errno = EIO;
	return rc;
}

/* Append text to the field, first folding onto a new line when the
 * current one would pass LINE_MAX_COLS. */
int
dkimsign_fold(struct buf *f, size_t *col, const char *eol, const char *text,
    size_t n)
{
	if (*col + n > LINE_MAX_COLS && *col > 1) {
		if (buf_adds(f, eol) == -1 || buf_addc(f, '\t') == -1)
			return -1;
		*col = 8;
		/* the fold is the white space before the tag */
		if (n > 0 && *text == ' ') {
			text++;
			n--;
		}
	}
	*col += n;
	return buf_add(f, text, n);
}

/* " h=a:b:c;", folded after a colon where needed (FWS is allowed there). */
static int
fold_h(struct buf *f, size_t *col, const char *eol, const char *names)
{
	char t[300];
	const char *p;
	size_t n;

	for (p = names; *p; p += n) {
		n = strcspn(p, ":");
		if (p[n] == ':')
			n++;
		snprintf(t, sizeof t, "%s%.*s%s", p == names ? " h=" : "", (int)n,
		    p, p[n] == '\0' ? ";" : "");
		if (dkimsign_fold(f, col, eol, t, strlen(t)) == -1)
			return -1;
	}
	return 0;
}

/* The signature field up to and with "b=", folded with eol. */
static int
sig_head(const struct dkim_key *k, const struct dkim_opts *o,
    const char *names, const char *bh, const char *eol, struct buf *f)
{
	char t[300];
	size_t col;

	col = 16;
	if (buf_adds(f, "DKIM-Signature:") == -1)
		return -1;
	snprintf(t, sizeof t, " v=1; a=%s-sha256;", k->ed25519 ? "ed25519" : "rsa");
	if (dkimsign_fold(f, &col, eol, t, strlen(t)) == -1)
		return -1;
	snprintf(t, sizeof t, " c=%s/%s;",
	    o->head == DKIM_RELAXED ? "relaxed" : "simple",
	    o->body == DKIM_RELAXED ? "relaxed" : "simple");
	if (dkimsign_fold(f, &col, eol, t, strlen(t)) == -1)
		return -1;
	snprintf(t, sizeof t, " d=%s;", k->domain);
	if (dkimsign_fold(f, &col, eol, t, strlen(t)) == -1)
		return -1;
	snprintf(t, sizeof t, " s=%s;", k->selector);
	if (dkimsign_fold(f, &col, eol, t, strlen(t)) == -1)
		return -1;
	snprintf(t, sizeof t, " t=%lld;", (long long)o->now);
	if (dkimsign_fold(f, &col, eol, t, strlen(t)) == -1)
		return -1;
	if (o->expire) {
		snprintf(t, sizeof t, " x=%lld;",
		    (long long)o->now + (long long)o->expire);
		if (dkimsign_fold(f, &col, eol, t, strlen(t)) == -1)
			return -1;
	}
	if (fold_h(f, &col, eol, names) == -1)
		return -1;
	snprintf(t, sizeof t, " bh=%s;", bh);
	if (dkimsign_fold(f, &col, eol, t, strlen(t)) == -1)
		return -1;
	/* b= on a line of its own: the value is folded below it */
	return buf_adds(f, eol) == -1 || buf_adds(f, "\tb=") == -1 ? -1 : 0;
}

/* Sign data: RSA with SHA-256 over it (RFC 6376 3.3.1), Ed25519 over its
 * SHA-256 (RFC 8463 section 3).  The signature in base64 into b64. */
int
dkimsign_data(const struct dkim_key *k, const struct buf *data, struct buf *b64)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dg[32], *sig = NULL;
	size_t slen = 0;
	int rc = -1;

	if (md == NULL)
		goto out;
	if (k->ed25519) {
		if (EVP_Digest(data->p, data->len, dg, NULL, EVP_sha256(),
		    NULL) != 1 ||
		    EVP_DigestSignInit(md, NULL, NULL, NULL, k->pk) != 1 ||
		    EVP_DigestSign(md, NULL, &slen, dg, sizeof dg) != 1 ||
		    (sig = malloc(slen)) == NULL ||
		    EVP_DigestSign(md, sig, &slen, dg, sizeof dg) != 1)
			goto out;
	} else if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pk) != 1 ||
	    EVP_DigestSign(md, NULL, &slen, (const unsigned char *)data->p,
	    data->len) != 1 || (sig = malloc(slen)) == NULL ||
	    EVP_DigestSign(md, sig, &slen, (const unsigned char *)data->p,
	    data->len) != 1)
		goto out;
	if (buf_grow(b64, 4 * ((slen + 2) / 3) + 1) == -1)
		goto out;
	b64->len += (size_t)EVP_EncodeBlock((unsigned char *)b64->p + b64->len,
	    sig, (int)slen);
	b64->p[b64->len] = '\0';
	rc = 0;
out:
	if (rc == -1 && errno == 0)
		errno = EIO;
	free(sig);
	EVP_MD_CTX_free(md);
	return rc;
}

/* The b= value after "b=": the first piece beside it, then whole lines
 * of base64. */
static int
fold_b(struct buf *f, const struct buf *b, const char *eol)
{
	size_t i, w;

	for (i = 0, w = 70; i < b->len; i += w, w = 72) {
		if (i > 0 && (buf_adds(f, eol) == -1 || buf_addc(f, '\t') == -1))
			return -1;
		if (buf_add(f, b->p + i, b->len - i < w ? b->len - i : w) == -1)
			return -1;
	}
	return 0;
}

/* One signature field for key k onto out. */
static int
sign_one(const struct dkim_key *k, const struct dkim_opts *o,
    const struct buf *names, const struct buf *canon, const char *bh,
    const char *eol, struct buf *out)
{
	struct buf f = BUF_INIT, data = BUF_INIT, b = BUF_INIT;
	int rc = -1;

	if (sig_head(k, o, names->p ? names->p : "", bh, eol, &f) == -1 ||
	    buf_add(&data, canon->p, canon->len) == -1 ||
	    dkimcanon_header(o->head, f.p, f.len, 0, &data) == -1 ||
	    dkimsign_data(k, &data, &b) == -1)
		goto out;
	if (fold_b(&f, &b, eol) == -1 ||
	    buf_adds(&f, eol) == -1 || buf_add(out, f.p, f.len) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&f);
	buf_free(&data);
	buf_free(&b);
	return rc;
}

int
dkimsign_message(const struct dkim_keyring *kr, const size_t *idx,
    size_t nidx, const struct dkim_opts *o, const struct msg *m,
    const struct hdr *h, const char *eol, struct buf *out)
{
	struct buf names = BUF_INIT, canon = BUF_INIT;
	char bh[64];
	size_t i;
	int rc = -1;

	if (dkimsign_body_hash(o, m, bh) == -1 || dkimsign_fields(o, h, &names, &canon) == -1)
		goto out;
	for (i = 0; i < nidx; i++)
		if (sign_one(&kr->k[idx[i]], o, &names, &canon, bh, eol, out) == -1)
			goto out;
	rc = 0;
out:
	buf_free(&names);
	buf_free(&canon);
	return rc;
}

int
dkimsign_txt(const struct dkim_key *k, struct buf *out)
{
	unsigned char *der = NULL, raw[32];
	size_t rlen = sizeof raw;
	int n, rc = -1;
	const unsigned char *pub;
	size_t plen;

	/* RSA: the DER SubjectPublicKeyInfo (3.6.1); Ed25519: the bare 32
	 * bytes of the public key (RFC 8463 section 4) */
	if (k->ed25519) {
		if (EVP_PKEY_get_raw_public_key(k->pk, raw, &rlen) != 1)
			goto out;
		pub = raw;
		plen = rlen;
	} else {
		if ((n = i2d_PUBKEY(k->pk, &der)) <= 0)
			goto out;
		pub = der;
		plen = (size_t)n;
	}
	if (buf_printf(out, "v=DKIM1; k=%s; p=", k->ed25519 ? "ed25519" : "rsa")
	    == -1 || buf_grow(out, 4 * ((plen + 2) / 3) + 1) == -1)
		goto out;
	out->len += (size_t)EVP_EncodeBlock((unsigned char *)out->p + out->len,
	    pub, (int)plen);
	out->p[out->len] = '\0';
	rc = 0;
out:
	OPENSSL_free(der);
	if (rc == -1 && errno == 0)
		errno = EIO;
	return rc;
}

int
dkimsign_record(const struct dkim_key *k, struct buf *out)
{
	struct buf t = BUF_INIT;
	size_t i, w;

	if (dkimsign_txt(k, &t) == -1)
		return -1;
	/* one character-string holds at most 255 bytes (RFC 1035 3.3) */
	if (buf_printf(out, "%s._domainkey.%s. IN TXT (", k->selector,
	    k->domain) == -1)
		goto fail;
	for (i = 0; i < t.len; i += w) {
		w = t.len - i < 250 ? t.len - i : 250;
		if (buf_printf(out, " \"%.*s\"", (int)w, t.p + i) == -1)
			goto fail;
	}
	if (buf_adds(out, " )\n") == -1)
		goto fail;
	buf_free(&t);
	return 0;
fail:
	buf_free(&t);
	return -1;
}
