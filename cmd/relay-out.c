/* relay-out: deliver one message to its next hops: the route of each
 * recipient's domain in control/routes (SMTP, LMTP or a local maildir),
 * else the domain's MX hosts in preference order.  Writes one result line
 * per recipient, as qmail-remote does, so that the supervisor bounces or
 * retries only those that failed.  The remote servers and the DNS are
 * strangers; runs as the gateway's unprivileged user, never as root. */
#include <arpa/inet.h>
#include <getopt.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "dane.h"
#include "dns.h"
#include "env.h"
#include "log.h"
#include "maildir.h"
#include "msg.h"
#include "mtasts.h"
#include "relay.h"
#include "route.h"
#include "serve.h"
#include "smtpc.h"
#include "verdict.h"

struct conf {
	char me[256];
	struct ctl_list routes, tlspol;
	char cafile[4096];
	char port[8];
	unsigned long tconnect, tremote, tdns, maxmx;
	struct dns *dns;
	char mtasts[8], stsport[8], stscache[4096];  /* RFC 8461, mtasts.h */
	unsigned long tsts;
	char anchors[4096];   /* control/dnssecanchors: DNSSEC (dns.c), and so DANE */
	int tls_explicit;   /* control/tls-policy named the domain itself */
};

static struct conf cf;

static const char *
domain_of(const char *a)
{
	const char *at = strrchr(a, '@');

	return at ? at + 1 : "";
}

/* The TLS policy for a domain: control/tls-policy "DOMAIN POLICY" lines,
 * "*" or a line with only a policy for the rest; default "may". */
static int
tls_policy(const char *domain, enum relay_tls *t)
{
	size_t i;
	int pass;

	*t = RELAY_TLS_MAY;
	cf.tls_explicit = 0;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < cf.tlspol.n; i++) {
			char *v = cf.tlspol.v[i], *sp = v + strcspn(v, " \t");
			const char *pol = *sp ? sp + strspn(sp, " \t") : v;
			int wild = *sp == '\0' || (sp - v == 1 && *v == '*');
			if (pass == 0 && (wild || (size_t)(sp - v) != strlen(domain) ||
			    strncasecmp(v, domain, (size_t)(sp - v)) != 0))
				continue;
			if (pass == 1 && !wild)
				continue;
			cf.tls_explicit = pass == 0;
			return relay_parse_tls(pol, t);
		}
	return 0;
}

/* The resolver, started on first use: a maildir route or an address
 * literal needs none, and libunbound's start is the dearest step of a
 * local delivery.  NULL (logged) when it cannot start: temporary. */
static struct dns *
resolver(void)
{
	char err[256];

	if (cf.dns == NULL && (cf.dns = dns_open(err, sizeof err)) == NULL)
		log_warn(0, "DNS: %s", err);
	return cf.dns;
}

/* Resolve the addresses of n hosts at once (A and AAAA). */
static int
addresses(const char *const *host, size_t n, struct dns_answer *a4,
    struct dns_answer *a6)
{
	unsigned char sa[16];
	size_t i, asked = 0;

	for (i = 0; i < n; i++) {
		/* an address literal (a route's [IP]) needs no lookup */
		if (inet_pton(AF_INET, host[i], sa) == 1 ||
		    inet_pton(AF_INET6, host[i], sa) == 1) {
			a4[i].status = DNS_OK;
			a6[i].status = DNS_NODATA;
			if ((a4[i].rr[0].text = strdup(host[i])) == NULL)
				return -1;
			a4[i].n = 1;
			continue;
		}
		if (resolver() == NULL ||
		    dns_submit(cf.dns, host[i], DNS_A, &a4[i]) == -1 ||
		    dns_submit(cf.dns, host[i], DNS_AAAA, &a6[i]) == -1)
			return -1;
		asked++;
	}
	return asked ? dns_wait(cf.dns, (int)cf.tdns * 1000) : 0;
}

/* Try each address of each host in turn until one takes the transaction
 * (RFC 5321 5.1: MX hosts in order, every address of each). */
