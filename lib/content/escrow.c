/* escrow: CMS decryption with the escrow keys (see escrow.h).  Runs in
 * virus-scan under the stage's uid, which must be able to read the key
 * files and nothing more. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ctl.h"
#include "escrow.h"

static int
load_one(const char *path, struct escrow *e, char *err, size_t n)
{
	BIO *b;
	EVP_PKEY *k = NULL;
	X509 *c = NULL;

	if ((b = BIO_new_file(path, "r")) == NULL) {
		snprintf(err, n, "unable to read %.300s", path);
		return -1;
	}
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	(void)BIO_reset(b);
	c = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	if (k == NULL || c == NULL || X509_check_private_key(c, k) != 1) {
		EVP_PKEY_free(k);
		X509_free(c);
		snprintf(err, n, "%.300s: want a private key and its certificate "
		    "in PEM", path);
		errno = EINVAL;
		return -1;
	}
	e->key[e->n] = k;
	e->cert[e->n] = c;
	e->n++;
	return 0;
}

int
escrow_load(struct escrow *e, char *err, size_t n)
{
	struct ctl_list l;
	size_t i;
	int rc = 0;

	memset(e, 0, sizeof *e);
	memset(&l, 0, sizeof l);
	if (ctl_lines("escrow-key", &l) == -1) {
		snprintf(err, n, "unable to read %s/escrow-key", ctl_dir());
		return -1;
	}
	for (i = 0; i < l.n && rc == 0; i++) {
		if (e->n == ESCROW_MAX_KEYS) {
			snprintf(err, n, "%s: more than %d keys", l.path, ESCROW_MAX_KEYS);
			errno = EINVAL;
			rc = -1;
		} else
			rc = load_one(l.v[i], e, err, n);
	}
	ctl_free(&l);
	if (rc == -1)
		escrow_free(e);
	return rc;
}

int
escrow_decrypt(const struct escrow *e, const char *p, size_t len, size_t max,
    struct buf *out)
{
	BIO *in, *mem;
	CMS_ContentInfo *cms;
	BUF_MEM *bm;
	size_t i;
	int rc = 0;

	if (e->n == 0 || len == 0 || len > 0x7fffffff)
		return 0;
	if ((in = BIO_new_mem_buf(p, (int)len)) == NULL)
		return -1;
	cms = d2i_CMS_bio(in, NULL);
	BIO_free(in);
	if (cms == NULL || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped) {
		CMS_ContentInfo_free(cms);
		ERR_clear_error();
		return 0;
	}
	for (i = 0; i < e->n && rc == 0; i++) {
		if ((mem = BIO_new(BIO_s_mem())) == NULL) {
			rc = -1;
			break;
		}
		if (CMS_decrypt(cms, e->key[i], e->cert[i], NULL, mem, 0) == 1) {
			BIO_get_mem_ptr(mem, &bm);
			if (bm->length > max) {
				errno = EFBIG;
				rc = -1;
			} else
				rc = buf_add(out, bm->data, bm->length) == -1 ? -1 : 1;
			OPENSSL_cleanse(bm->data, bm->length);
		}
		BIO_free(mem);
	}
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

void
escrow_free(struct escrow *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		EVP_PKEY_free(e->key[i]);
		X509_free(e->cert[i]);
	}
	e->n = 0;
}
