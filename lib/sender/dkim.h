/* dkim: verifying DomainKeys Identified Mail signatures (RFC 6376) with
 * rsa-sha256 and ed25519-sha256 (RFC 8463) on OpenSSL: the DKIM-Signature
 * tag list, relaxed and simple canonicalisation, l=, oversigned headers,
 * and the key record's k=, h=, s= and t= tags.  rsa-sha1 is never a pass
 * (RFC 8301 3.1) and RSA keys under 1024 bits are refused (RFC 8301 3.2).
 * Signatures and key records are strangers' bytes. */
#ifndef PORTCULLIS_DKIM_H
#define PORTCULLIS_DKIM_H
#include <stddef.h>
#include "dnsq.h"
#include "hdr.h"
#include "msg.h"

enum dkim_result {
	DKIM_NONE = 0, DKIM_PASS, DKIM_FAIL, DKIM_NEUTRAL, DKIM_POLICY,
	DKIM_TEMPERROR, DKIM_PERMERROR
};

enum dkim_alg { DKIM_RSA_SHA256 = 1, DKIM_RSA_SHA1, DKIM_ED25519_SHA256 };

#define DKIM_MAX_SIGS   8      /* signatures checked per message */
#define DKIM_MAX_HDRS   64     /* names in h= */
#define DKIM_MIN_RSA    1024   /* bits */

/* what a signature field is: DKIM-Signature, or ARC's (RFC 8617) */
enum dkim_kind { DKIM_SIG = 0, DKIM_AMS, DKIM_AS };

struct dkim_sig {
	enum dkim_kind kind;             /* set before parsing */
	unsigned inst;                   /* ARC: i=, the instance */
	int      cv;                     /* ARC-Seal: 0 none, 1 pass, 2 fail */
	size_t   field;                  /* index of its header field */
	int      alg;                    /* enum dkim_alg, 0 unknown */
	char     a[32];                  /* a= as written, for the header */
	int      hrelaxed, brelaxed;
	char     d[256], s[128], i[256];
	unsigned char bh[64], b[1024];
	size_t   bhlen, blen;
	int      has_l;
	unsigned long long l;
	long long t, x;                  /* -1: absent */
	char     h[DKIM_MAX_HDRS][80];   /* h= names */
	size_t   nh;
	enum dkim_result res;
	char     why[128];
	char     bprefix[12];            /* header.b: first bytes of b= */
};

int  dkim_parse_sig(const char *v, size_t n, struct dkim_sig *, long long now);
size_t dkim_collect(const struct hdr *, struct dkim_sig *, size_t max,
	long long now);
void dkim_ask(struct dnsq *, const struct dkim_sig *, size_t n);
void dkim_verify(struct dnsq *, const struct msg *, const struct hdr *,
	struct dkim_sig *);
int  dkim_key(struct dnsq *, struct dkim_sig *, void **key);
int  dkim_check_data(const struct dkim_sig *, void *key, const char *data,
	size_t len);
int  dkim_canon_header(int relaxed, const char *p, size_t n, size_t name_len,
	struct buf *b, int crlf);
int  dkim_field_sans_b(const struct hdr *, size_t field, struct buf *out);
void dkim_key_free(void *key);
const char *dkim_result_name(enum dkim_result);

#endif