static void
try_hosts(struct relay_job *j, const char *const *host, size_t n,
    const char *port, int lmtp, const struct dane_host *dh)
{
	struct dns_answer *a4 = calloc(n, sizeof *a4), *a6 = calloc(n, sizeof *a6);
	char err[300], last[sizeof j->why + 300] = "no address found";
	size_t i, k;
	int any_temp = 0;

	if (a4 == NULL || a6 == NULL || addresses(host, n, a4, a6) == -1) {
		relay_set_pending(j, RELAY_TEMP, "451 4.4.3 DNS error");
		goto done;
	}
	for (i = 0; i < n; i++) {
		struct dns_answer *fam[2] = { &a4[i], &a6[i] };
		int f;
		/* RFC 7672 2.2.1: a host whose TLSA lookup failed is not used */
		if (dh && dh[i].state == DANE_FAIL) {
			snprintf(last, sizeof last, "%.255s: DANE: TLSA lookup failed",
			    host[i]);
			log_info("host=%s gave up: TLSA lookup failed", host[i]);
			continue;
		}
		if (a4[i].status == DNS_TEMP || a6[i].status == DNS_TEMP)
			any_temp = 1;
		for (f = 0; f < 2; f++)
			for (k = 0; k < fam[f]->n; k++) {
				struct smtpc *c = smtpc_connect(fam[f]->rr[k].text, port,
				    (int)cf.tconnect * 1000, err, sizeof err);
				/* RFC 7672 2.2.2: DANE only at a signed address */
				j->dane = dh && fam[f]->secure ? &dh[i] : NULL;
				if (c == NULL) {
					snprintf(last, sizeof last, "%.255s: %s", host[i], err);
					log_info("host=%s %s", host[i], err);
					continue;
				}
				smtpc_set_timeout(c, (int)cf.tremote * 1000);
				j->tlsname = host[i];
				if (relay_try(j, c) == 0) {
					log_info("host=%s addr=%s tls=%s", host[i],
					    fam[f]->rr[k].text, j->tlsinfo[0] ? j->tlsinfo : "no");
					smtpc_close(c);
					goto done;
				}
				smtpc_close(c);
				snprintf(last, sizeof last, "%.255s: %s", host[i], j->why);
				log_info("host=%s addr=%s gave up: %s", host[i],
				    fam[f]->rr[k].text, j->why);
			}
	}
	(void)lmtp;
	(void)any_temp;
	j->dane = NULL;
	/* no host took it: temporary, the next attempt may reach one */
	relay_set_pending(j, RELAY_TEMP, "451 4.4.1 %.400s", last);
done:
	j->dane = NULL;
	for (i = 0; a4 && a6 && i < n; i++) {
		dns_answer_free(&a4[i]);
		dns_answer_free(&a6[i]);
	}
	free(a4);
	free(a6);
}

/* MTA-STS (RFC 8461, lib/delivery/mtasts.c) for a delivery to the MX
 * hosts of domain, unless control/mtasts is off or control/tls-policy
 * names the domain itself (the administrator's word wins).  0 go on, with
 * the hosts the policy allows and TLS verified under enforce; -1 deferred
 * with the reason. */
static int
sts(struct relay_job *j, const char *domain, const char **host, size_t *n)
{
	struct mtasts_conf sc = { j->cafile, cf.stsport, cf.stscache,
		(long)cf.tsts };
	char note[600], d[256];
	int verify = 0, r;

	if (strcmp(cf.mtasts, "off") == 0 || cf.tls_explicit)
		return 0;
	r = mtasts_delivery(cf.dns, &sc, domain, host, n, &verify, note,
	    sizeof note);
	log_clean(d, sizeof d, domain, strlen(domain));
	if (r != 0) {
		relay_set_pending(j, RELAY_TEMP, "451 4.7.5 %s", r == 1 ? note :
		    "MTA-STS: out of memory");
		return -1;
	}
	log_info("domain=%s %s", d, note);
	if (verify) {
		j->tls = RELAY_TLS_VERIFY;
		j->tlsby = "MTA-STS enforce";
	}
	return 0;
}

/* The TLSA records of the n MX hosts (RFC 7672, lib/delivery/dane.c),
 * when the MX answer was secure.  *dh: one per host when at least one
 * host has DANE (or its lookup failed), else NULL.  -1: deferred. */
static int
dane_for(struct relay_job *j, const char **host, size_t n,
    struct dane_host **dh)
{
	struct dane_host *d = calloc(n ? n : 1, sizeof *d);
	size_t i, any = 0;

