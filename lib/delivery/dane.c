/* dane: TLSA records and their use by OpenSSL's DANE verifier (see
 * dane.h).  Runs in relay-out, as the delivery user.  The lookup is in
 * dane_dns.c, so that what links smtpc.c needs no resolver. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "dane.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "USAGE SELECTOR MTYPE HEX", as dns.c writes a TLSA record and as zone
 * files and OpenSSL's tests spell one. */
int
dane_tlsa_parse(const char *s, size_t len, struct dane_tlsa *t)
{
	unsigned v[3];
	size_t i = 0, k, h0, hn;

	memset(t, 0, sizeof *t);
	for (k = 0; k < 3; k++) {
		while (i < len && s[i] == ' ')
			i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return -1;
		for (v[k] = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			if ((v[k] = v[k] * 10 + (unsigned)(s[i] - '0')) > 255)
				return -1;
	}
	while (i < len && s[i] == ' ')
		i++;
	h0 = i;
	while (len > h0 && (s[len - 1] == ' ' || s[len - 1] == '\n' ||
	    s[len - 1] == '\r'))
		len--;
	hn = len - h0;
	if (hn == 0 || hn % 2 || (t->data = malloc(hn / 2)) == NULL)
		return -1;
	for (k = 0; k < hn / 2; k++) {
		int a = hexval((unsigned char)s[h0 + 2 * k]);
		int b = hexval((unsigned char)s[h0 + 2 * k + 1]);
		if (a < 0 || b < 0) {
			dane_tlsa_free(t);
			return -1;
		}
		t->data[k] = (unsigned char)(a << 4 | b);
	}
	t->len = hn / 2;
	t->usage = (unsigned char)v[0];
	t->selector = (unsigned char)v[1];
	t->mtype = (unsigned char)v[2];
	return 0;
}

/* RFC 7672 3.1.3: PKIX-TA(0) and PKIX-EE(1) are not for SMTP; unknown
 * parameters and digests of the wrong length are unusable (RFC 6698 2.1). */
int
dane_tlsa_usable(const struct dane_tlsa *t)
{
	if (t->usage != 2 && t->usage != 3)
		return 0;
	if (t->selector > 1)
		return 0;
	switch (t->mtype) {
	case 0: return t->len > 0;
	case 1: return t->len == 32;
	case 2: return t->len == 64;
	default: return 0;
	}
}

void
dane_tlsa_free(struct dane_tlsa *t)
{
	free(t->data);
	t->data = NULL;
	t->len = 0;
}

void
dane_host_free(struct dane_host *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		dane_tlsa_free(&h->t[i]);
	free(h->t);
	memset(h, 0, sizeof *h);
}

int
dane_ssl_setup(SSL *ssl, const char *host, const struct dane_tlsa *t,
    size_t n, int ee_names)
{
	size_t i;
	int added = 0;

	if (SSL_dane_enable(ssl, host) <= 0)
		return -1;
	if (!ee_names)
		SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (i = 0; i < n; i++) {
		if (!dane_tlsa_usable(&t[i]))
			continue;
		/* 0: OpenSSL finds it unusable too (a digest it lacks) */
		if (SSL_dane_tlsa_add(ssl, t[i].usage, t[i].selector, t[i].mtype,
		    t[i].data, t[i].len) > 0)
			added++;
	}
	return added;
}
