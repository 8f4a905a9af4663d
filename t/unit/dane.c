/* Unit tests for lib/delivery/dane.c: TLSA records as text, which of them
 * SMTP may use (RFC 7672 3.1.3), and authentication by them through
 * OpenSSL's DANE verifier, run over OpenSSL's own DANE matching cases
 * (danetest.in, dane-cross.in in ../shared/auth-suites/openssl-dane, or
 * $PORTCULLIS_SHARED/auth-suites/openssl-dane): each block's TLSA
 * records, its chain and the verdict and match depth it expects.  Blocks
 * whose records are all usable for SMTP must give exactly that verdict;
 * blocks with none usable must add no record (relay-out then requires TLS
 * without authentication); mixed blocks are counted, not judged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "dane.h"
#include "tap.h"

#define SHA256_HEX "588fd5f414e3327eafe3169dc040ae161247d1296bf38304ab9cf464850a1365"

static const struct {
	const char *in;
	int parse, usable;
} rows[] = {
	{ "3 1 1 " SHA256_HEX, 0, 1 },
	{ "2 0 1 " SHA256_HEX, 0, 1 },
	{ "3 0 0 3081ec30", 0, 1 },
	{ "3 1 2 " SHA256_HEX SHA256_HEX, 0, 1 },
	{ "3 1 2 " SHA256_HEX, 0, 0 },             /* SHA-512 of 32 bytes */
	{ "3 1 1 588fd5f4", 0, 0 },                /* short digest */
	{ "1 0 1 " SHA256_HEX, 0, 0 },             /* PKIX-EE: not for SMTP */
	{ "0 0 1 " SHA256_HEX, 0, 0 },             /* PKIX-TA: not for SMTP */
	{ "4 0 1 " SHA256_HEX, 0, 0 },
	{ "3 2 1 " SHA256_HEX, 0, 0 },
	{ "3 1 3 " SHA256_HEX, 0, 0 },
	{ "3 1 1 588FD5F414E3327EAFE3169DC040AE161247D1296BF38304AB9CF464850A1365", 0, 1 },
	{ "3 1", -1, 0 },
	{ "3 1 1", -1, 0 },
	{ "3 1 1 abc", -1, 0 },
	{ "3 1 1 zz", -1, 0 },
	{ "256 1 1 00", -1, 0 },
	{ "x 1 1 00", -1, 0 },
};

struct block_stats {
	int judged, unusable, mixed, bad;
};

/* Read the next block of a danetest.in file: its header, TLSA lines and
 * certificates.  1 a block, 0 end of file, -1 malformed. */
static int
read_block(FILE *f, int *nt, int *nc, int *nonames, int *err, int *depth,
    struct dane_tlsa *t, STACK_OF(X509) *chain)
{
	char line[8192];
	int i;

	for (;;) {
		if (fgets(line, sizeof line, f) == NULL)
			return 0;
		if (line[0] != '#' && line[strspn(line, " \t\r\n")] != '\0')
			break;
	}
	if (sscanf(line, "%d %d %d %d %d", nt, nc, nonames, err, depth) != 5 ||
	    *nt < 0 || *nt > 16 || *nc < 1)
		return -1;
	for (i = 0; i < *nt; i++) {
		if (fgets(line, sizeof line, f) == NULL ||
		    dane_tlsa_parse(line, strlen(line), &t[i]) == -1)
			return -1;
	}
	for (i = 0; i < *nc; i++) {
		X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
		if (x == NULL)
			return -1;
		sk_X509_push(chain, x);
	}
	return 1;
}

/* Verify chain (leaf first) as relay-out's TLS would, with t[0..n). */
static int
verify(X509_STORE *store, const char *base, const struct dane_tlsa *t,
    int n, int nonames, STACK_OF(X509) *chain, int *added, int *depth)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	SSL *ssl = NULL;
	int err = -2;

	*added = 0;
	*depth = -1;
	if (ctx == NULL || sc == NULL || SSL_CTX_dane_enable(ctx) <= 0 ||
	    (ssl = SSL_new(ctx)) == NULL)
		goto out;
	if ((*added = dane_ssl_setup(ssl, base, t, (size_t)n, !nonames)) <= 0)
		goto out;
	if (X509_STORE_CTX_init(sc, store, sk_X509_value(chain, 0), chain) != 1)
		goto out;
	X509_STORE_CTX_set_ex_data(sc, SSL_get_ex_data_X509_STORE_CTX_idx(), ssl);
	X509_STORE_CTX_set_default(sc, "ssl_server");
	X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(sc), SSL_get0_param(ssl));
	X509_STORE_CTX_set0_dane(sc, SSL_get0_dane(ssl));
	X509_verify_cert(sc);
	err = X509_STORE_CTX_get_error(sc);
	*depth = SSL_get0_dane_authority(ssl, NULL, NULL);
