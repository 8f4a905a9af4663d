/* escrow: S/MIME mail encrypted to the organisation's escrow certificate
 * is decrypted for the scan, as MAILsweeper's SECRETsweeper did
 * (virus-scan(8), control/escrow-key).  The keys are the
 * administrator's; the CMS structure is a stranger's, parsed by
 * OpenSSL's CMS code.  The plain text is returned in memory only, for
 * the caller to scan and wipe.  Never prints, never exits. */
#ifndef PORTCULLIS_ESCROW_H
#define PORTCULLIS_ESCROW_H
#include <stddef.h>
#include "buf.h"

#define ESCROW_MAX_KEYS 8

struct escrow {
	void  *key[ESCROW_MAX_KEYS];    /* EVP_PKEY */
	void  *cert[ESCROW_MAX_KEYS];   /* X509 */
	size_t n;
};

/* control/escrow-key: one PEM file a line, each holding a private key
 * and its certificate.  No file: no keys.  0; -1 (errno, err says
 * which) when a file cannot be read or holds no key and certificate. */
int  escrow_load(struct escrow *, char *err, size_t);
/* Decrypt an enveloped-data CMS structure (DER, as a decoded
 * application/pkcs7-mime part holds it) with any of the
 * keys into out, at most max bytes.  1 decrypted, 0 not to our keys or
 * not CMS, -1 out of memory or over max. */
int  escrow_decrypt(const struct escrow *, const char *, size_t,
	size_t max, struct buf *out);
void escrow_free(struct escrow *);

#endif