	if (d == NULL || dane_lookup(cf.dns, host, n, cf.port,
	    (int)cf.tdns * 1000, d) == -1) {
		free(d);
		relay_set_pending(j, RELAY_TEMP, "451 4.4.3 DNS error (TLSA)");
		return -1;
	}
	for (i = 0; i < n; i++) {
		any += d[i].state != DANE_NONE;
		log_info("host=%s dane=%s", host[i], d[i].state == DANE_ON ? "yes" :
		    d[i].state == DANE_UNUSABLE ? "unusable" :
		    d[i].state == DANE_FAIL ? "lookup-failed" : "no");
	}
	if (any == 0) {
		for (i = 0; i < n; i++)
			dane_host_free(&d[i]);
		free(d);
		d = NULL;
	}
	*dh = d;
	return 0;
}

/* Deliver to a domain's MX hosts, with the RFC 5321 5.1 fallback to the
 * domain itself and RFC 7505 null MX. */
static void
by_mx(struct relay_job *j, const char *domain)
{
	struct dns_answer mx;
	const char *host[DNS_MAX_RR];
	struct dane_host *dh = NULL;
	size_t i, n = 0;

	if (resolver() == NULL || dns_submit(cf.dns, domain, DNS_MX, &mx) == -1 ||
	    dns_wait(cf.dns, (int)cf.tdns * 1000) == -1) {
		relay_set_pending(j, RELAY_TEMP, "451 4.4.3 DNS error");
		return;
	}
	switch (mx.status) {
	case DNS_NXDOMAIN:
		relay_set_pending(j, RELAY_PERM, "550 5.1.2 domain %s does not "
		    "exist", domain);
		return;
	case DNS_NODATA:
		host[n++] = domain;   /* the implicit MX */
		break;
	case DNS_OK:
		relay_mx_order(mx.rr, mx.n, NULL);
		for (i = 0; i < mx.n; i++)
			if (mx.rr[i].len == 0) {
				relay_set_pending(j, RELAY_PERM, "556 5.1.10 domain %s "
				    "accepts no mail (null MX)", domain);
				dns_answer_free(&mx);
				return;
			}
		for (i = 0; i < mx.n && n < cf.maxmx; i++)
			host[n++] = mx.rr[i].text;
		break;
	default:
		relay_set_pending(j, RELAY_TEMP, "451 4.4.3 DNS lookup of %s "
		    "failed: %s", domain, dns_status_name(mx.status));
		return;
	}
	/* DANE where the MX answer was signed; where a host has it, DANE
	 * wins and MTA-STS is not consulted */
	if (cf.anchors[0] && mx.secure && dane_for(j, host, n, &dh) == -1) {
		dns_answer_free(&mx);
		return;
	}
	if (dh != NULL || sts(j, domain, host, &n) == 0)
		try_hosts(j, host, n, cf.port, 0, dh);
	for (i = 0; dh && i < n; i++)
		dane_host_free(&dh[i]);
	free(dh);
	dns_answer_free(&mx);
}

/* Local delivery, as qmail-local: Return-Path and Delivered-To on top. */
static void
to_maildir(struct relay_job *j, const struct route *rt)
{
	char dir[4096], name[256], local[1024];
	struct buf top = BUF_INIT;
	size_t i;

	for (i = 0; i < j->n; i++) {
		const char *a = j->r[i].addr, *at = strrchr(a, '@');
		snprintf(local, sizeof local, "%.*s", at ? (int)(at - a) : (int)strlen(a), a);
		buf_reset(&top);
		if (route_maildir_path(rt, local, domain_of(a), dir, sizeof dir) == -1) {
			relay_set(&j->r[i], RELAY_PERM, "550 5.1.1 no mailbox for "
			    "this address");
			continue;
		}
		if (buf_printf(&top, "Return-Path: <%s>\nDelivered-To: %s\n",
		    j->sender, a) == -1 ||
		    maildir_deliver(dir, top.p, top.len, j->msg, j->len, name,
		    sizeof name) == -1) {
			relay_set(&j->r[i], RELAY_TEMP, "451 4.3.0 maildir delivery "
			    "failed: %s", strerror(errno));
			continue;
		}
		relay_set(&j->r[i], RELAY_OK, "250 2.0.0 delivered to maildir as %s",
		    name);
	}
	buf_free(&top);
}

