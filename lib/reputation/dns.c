/* dns: queries through libunbound (see dns.h).  Runs under any uid; the
 * resolver's answers are untrusted bytes: every record is bounds-checked
 * before it becomes text, and names keep only host-name bytes. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unbound.h>

#include "ctl.h"
#include "dns.h"
#include "mono.h"

struct dns {
	struct ub_ctx *ub;
	size_t         pending;
	/* the async ids of unanswered queries, to cancel at the deadline */
	struct job   **jobs;
	size_t         njobs, cap;
};

struct job {
	struct dns        *d;
	struct dns_answer *a;
	int                id;
	int                done;
};

/* Zones libunbound answers itself with NXDOMAIN (RFC 6761 names, and the
 * reverse zones of the documentation networks of RFC 5737 and RFC 3849);
 * a site or a test that serves them on its own resolver must reach it.
 * localhost and the private ranges' reverse zones stay local: they must
 * never leave the machine. */
static const char *const local_zones[] = { "test.", "invalid.", "local.",
	"onion.", "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
	"113.0.203.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa." };

/* The names of RFC 2606 and RFC 6761 that the system's resolver is
 * never asked about. */
static const char *const reserved[] = { "test.", "invalid.", "example.",
	"example.com.", "example.net.", "example.org.", "localhost." };

/* Open a resolver context: control/resolvers or the system's. */
struct dns *
dns_open(char *err, size_t errsize)
{
	struct ctl_list l;
	struct dns *d;
	char ta[4096];
	size_t i;
	int r, own;

	if ((d = calloc(1, sizeof *d)) == NULL ||
	    (d->ub = ub_ctx_create()) == NULL) {
		snprintf(err, errsize, "out of memory");
		free(d);
		return NULL;
	}
	/* a thread, not a forked process: the caller may be single-uid and
	 * sandboxed, and a thread dies with it */
	ub_ctx_async(d->ub, 1);
	if (ctl_lines("resolvers", &l) == -1) {
		snprintf(err, errsize, "unable to read control/resolvers: %s",
		    strerror(errno));
		dns_close(d);
		return NULL;
	}
	for (i = 0; i < l.n; i++)
		if ((r = ub_ctx_set_fwd(d->ub, l.v[i])) != 0) {
			snprintf(err, errsize, "control/resolvers line %u: %s",
			    l.lineno[i], ub_strerror(r));
			ctl_free(&l);
			dns_close(d);
			return NULL;
		}
	if (l.n == 0 && (r = ub_ctx_resolvconf(d->ub, NULL)) != 0) {
		snprintf(err, errsize, "unable to read /etc/resolv.conf: %s",
		    ub_strerror(r));
		dns_close(d);
		return NULL;
	}
	own = l.n > 0;
	ctl_free(&l);
	/* control/dnssecanchors: DNSSEC validation with those trust anchors
	 * (DS or DNSKEY records, as unbound's trust-anchor-file); answers
	 * then carry secure, and bogus ones are temporary failures */
	if (ctl_string("dnssecanchors", "", ta, sizeof ta) == -1) {
		snprintf(err, errsize, "unable to read control/dnssecanchors: %s",
		    strerror(errno));
		dns_close(d);
		return NULL;
	}
	if (ta[0] && (r = ub_ctx_add_ta_file(d->ub, ta)) != 0) {
		snprintf(err, errsize, "trust anchors %.200s: %s", ta, ub_strerror(r));
		dns_close(d);
		return NULL;
	}
	/* must come after set_fwd (REAL-PARTS.md), and after the anchors:
	 * it finalizes the context.  With resolvers of its own a site (or a
	 * test) may serve the reserved names; through the system's resolver
	 * they are answered here, NXDOMAIN at once, and never asked of the
	 * world (RFC 2606, RFC 6761: no real mail has an address there) */
	for (i = 0; i < sizeof local_zones / sizeof local_zones[0]; i++)
		(void)ub_ctx_zone_remove(d->ub, local_zones[i]);
	for (i = 0; !own && i < sizeof reserved / sizeof reserved[0]; i++)
		(void)ub_ctx_zone_add(d->ub, reserved[i], "static");
	return d;
}

/* A wire-format name at p (uncompressed, as libunbound hands rdata) into
 * text without the final dot; bytes outside letters, digits, '-', '_' and
 * '.' become '?', so a name can never carry a control byte. */
static int
wire_name(const unsigned char *p, size_t n, size_t *used, char *out,
    size_t outsize)
{
	size_t i = 0, o = 0, k, lab;

	for (;;) {
		if (i >= n)
			return -1;
		lab = p[i++];
		if (lab == 0)
			break;
		if (lab > 63 || i + lab > n)
			return -1;
		if (o && o + 1 < outsize)
			out[o++] = '.';
		for (k = 0; k < lab; k++) {
			unsigned char c = p[i + k];
			if (o + 1 >= outsize)
				return -1;
			out[o++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_' ? (char)c : '?';
		}
		i += lab;
	}
	out[o] = '\0';
	if (used)
		*used = i;
	return 0;
}

/* A TLSA record (RFC 6698 2.1) as "USAGE SELECTOR MTYPE HEX": the data
 * can be a whole certificate, too long for the other types' buffer. */
static int
tlsa_text(const unsigned char *p, size_t n, struct dns_rr *rr)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o;

	if (n < 4 || n > 65535 || (rr->text = malloc(16 + 2 * n)) == NULL)
		return -1;
	o = (size_t)snprintf(rr->text, 16, "%u %u %u ", p[0], p[1], p[2]);
	for (i = 3; i < n; i++) {
		rr->text[o++] = hex[p[i] >> 4];
		rr->text[o++] = hex[p[i] & 15];
	}
	rr->text[o] = '\0';
	rr->len = o;
	return 0;
}

