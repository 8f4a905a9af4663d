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
#include "dns.h"
#include "env.h"
#include "log.h"
#include "maildir.h"
#include "msg.h"
#include "relay.h"
#include "route.h"
#include "smtpc.h"
#include "verdict.h"

struct conf {
	char me[256];
	struct ctl_list routes, tlspol;
	char cafile[4096];
	char port[8];
	unsigned long tconnect, tremote, tdns, maxmx;
	struct dns *dns;
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
    const char *port, int lmtp)
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
		if (a4[i].status == DNS_TEMP || a6[i].status == DNS_TEMP)
			any_temp = 1;
		for (f = 0; f < 2; f++)
			for (k = 0; k < fam[f]->n; k++) {
				struct smtpc *c = smtpc_connect(fam[f]->rr[k].text, port,
				    (int)cf.tconnect * 1000, err, sizeof err);
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
	/* no host took it: temporary, the next attempt may reach one */
	relay_set_pending(j, RELAY_TEMP, "451 4.4.1 %.400s", last);
done:
	for (i = 0; a4 && a6 && i < n; i++) {
		dns_answer_free(&a4[i]);
		dns_answer_free(&a6[i]);
	}
	free(a4);
	free(a6);
}

/* Deliver to a domain's MX hosts, with the RFC 5321 5.1 fallback to the
 * domain itself and RFC 7505 null MX. */
static void
by_mx(struct relay_job *j, const char *domain)
{
	struct dns_answer mx;
	const char *host[DNS_MAX_RR];
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
	try_hosts(j, host, n, cf.port, 0);
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
		try_hosts(j, h, 1, rt->port, j->lmtp);
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
	    ctl_ulong("maxmx", 10, 1, DNS_MAX_RR, &cf.maxmx) == -1) {
		log_fatal(errno, "unable to read the control files");
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
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char **argv)
{
	struct envelope e;
	struct relay_job j;
	struct relay_rcpt *r;
	struct msg m;
	size_t i, filter_max;
	unsigned long db;
	const char *u8 = getenv("SMTPUTF8");
	int ch, body8 = 0, utf8 = u8 && *u8 && strcmp(u8, "0") != 0, st = EXIT_PASS;

	log_init(argv[0]);
	for (i = 1; i < (size_t)argc; i++)
		if (strcmp(argv[i], "--lint") == 0)
			return lint(argc, argv);
	memset(&e, 0, sizeof e);
	if (env_from_environ(&e) == -1)
		return EXIT_TEMP;
	while ((ch = getopt_long(argc, argv, "C:f:r:8U", longopts, NULL)) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if (ch == 'f' && env_set(&e.sender, optarg) == 0)
			continue;
		else if (ch == 'r' && env_add_rcpt(&e, optarg, strlen(optarg)) == 0)
			continue;
		else if (ch == '8')
			body8 = 1;
		else if (ch == 'U')
			utf8 = 1;
		else {
			log_fatal(0, "usage: relay-out [-C dir] [-8] [-U] [-f sender] "
			    "[-r rcpt]... < message | [-C dir] --lint");
			return EXIT_TEMP;
		}
	}
	if (getuid() == 0 || geteuid() == 0) {
		log_fatal(0, "refusing to run as root");
		return EXIT_TEMP;
	}
	if (e.sender == NULL || e.nrcpt == 0) {
		log_fatal(0, "no envelope: set SENDER and RECIPIENT or -f and -r");
		return EXIT_TEMP;
	}
	signal(SIGPIPE, SIG_IGN);
	if (ctl_databytes(&db, &filter_max) == -1) {
		log_fatal(errno, "unable to read control/databytes");
		return EXIT_TEMP;
	}
	if (config() == -1)
		return EXIT_TEMP;
	if (msg_read_fd(0, filter_max, &m) == -1 || m.truncated) {
		log_fatal(m.truncated ? EFBIG : errno, "unable to read the message");
		return EXIT_TEMP;
	}
	if ((r = calloc(e.nrcpt, sizeof *r)) == NULL)
		return EXIT_TEMP;
	for (i = 0; i < e.nrcpt; i++)
		r[i].addr = e.rcpt[i];
	memset(&j, 0, sizeof j);
	j.me = cf.me;
	j.sender = e.sender;
	j.msg = m.raw.p;
	j.len = m.raw.len;
	j.body8 = body8 || (getenv("BODY") && strcmp(getenv("BODY"), "8BITMIME") == 0);
	j.utf8_want = utf8;
	j.utf8_need = relay_utf8_need(j.sender, j.msg, j.len);
	j.cafile = cf.cafile[0] ? cf.cafile : NULL;
	if (relay_all(&j, r, e.nrcpt) == -1)
		return EXIT_TEMP;
	for (i = 0; i < e.nrcpt; i++) {
		char clean[sizeof r[i].reply], a[1024];
		log_clean(clean, sizeof clean, r[i].reply, strlen(r[i].reply));
		log_clean(a, sizeof a, r[i].addr, strlen(r[i].addr));
		printf("%c %s %s\n", r[i].kind ? r[i].kind : RELAY_TEMP, a, clean);
		log_info("qid=%s rcpt=%s result=%c reply=%s", e.qid ? e.qid : "-", a,
		    r[i].kind, clean);
		if (r[i].kind == RELAY_TEMP || r[i].kind == 0)
			st = EXIT_TEMP;
		else if (r[i].kind == RELAY_PERM && st == EXIT_PASS)
			st = EXIT_REJECT;
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		return EXIT_TEMP;
	if (cf.dns)
		dns_close(cf.dns);
	return st;
}