/* One group of recipients sharing a next hop. */
static void
deliver(struct relay_job *j, const struct route *rt, const char *domain)
{
	const char *h[1];

	if (tls_policy(domain, &j->tls) == -1) {
		relay_set_pending(j, RELAY_TEMP, "451 4.3.5 bad control/tls-policy");
		return;
	}
	switch (rt->kind) {
	case ROUTE_MX:
		by_mx(j, domain);
		break;
	case ROUTE_MAILDIR:
		to_maildir(j, rt);
		break;
	case ROUTE_LMTP_UNIX: {
		char err[512];
		struct smtpc *c = smtpc_connect_unix(rt->path, (int)cf.tconnect * 1000,
		    err, sizeof err);
		j->lmtp = 1;
		if (c == NULL) {
			relay_set_pending(j, RELAY_TEMP, "451 4.4.1 %s", err);
			return;
		}
		smtpc_set_timeout(c, (int)cf.tremote * 1000);
		if (relay_try(j, c) != 0)
			relay_set_pending(j, RELAY_TEMP, "451 4.4.1 %s", j->why);
		smtpc_close(c);
		break;
	}
	default:
		j->lmtp = rt->kind == ROUTE_LMTP;
		h[0] = rt->host;
		if (rt->host[0] == '[') {   /* an address literal: no DNS */
			static char lit[256];
			snprintf(lit, sizeof lit, "%.*s", (int)strlen(rt->host) - 2,
			    rt->host + 1);
			h[0] = lit;
		}
		try_hosts(j, h, 1, rt->port, j->lmtp, NULL);
	}
}

static int
config(void)
{
	if (ctl_me(cf.me, sizeof cf.me) == -1 ||
	    ctl_lines("routes", &cf.routes) == -1 ||
	    ctl_lines("tls-policy", &cf.tlspol) == -1 ||
	    ctl_string("tlscafile", "", cf.cafile, sizeof cf.cafile) == -1 ||
	    ctl_string("smtpport", "25", cf.port, sizeof cf.port) == -1 ||
	    ctl_ulong("timeoutconnect", 30, 1, 600, &cf.tconnect) == -1 ||
	    ctl_ulong("timeoutremote", 300, 1, 3600, &cf.tremote) == -1 ||
	    ctl_ulong("timeoutdns", 30, 1, 600, &cf.tdns) == -1 ||
	    ctl_ulong("maxmx", 10, 1, DNS_MAX_RR, &cf.maxmx) == -1 ||
	    ctl_string("mtasts", "on", cf.mtasts, sizeof cf.mtasts) == -1 ||
	    ctl_string("mtastsport", "443", cf.stsport, sizeof cf.stsport) == -1 ||
	    ctl_string("mtastscache", "/var/cache/portcullis/mta-sts",
	    cf.stscache, sizeof cf.stscache) == -1 ||
	    ctl_ulong("timeoutmtasts", 30, 1, 600, &cf.tsts) == -1 ||
	    ctl_string("dnssecanchors", "", cf.anchors, sizeof cf.anchors) == -1) {
		log_fatal(errno, "unable to read the control files");
		return -1;
	}
	if (strcmp(cf.mtasts, "on") != 0 && strcmp(cf.mtasts, "off") != 0) {
		log_fatal(0, "control/mtasts: on or off, not %.20s", cf.mtasts);
		return -1;
	}
	return 0;
}

/* --lint [-C dir]: every setting relay-out reads, and every line of
 * routes and tls-policy parsed now rather than when mail first goes to
 * its domain.  0, or 111 with the file and line.  It only reads, so root
 * may run it. */