/* One record's rdata as text into rr (rr->text malloc'd).  0, or -1 for
 * malformed rdata (the record is skipped). */
int
dns_rdata_text(int type, const unsigned char *p, size_t n, struct dns_rr *rr)
{
	char t[1024];
	size_t i, o = 0, k;

	rr->pref = 0;
	rr->text = NULL;
	if (type == DNS_TLSA)
		return tlsa_text(p, n, rr);
	switch (type) {
	case DNS_A:
		if (n != 4 || inet_ntop(AF_INET, p, t, sizeof t) == NULL)
			return -1;
		o = strlen(t);
		break;
	case DNS_AAAA:
		if (n != 16 || inet_ntop(AF_INET6, p, t, sizeof t) == NULL)
			return -1;
		o = strlen(t);
		break;
	case DNS_MX:
		if (n < 3)
			return -1;
		rr->pref = (unsigned)p[0] << 8 | p[1];
		if (wire_name(p + 2, n - 2, NULL, t, sizeof t) == -1)
			return -1;
		o = strlen(t);
		break;
	case DNS_PTR:
		if (wire_name(p, n, NULL, t, sizeof t) == -1)
			return -1;
		o = strlen(t);
		break;
	case DNS_TXT:
		/* character-strings joined, as SPF and DNSBL texts are read
		 * (RFC 7208 3.3) */
		for (i = 0; i < n; ) {
			k = p[i++];
			if (i + k > n)
				return -1;
			if (o + k >= sizeof t)
				k = sizeof t - 1 - o;
			memcpy(t + o, p + i, k);
			o += k;
			i += p[i - 1];
		}
		t[o] = '\0';
		break;
	default:
		return -1;
	}
	if ((rr->text = malloc(o + 1)) == NULL)
		return -1;
	memcpy(rr->text, t, o + 1);
	rr->len = o;
	return 0;
}

static void
callback(void *arg, int err, struct ub_result *res)
{
	struct job *j = arg;
	struct dns_answer *a = j->a;
	int i;

	j->done = 1;
	j->d->pending--;
	if (err != 0 || res == NULL) {
		a->status = DNS_TEMP;
		return;
	}
	if (res->bogus)
		a->status = DNS_TEMP;   /* a failed signature: try later */
	else if (res->rcode == 3)
		a->status = DNS_NXDOMAIN;
	else if (res->rcode != 0)
		a->status = DNS_TEMP;
	else if (!res->havedata)
		a->status = DNS_NODATA;
	else
		a->status = DNS_OK;
	a->secure = res->secure;
	for (i = 0; a->status == DNS_OK && res->data[i] && a->n < DNS_MAX_RR; i++)
		if (dns_rdata_text(res->qtype, (unsigned char *)res->data[i],
		    (size_t)res->len[i], &a->rr[a->n]) == 0)
			a->n++;
	if (a->status == DNS_OK && a->n == 0)
		a->status = DNS_TEMP;   /* only malformed records */
	ub_resolve_free(res);
}

/* Start one query; its answer lands in a at the latest by dns_wait. */
int
dns_submit(struct dns *d, const char *name, int type, struct dns_answer *a)
{
	struct job *j, **nj;

	memset(a, 0, sizeof *a);
	if (d->njobs == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 16;
		if ((nj = reallocarray(d->jobs, nc, sizeof *nj)) == NULL)
			return -1;
		d->jobs = nj;
		d->cap = nc;
	}
	if ((j = calloc(1, sizeof *j)) == NULL)
		return -1;
	j->d = d;
	j->a = a;
	d->pending++;
	if (ub_resolve_async(d->ub, name, type, 1, j, callback, &j->id) != 0) {
		d->pending--;
		free(j);
		errno = EIO;
		return -1;
	}
	d->jobs[d->njobs++] = j;
	return 0;
}

/* Process answers until every query is answered or timeout_ms has gone;
 * the unanswered are cancelled and marked DNS_TEMP.  0, or -1 (errno). */
int
dns_wait(struct dns *d, int timeout_ms)
{
	long end = now_ms() + timeout_ms, left;
	struct pollfd pf;
	size_t i;

	pf.fd = ub_fd(d->ub);
	pf.events = POLLIN;
	while (d->pending > 0 && (left = end - now_ms()) > 0) {
		if (poll(&pf, 1, (int)left) == -1 && errno != EINTR)
			return -1;
		if (ub_process(d->ub) != 0) {
			errno = EIO;
			return -1;
		}
	}
	for (i = 0; i < d->njobs; i++) {
		if (!d->jobs[i]->done) {
			ub_cancel(d->ub, d->jobs[i]->id);
			d->jobs[i]->a->status = DNS_TEMP;
		}
		free(d->jobs[i]);
	}
	d->njobs = 0;
	d->pending = 0;
	return 0;
}

void
dns_answer_free(struct dns_answer *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->rr[i].text);
	a->n = 0;
}

void
dns_close(struct dns *d)
{
	if (d == NULL)
		return;
	if (d->njobs)
		(void)dns_wait(d, 0);
	free(d->jobs);
	if (d->ub)
		ub_ctx_delete(d->ub);
	free(d);
}

const char *
dns_status_name(enum dns_status s)
{
	static const char *const n[] = { "pending", "ok", "nodata", "nxdomain",
		"temp" };

	return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}
