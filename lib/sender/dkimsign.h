/* dkimsign: DKIM signatures (RFC 6376) made with the site's keys, rsa-sha256
 * and ed25519-sha256 (RFC 8463), and the DNS records that publish them.
 * Keys live in the control directory, one PEM private key per file:
 *
 *   dkim/<domain>/<selector>.key       signs (every one found)
 *   dkim/<domain>/<selector>.pending   does not sign yet; its record is
 *                                      printed so it can be published first
 *
 * The message is untrusted; the keys are the administrator's secrets. */
#ifndef PORTCULLIS_DKIMSIGN_H
#define PORTCULLIS_DKIMSIGN_H
#include <stddef.h>
#include <time.h>
#include "buf.h"
#include "dkimcanon.h"
#include "hdr.h"
#include "msg.h"

#define DKIMSIGN_MAX_KEYS  1000
#define DKIMSIGN_MIN_RSA   1024   /* verifiers refuse less (RFC 8301 3.2) */

struct evp_pkey_st;

struct dkim_key {
	char   domain[256];
	char   selector[64];
	int    ed25519;           /* else RSA */
	int    pending;           /* .pending: published, not signing */
	int    bits;
	struct evp_pkey_st *pk;
};

struct dkim_keyring {
	struct dkim_key *k;
	size_t           n;
};

struct dkim_opts {
	enum dkim_canon head, body;
	char  **sign;       /* field names to sign, lower case */
	size_t  nsign;
	char  **over;       /* field names signed once more than present */
	size_t  nover;
	time_t  now;
	unsigned long expire;  /* x= seconds after t=; 0: none */
};

/* The fields signed by default, NULL at the end. */
extern const char *const dkimsign_def_fields[];

/* The field names of list control file name (one a line), lower-cased,
 * else those of def, into *v and *n; l holds the file.  0, or -1 with
 * errno (EINVAL and *badline the line of a name that is no field name). */
struct ctl_list;
int  dkimsign_names(const char *name, const char *const *def,
	struct ctl_list *l, char ***v, size_t *n, unsigned *badline);

/* Read every key under dir (the control directory's dkim/) into kr;
 * a missing dir is no key.  0, or -1 with errno and a detail logged with
 * log_detail naming the file. */
int  dkimsign_load(const char *dir, struct dkim_keyring *kr);
void dkimsign_free(struct dkim_keyring *kr);

/* The domain that signs for from_domain: itself, else its nearest parent
 * with a signing key (relaxed DMARC alignment holds for a parent).  The
 * keys' indexes go into idx (at most max); their count is returned. */
size_t dkimsign_pick(const struct dkim_keyring *kr, const char *from_domain,
	size_t *idx, size_t max);

/* Append to out one DKIM-Signature field per key in idx, each line ending
 * in eol, for the message m with header h.  0, or -1 with errno. */
int  dkimsign_message(const struct dkim_keyring *kr, const size_t *idx,
	size_t nidx, const struct dkim_opts *, const struct msg *m,
	const struct hdr *h, const char *eol, struct buf *out);

/* The pieces of a signature, shared with arcseal (ARC-Message-Signature
 * and ARC-Seal are DKIM signatures with other tags, RFC 8617 4.1):
 * dkimsign_body_hash: bh=, the base64 SHA-256 of the body canonicalised
 *   as o->body says, into b64;
 * dkimsign_fields: the h= list of the fields o names, and their canonical
 *   text (o->head), bottom up;
 * dkimsign_data: the signature of data with key k, base64, into b64;
 * dkimsign_fold: text added to field f, folded with eol before it when the
 *   line at column *col would grow too long.
 * Each 0, or -1 with errno. */
int  dkimsign_body_hash(const struct dkim_opts *, const struct msg *,
	char b64[64]);
int  dkimsign_fields(const struct dkim_opts *, const struct hdr *,
	struct buf *names, struct buf *canon);
int  dkimsign_data(const struct dkim_key *k, const struct buf *data,
	struct buf *b64);
int  dkimsign_fold(struct buf *f, size_t *col, const char *eol,
	const char *text, size_t n);

/* The TXT record that publishes key k:
 *   sel._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; p=..." ... )
 * split in strings of at most 255 bytes.  0, or -1 with errno. */
int  dkimsign_record(const struct dkim_key *k, struct buf *out);

/* The public key part, "v=DKIM1; k=...; p=...", in one string. */
int  dkimsign_txt(const struct dkim_key *k, struct buf *out);

#endif