static int
lint(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "lint", no_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } };
	unsigned long db, port;
	enum relay_tls t;
	size_t i, filter_max;
	unsigned line;
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "C:", lo, NULL)) != -1)
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if (ch != 'l') {
			log_fatal(0, "usage: relay-out [-C dir] --lint");
			return EXIT_TEMP;
		}
	if (ctl_databytes(&db, &filter_max) == -1) {
		log_fatal(errno, "unable to read control/databytes");
		return EXIT_TEMP;
	}
	if (config() == -1)
		return EXIT_TEMP;
	if (route_check(&cf.routes, &line) == -1) {
		log_fatal(0, "control/routes line %u: not DOMAIN NEXTHOP (smtp:host[:port], "
		    "lmtp:host:port, lmtp:/socket, maildir:/path)", line);
		return EXIT_TEMP;
	}
	for (i = 0; i < cf.tlspol.n; i++) {
		char *v = cf.tlspol.v[i], *sp = v + strcspn(v, " \t");
		if (relay_parse_tls(*sp ? sp + strspn(sp, " \t") : v, &t) == -1) {
			log_fatal(0, "control/tls-policy line %u: not [DOMAIN] "
			    "none|may|encrypt|verify", cf.tlspol.lineno[i]);
			return EXIT_TEMP;
		}
	}
	port = strtoul(cf.port, &end, 10);
	if (*cf.port < '0' || *cf.port > '9' || *end || port == 0 || port > 65535) {
		log_fatal(0, "control/smtpport: \"%s\" is not a port from 1 to 65535",
		    cf.port);
		return EXIT_TEMP;
	}
	if (cf.cafile[0] && access(cf.cafile, R_OK) == -1) {
		log_fatal(errno, "control/tlscafile: unable to read %s", cf.cafile);
		return EXIT_TEMP;
	}
	/* control/resolvers, read as a delivery reads it; no query sent */
	if (resolver() == NULL)
		return EXIT_TEMP;
	dns_close(cf.dns);
	cf.dns = NULL;
	printf("relay-out: me %s, %zu routes, %zu TLS policies, port %s\n",
	    cf.me, cf.routes.n, cf.tlspol.n, cf.port);
	return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
}