out:
	X509_STORE_CTX_free(sc);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return err;
}

static void
run_file(const char *path, const char *roots, const char *base,
    struct block_stats *st)
{
	X509_STORE *store = X509_STORE_new();
	FILE *f = fopen(path, "r");
	int nblock = 0;

	if (f == NULL || store == NULL ||
	    X509_STORE_load_file(store, roots) != 1) {
		tap_ok(0, path);
		goto out;
	}
	for (;;) {
		struct dane_tlsa t[16];
		STACK_OF(X509) *chain = sk_X509_new_null();
		int nt = 0, nc, nonames, want, wdepth, i, usable = 0, r, added, depth;
		int err;
		char name[300];

		memset(t, 0, sizeof t);
		r = read_block(f, &nt, &nc, &nonames, &want, &wdepth, t, chain);
		if (r == 1) {
			nblock++;
			for (i = 0; i < nt; i++)
				usable += dane_tlsa_usable(&t[i]);
			err = verify(store, base, t, nt, nonames, chain, &added, &depth);
			snprintf(name, sizeof name, "%s block %d: want %d depth %d, got "
			    "%d depth %d", strrchr(path, '/') + 1, nblock, want, wdepth,
			    err, depth);
			if (usable == nt) {
				st->judged++;
				if (err != want || depth != wdepth) {
					st->bad++;
					tap_ok(0, name);
				}
			} else if (usable == 0) {
				st->unusable++;
				if (added != 0) {
					st->bad++;
					tap_ok(0, name);
				}
			} else
				st->mixed++;
		}
		for (i = 0; i < 16; i++)
			dane_tlsa_free(&t[i]);
		sk_X509_pop_free(chain, X509_free);
		if (r != 1) {
			if (r == -1)
				tap_ok(0, "a block of the suite reads");
			break;
		}
	}
out:
	if (f)
		fclose(f);
	X509_STORE_free(store);
}

int
main(void)
{
	const char *sh = getenv("PORTCULLIS_SHARED");
	char dir[4096], in[4200], pem[4200], name[200];
	struct block_stats st = { 0, 0, 0, 0 };
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct dane_tlsa t;
		int p = dane_tlsa_parse(rows[i].in, strlen(rows[i].in), &t);

		snprintf(name, sizeof name, "TLSA \"%.40s\": %s", rows[i].in,
		    rows[i].parse ? "malformed" : rows[i].usable ? "usable" :
		    "not usable for SMTP");
		tap_ok(p == rows[i].parse && (p != 0 || dane_tlsa_usable(&t) ==
		    rows[i].usable), name);
		if (p == 0)
			dane_tlsa_free(&t);
	}
	snprintf(dir, sizeof dir, "%s/auth-suites/openssl-dane", sh ? sh : "../shared");
	snprintf(in, sizeof in, "%s/danetest.in", dir);
	if ((f = fopen(in, "r")) == NULL) {
		printf("ok %d # skip %s not found\n", ++tap_n, in);
		return tap_done();
	}
	fclose(f);
	snprintf(pem, sizeof pem, "%s/danetest.pem", dir);
	run_file(in, pem, "example.com", &st);
	snprintf(in, sizeof in, "%s/dane-cross.in", dir);
	snprintf(pem, sizeof pem, "%s/cross-root.pem", dir);
	run_file(in, pem, "server.example", &st);
	snprintf(name, sizeof name, "OpenSSL's DANE cases: %d judged, %d with no "
	    "record usable for SMTP, %d mixed, %d wrong", st.judged, st.unusable,
	    st.mixed, st.bad);
	tap_ok(st.bad == 0 && st.judged > 30, name);
	return tap_done();
}
