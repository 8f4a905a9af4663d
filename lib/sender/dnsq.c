/* dnsq: a per-message cache and deadline over dns.h (see dnsq.h).  Names
 * come from strangers' records; they are compared without regard to case
 * and handed to the resolver only when they are a host name's shape. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsq.h"
#include "mono.h"

void
dnsq_init(struct dnsq *q, struct dns *d, int timeout_ms)
{
	memset(q, 0, sizeof *q);
	q->d = d;
	q->deadline = now_ms() + timeout_ms;
}

static struct dnsq_ent *
find(struct dnsq *q, const char *name, int type)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		if (q->e[i]->type == type && strcasecmp(q->e[i]->name, name) == 0)
			return q->e[i];
	return NULL;
}

/* A name the resolver can be asked: 1 to 253 bytes of labels of 1 to 63
 * bytes, no control bytes, no backslash or quote (which the resolver's
 * parser would read as escapes).  SPF macros can make any of these;
 * printable bytes and spaces are legal in DNS labels (RFC 2181 11). */
static int
askable(const char *name)
{
	size_t n = strlen(name), lab = 0, i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < ' ' || c >= 0x7f || c == '\\' || c == '"')
			return 0;
		if (c == '.') {
			if (lab == 0 && i + 1 != n)
				return 0;
			lab = 0;
		} else if (++lab > 63)
			return 0;
	}
	return 1;
}

static struct dnsq_ent *
ask(struct dnsq *q, const char *name, int type)
{
	struct dnsq_ent *e, **ne;

	if ((e = find(q, name, type)) != NULL)
		return e;
	if (q->n == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 16;
		if ((ne = reallocarray(q->e, nc, sizeof *ne)) == NULL)
			return NULL;
		q->e = ne;
		q->cap = nc;
	}
	if ((e = calloc(1, sizeof *e)) == NULL)
		return NULL;
	if ((e->name = strdup(name)) == NULL) {
		free(e);
		return NULL;
	}
	e->type = type;
	q->e[q->n++] = e;
	if (!askable(name))
		e->a.status = DNS_NXDOMAIN;   /* no such name can exist */
	else if (q->d == NULL || now_ms() >= q->deadline ||
	    dns_submit(q->d, name, type, &e->a) == -1)
		e->a.status = DNS_TEMP;
	else
		q->queries++;
	return e;
}

/* Submit a question without waiting for it. */
void
dnsq_ask(struct dnsq *q, const char *name, int type)
{
	(void)ask(q, name, type);
}

/* The answer to a question, waiting (within the deadline) for it and for
 * every other question still out.  Never NULL: out of memory is a
 * temporary failure like any other. */
const struct dns_answer *
dnsq_get(struct dnsq *q, const char *name, int type)
{
	static struct dns_answer temp = { .status = DNS_TEMP };
	struct dnsq_ent *e = ask(q, name, type);
	long left;

	if (e == NULL)
		return &temp;
	if (e->a.status == DNS_PENDING) {
		left = q->deadline - now_ms();
		if (dns_wait(q->d, left > 0 ? (int)left : 0) == -1)
			e->a.status = DNS_TEMP;
		if (e->a.status == DNS_PENDING)
			e->a.status = DNS_TEMP;
	}
	return &e->a;
}

void
dnsq_free(struct dnsq *q)
{
	size_t i;

	if (q->d)
		(void)dns_wait(q->d, 0);   /* cancel what is still out */
	for (i = 0; i < q->n; i++) {
		dns_answer_free(&q->e[i]->a);
		free(q->e[i]->name);
		free(q->e[i]);
	}
	free(q->e);
	memset(q, 0, sizeof *q);
}