/* Split the recipients into groups by next hop and deliver each. */
static int
relay_all(struct relay_job *all, struct relay_rcpt *r, size_t n)
{
	struct route *rt = calloc(n ? n : 1, sizeof *rt);
	char *done = calloc(n ? n : 1, 1);
	struct relay_rcpt *grp = calloc(n ? n : 1, sizeof *grp);
	size_t i, k, m;
	unsigned line;

	if (rt == NULL || done == NULL || grp == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (route_find(&cf.routes, domain_of(r[i].addr), &rt[i], &line) == -1) {
			log_fatal(0, "control/routes line %u: not DOMAIN NEXTHOP", line);
			return -1;
		}
	for (i = 0; i < n; i++) {
		struct relay_job j = *all;
		if (done[i])
			continue;
		for (k = i, m = 0; k < n; k++)
			/* one transaction per next hop and domain: the TLS
			 * policy is the domain's */
			if (!done[k] && route_same(&rt[i], &rt[k]) &&
			    strcasecmp(domain_of(r[i].addr), domain_of(r[k].addr)) == 0) {
				grp[m++] = r[k];
				done[k] = 2;
			}
		j.r = grp;
		j.n = m;
		deliver(&j, &rt[i], domain_of(r[i].addr));
		for (k = i, m = 0; k < n; k++)
			if (done[k] == 2) {
				r[k] = grp[m++];
				done[k] = 1;
			}
	}
	free(rt);
	free(done);
	free(grp);
	return 0;
}

static const struct option longopts[] = {
	{ "sender", required_argument, NULL, 'f' },
	{ "rcpt", required_argument, NULL, 'r' },
	{ "serve", no_argument, NULL, 'S' },
	{ NULL, 0, NULL, 0 }
};

/* What the command line set for every message (and, with -f and -r, its
 * envelope); a resident's jobs bring theirs in the environment. */
struct args {
	const char *sender;
	char *const *rcpt;
	size_t nrcpt;
	int body8, utf8;
	size_t filter_max;
};

/* One message on fd 0, its envelope from args or the environment (a
 * job's, for a resident): the next hops tried, a result line per
 * recipient on stdout.  The exit status of relay-out(8). */
static int
relay_one(void *arg)
{
	const struct args *a = arg;
	const char *u8 = getenv("SMTPUTF8"), *body = getenv("BODY");
	struct envelope e;
	struct relay_job j;
	struct relay_rcpt *r = NULL;
	struct msg m;
	size_t i;
	int st = EXIT_PASS;

	memset(&e, 0, sizeof e);
	memset(&m, 0, sizeof m);
	if (env_from_environ(&e) == -1)
		return EXIT_TEMP;
	if (a->sender && env_set(&e.sender, a->sender) == -1)
		st = EXIT_TEMP;
	for (i = 0; st == EXIT_PASS && i < a->nrcpt; i++)
		if (env_add_rcpt(&e, a->rcpt[i], strlen(a->rcpt[i])) == -1)
			st = EXIT_TEMP;
	if (st == EXIT_PASS && (e.sender == NULL || e.nrcpt == 0)) {
		log_fatal(0, "no envelope: set SENDER and RECIPIENT or -f and -r");
		st = EXIT_TEMP;
	}
	if (st == EXIT_PASS && (msg_read_fd(0, a->filter_max, &m) == -1 ||
	    m.truncated)) {
		log_fatal(m.truncated ? EFBIG : errno, "unable to read the message");
		st = EXIT_TEMP;
	}
	if (st == EXIT_PASS && (r = calloc(e.nrcpt, sizeof *r)) == NULL)
		st = EXIT_TEMP;
	if (st != EXIT_PASS)
		goto out;
	for (i = 0; i < e.nrcpt; i++)
		r[i].addr = e.rcpt[i];
	memset(&j, 0, sizeof j);
	j.me = cf.me;
	j.sender = e.sender;
	j.msg = m.raw.p;
	j.len = m.raw.len;
	j.body8 = a->body8 || (body && strcmp(body, "8BITMIME") == 0);
	j.utf8_want = a->utf8 || (u8 && *u8 && strcmp(u8, "0") != 0);
	j.utf8_need = relay_utf8_need(j.sender, j.msg, j.len);
	j.cafile = cf.cafile[0] ? cf.cafile : NULL;
	if (relay_all(&j, r, e.nrcpt) == -1) {
		st = EXIT_TEMP;
		goto out;
	}
	for (i = 0; i < e.nrcpt; i++) {
		char clean[sizeof r[i].reply], ad[1024];
		log_clean(clean, sizeof clean, r[i].reply, strlen(r[i].reply));
		log_clean(ad, sizeof ad, r[i].addr, strlen(r[i].addr));
		printf("%c %s %s\n", r[i].kind ? r[i].kind : RELAY_TEMP, ad, clean);
		log_info("qid=%s rcpt=%s result=%c reply=%s", e.qid ? e.qid : "-", ad,
		    r[i].kind, clean);
		if (r[i].kind == RELAY_TEMP || r[i].kind == 0)
			st = EXIT_TEMP;
		else if (r[i].kind == RELAY_PERM && st == EXIT_PASS)
			st = EXIT_REJECT;
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		st = EXIT_TEMP;
out:
	free(r);
	msg_free(&m);
	env_free(&e);
	return st;
}

int
main(int argc, char **argv)
{
	struct args a;
	unsigned long db;
	char **rcpt = NULL, **t;
	int ch, serve = 0, st, i;

	log_init(argv[0]);
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--lint") == 0)
			return lint(argc, argv);
	memset(&a, 0, sizeof a);
	while ((ch = getopt_long(argc, argv, "C:f:r:8U", longopts, NULL)) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if (ch == 'f')
			a.sender = optarg;
		else if (ch == 'r' && (t = reallocarray(rcpt, a.nrcpt + 1,
		    sizeof *t)) != NULL) {
			rcpt = t;
			rcpt[a.nrcpt++] = optarg;
			a.rcpt = rcpt;
		} else if (ch == '8')
			a.body8 = 1;
		else if (ch == 'U')
			a.utf8 = 1;
		else if (ch == 'S')
			serve = 1;
		else {
			log_fatal(0, "usage: relay-out [-C dir] [-8] [-U] [-f sender] "
			    "[-r rcpt]... [--serve] < message | [-C dir] --lint");
			return EXIT_TEMP;
		}
	}
	if (getuid() == 0 || geteuid() == 0) {
		log_fatal(0, "refusing to run as root");
		return EXIT_TEMP;
	}
	signal(SIGPIPE, SIG_IGN);
	if (ctl_databytes(&db, &a.filter_max) == -1) {
		log_fatal(errno, "unable to read control/databytes");
		return EXIT_TEMP;
	}
	if (config() == -1)
		return EXIT_TEMP;
	/* resident (the supervisor's delivery pool, serve.h): the control
	 * files, the TLS context's files and the resolver stay loaded, and
	 * a message costs its own delivery, not an exec */
	st = serve ? serve_loop(relay_one, &a) : relay_one(&a);
	if (cf.dns)
		dns_close(cf.dns);
	free(rcpt);
	return st;
}
