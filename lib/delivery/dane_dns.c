/* dane_dns: the TLSA lookups of DANE (dane.h) through the project's DNS
 * layer; apart from dane.c so that smtpc.c, which smtpd-accept links
 * too, pulls in no resolver. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"

/* The usable records of one secure answer into h. */
static int
host_records(const struct dns_answer *a, struct dane_host *h)
{
	size_t i;

	if ((h->t = calloc(a->n ? a->n : 1, sizeof *h->t)) == NULL)
		return -1;
	for (i = 0; i < a->n; i++) {
		struct dane_tlsa t;

		if (dane_tlsa_parse(a->rr[i].text, a->rr[i].len, &t) == -1)
			continue;
		if (!dane_tlsa_usable(&t)) {
			dane_tlsa_free(&t);
			continue;
		}
		h->t[h->n++] = t;
	}
	h->state = h->n ? DANE_ON : DANE_UNUSABLE;
	return 0;
}

int
dane_lookup(struct dns *dns, const char *const *host, size_t n,
    const char *port, int timeout_ms, struct dane_host *dh)
{
	struct dns_answer *a = calloc(n ? n : 1, sizeof *a);
	char name[300];
	size_t i;
	int rc = -1;

	memset(dh, 0, n * sizeof *dh);
	for (i = 0; i < n; i++)
		dh[i].state = DANE_FAIL;
	if (a == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "_%s._tcp.%s", port, host[i]);
		if (dns_submit(dns, name, DNS_TLSA, &a[i]) == -1)
			goto out;
	}
	if (n > 0 && dns_wait(dns, timeout_ms) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		/* RFC 7672 2.2: an insecure answer, or a secure denial, is
		 * no DANE; a failed lookup (bogus, SERVFAIL, timeout) leaves
		 * the host unusable */
		if (a[i].status == DNS_TEMP || a[i].status == DNS_PENDING)
			dh[i].state = DANE_FAIL;
		else if (!a[i].secure || a[i].status != DNS_OK)
			dh[i].state = DANE_NONE;
		else if (host_records(&a[i], &dh[i]) == -1)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		dns_answer_free(&a[i]);
	free(a);
	return rc;
}

