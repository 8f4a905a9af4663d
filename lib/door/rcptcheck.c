/* rcptcheck: the recipient checks at RCPT (see rcptcheck.h).  The
 * address comes from the client, a stranger: it reaches replies and log
 * lines only cleaned.  Runs under smtpd-accept's uid. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "addr.h"
#include "log.h"
#include "rcptcheck.h"
#include "route.h"

static void
note(struct rcptcheck *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct rcptcheck *rc, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (rc->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	rc->log(rc->logctx, line);
}

/* control/bogusdomains, the routes that exempt a domain from it, and
 * the first line of the notice the refusal quotes (a default when the
 * notice is missing: the refusal must not depend on it). */
static int
bogus_init(struct rcptcheck *rc, const char **what)
{
	struct ctl_list l;
	int r;

	snprintf(rc->bogusnote, sizeof rc->bogusnote, "bogus destination: "
	    "a test or reserved domain no mail can reach");
	if (ctl_lines(*what = "bogusdomains", &rc->bogus) == -1)
		return -1;
	if (rc->bogus.n == 0)
		return 0;
	if (!rc->verify.n && ctl_lines(*what = "routes", &rc->routes) == -1)
		return -1;
	if ((r = ctl_rules(*what = "notices/bogus-destination", &l)) == -1)
		return -1;
	if (r == 1 && l.n)
		log_clean(rc->bogusnote, sizeof rc->bogusnote, l.v[0],
		    strlen(l.v[0]));
	ctl_free(&l);
	return 0;
}

/* Is domain (normalised) a bogus destination (rcptcheck.h)? */
static int
bogus(const struct rcptcheck *rc, const char *dom)
{
	/* RFC 2606 2 and 3, RFC 6761 6.2 to 6.4 */
	static char *const reserved[] = { ".test", ".example", ".invalid",
	    ".localhost", "test", "example", "invalid", "localhost",
	    "example.com", ".example.com", "example.net", ".example.net",
	    "example.org", ".example.org" };
	char key[256];
	size_t i, k;

	for (i = 0; i < rc->routes.n; i++) {
		k = strcspn(rc->routes.v[i], " \t");
		if (k == 0 || k >= sizeof key)
			continue;
		memcpy(key, rc->routes.v[i], k);
		key[k] = '\0';
		if (strcmp(key, "*") != 0 && addr_domain_in(dom, (char *const[]){
		    key }, 1))
			return 0;
	}
	for (i = 0; i < rc->bogus.n; i++)
		if (strcmp(rc->bogus.v[i], "reserved") == 0 &&
		    addr_domain_in(dom, reserved, sizeof reserved /
		    sizeof reserved[0]))
			return 1;
	return addr_domain_in(dom, rc->bogus.v, rc->bogus.n);
}

/* Read the control files (portcullis-control(5)); the list and the cache
 * are opened later, at the first recipient that needs them.  -1 names
 * the file that could not be read in *what. */
int
rcptcheck_init(struct rcptcheck *rc, const char *qdir, char *const *ld,
    size_t nld, const char *me, const char **what)
{
	struct ctl_list l;

	memset(rc, 0, sizeof *rc);
	rc->local = ld;
	rc->nlocal = nld;
	snprintf(rc->me, sizeof rc->me, "%s", me);
	*what = "recipients";
	if ((size_t)snprintf(rc->text, sizeof rc->text, "%s/recipients",
	    ctl_dir()) >= sizeof rc->text ||
	    (size_t)snprintf(rc->index, sizeof rc->index, "%s/recipients.cdb",
	    qdir) >= sizeof rc->index ||
	    (size_t)snprintf(rc->cache, sizeof rc->cache, "%s/verify.db", qdir) >=
	    sizeof rc->cache) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* a file that is there but empty turns extensions off, as an empty
	 * recipient_delimiter does in Postfix */
	if (ctl_lines(*what = "recipientdelimiter", &l) == -1)
		return -1;
	snprintf(rc->delims, sizeof rc->delims, "%s", l.n ? l.v[0] :
	    l.path[0] ? "" : "+");
	ctl_free(&l);
	if (ctl_lines(*what = "verifyrecipients", &rc->verify) == -1)
		return -1;
	if (rc->verify.n && (ctl_lines(*what = "routes", &rc->routes) == -1 ||
	    ctl_ulong(*what = "verifypositivettl", RCPTCHECK_DEF_POSTTL, 1,
	    31536000, &rc->posttl) == -1 ||
	    ctl_ulong(*what = "verifynegativettl", RCPTCHECK_DEF_NEGTTL, 0,
	    31536000, &rc->negttl) == -1 ||
	    ctl_ulong(*what = "verifytimeout", RCPTCHECK_DEF_TIMEOUT, 1, 300,
	    &rc->timeout) == -1)) {
		rcptcheck_free(rc);
		return -1;
	}
	if (bogus_init(rc, what) == -1) {
		rcptcheck_free(rc);
		return -1;
	}
	return 0;
}

/* postmaster or abuse, in any case, with or without an extension. */
static int
always_valid(const char *local, const char *delims)
{
	size_t n = strlen(local), i;

	for (i = 1; i < n && *delims; i++)
		if (strchr(delims, local[i])) {
			n = i;
			break;
		}
	return (n == 10 && strncasecmp(local, "postmaster", 10) == 0) ||
	    (n == 5 && strncasecmp(local, "abuse", 5) == 0);
}

/* Open control/recipients at first need, saying in the log how. */
static int
list_open(struct rcptcheck *rc)
{
	struct timespec t0, t1;
	char err[PATH_MAX + 200];
	int r;

	if (rc->listopen)
		return rc->listopen;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = rcptlist_open(rc->text, rc->index, &rc->list, err, sizeof err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r == -1) {
		note(rc, "recipients: unable to read %s; recipients at local "
		    "domains get 451", err);
		return rc->listopen = -1;
	}
	rc->listopen = 1;
	if (r == 0)
		return 1;   /* no list: every address at a local domain */
	if (rcptlist_fallback(rc->list))
		note(rc, "recipients: %s read into memory: no index: %s", rc->text,
		    rcptlist_fallback(rc->list));
	else if (rcptlist_rebuilt(rc->list))
		note(rc, "recipients: %s rebuilt from %s in %ld ms", rc->index,
		    rc->text, (long)((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return 1;
}

/* Is this domain one whose addresses the internal server verifies? */
static int
verified_domain(const struct rcptcheck *rc, const char *domain)
{
	size_t i;

	for (i = 0; i < rc->verify.n; i++)
		if (strcmp(rc->verify.v[i], "*") == 0)
			return 1;
	return addr_domain_in(domain, rc->verify.v, rc->verify.n);
}

/* Ask the route's server, through the cache.  VERIFY_ results; 0 when
 * the domain's route is not a server (a maildir, its MX hosts): nothing
 * to ask, the address is taken. */
static int
verify(struct rcptcheck *rc, const char *addr, const char *domain,
    const char *shown)
{
	struct route rt;
	char text[VERIFY_TEXT_MAX + 1], err[PATH_MAX + 100];
	unsigned lineno;
	time_t now = time(NULL);
	int r, res;

	if ((r = route_find(&rc->routes, domain, &rt, &lineno)) == -1) {
		note(rc, "rcpt=<%s> verify=unverified reason=control/routes line "
		    "%u is not DOMAIN NEXTHOP", shown, lineno);
		return VERIFY_TEMP;
	}
	if (r == 0 || (rt.kind != ROUTE_SMTP && rt.kind != ROUTE_LMTP &&
	    rt.kind != ROUTE_LMTP_UNIX))
		return 0;
	if (!rc->vcopen) {
		rc->vcopen = 1;
		if (verify_cache_open(rc->cache, &rc->vc, err, sizeof err) == -1)
			note(rc, "recipients: no verification cache: %s", err);
	}
	if (verify_cache_get(rc->vc, addr, now, &res, text, sizeof text)) {
		note(rc, "rcpt=<%s> verify=%s cached=yes said=%s", shown,
		    res == VERIFY_OK ? "ok" : res == VERIFY_REJECT ?
		    "undeliverable" : "unverified", text);
		return res;
	}
	/* a server that did not answer is not asked again in this session:
	 * a client with fifty recipients must not wait fifty timeouts */
	if (rc->isdown && route_same(&rt, &rc->down)) {
		note(rc, "rcpt=<%s> verify=unverified cached=session said=%s",
		    shown, "no answer earlier in this session");
		return VERIFY_TEMP;
	}
	res = verify_probe(&rt, rc->me, addr, (int)(rc->timeout * 1000), text,
	    sizeof text);
	if (res == VERIFY_DOWN) {
		rc->down = rt;
		rc->isdown = 1;
		res = VERIFY_TEMP;
	}
	note(rc, "rcpt=<%s> verify=%s cached=no said=%s", shown,
	    res == VERIFY_OK ? "ok" : res == VERIFY_REJECT ? "undeliverable" :
	    "unverified", text);
	/* a temporary answer is never kept: the next RCPT asks again */
	if (res == VERIFY_OK)
		(void)verify_cache_put(rc->vc, addr, res, text,
		    now + (time_t)rc->posttl);
	else if (res == VERIFY_REJECT && rc->negttl)
		(void)verify_cache_put(rc->vc, addr, res, text,
		    now + (time_t)rc->negttl);
	return res;
}

/* The address as the probe's RCPT writes it: a local part that is no
 * dot-atom (RFC 5321 4.1.2) is quoted again. */
static void
probe_addr(const char *local, const char *dom, char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)local;
	size_t o = 0;
	int atom = *p != '.' && *p != '\0';

	for (; *p; p++)
		if (!(*p >= 0x80 || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$%&'*+-/=?^_`{|}~", *p) ||
		    (*p == '.' && p[1] != '.' && p[1] != '\0')))
			atom = 0;
	if (atom) {
		snprintf(out, n, "%s@%s", local, dom);
		return;
	}
	out[o++] = '"';
	for (p = (const unsigned char *)local; *p && o + 4 < n; p++) {
		if (*p == '"' || *p == '\\')
			out[o++] = '\\';
		out[o++] = (char)*p;
	}
	out[o] = '\0';
	snprintf(out + o, n - o, "\"@%s", dom);
}

/* Judge local@domain (the address as parsed from RCPT; the domain as
 * written).  RCPTCHECK_OK with reply empty, else the reply line for the
 * client (no CRLF) in reply. */
int
rcptcheck_decide(struct rcptcheck *rc, const char *local, const char *domain,
    char *reply, size_t n)
{
	char addr[600], shown[300], dom[256];
	size_t i;
	int r;

	reply[0] = '\0';
	if (!addr_domain_in(domain, rc->local, rc->nlocal)) {
		if (!rc->bogus.n || addr_domain_norm(domain, dom, sizeof dom) == -1 ||
		    !bogus(rc, dom))
			return RCPTCHECK_OK;
		log_clean(shown, sizeof shown, dom, strlen(dom));
		note(rc, "rcpt=<@%s> verdict=reject reason=bogus destination", shown);
		snprintf(reply, n, "550 5.1.2 <@%s>: Recipient address rejected: %s",
		    shown, rc->bogusnote);
		return RCPTCHECK_BOGUS;
	}
	if (always_valid(local, rc->delims))
		return RCPTCHECK_OK;
	if (addr_domain_norm(domain, dom, sizeof dom) == -1)
		return RCPTCHECK_OK;   /* smtp_rcpt_check took it as local */
	probe_addr(local, dom, addr, sizeof addr);
	/* nothing the client sent goes back unclean (smtp_session.c) */
	log_clean(shown, sizeof shown, addr, strlen(addr));
	for (i = 0; shown[i]; i++)
		if (shown[i] == '<' || shown[i] == '>')
			shown[i] = '?';
	if (list_open(rc) == -1) {
		snprintf(reply, n, "451 4.3.0 <%s>: Recipient address rejected: "
		    "temporary configuration problem", shown);
		return RCPTCHECK_TEMP;
	}
	if (rc->list && (r = rcptlist_lookup(rc->list, local, dom, rc->delims)) != 1) {
		if (r == -1) {
			note(rc, "rcpt=<%s> verdict=tempfail reason=%s is damaged",
			    shown, rc->index);
			snprintf(reply, n, "451 4.3.0 <%s>: Recipient address "
			    "rejected: temporary configuration problem", shown);
			return RCPTCHECK_TEMP;
		}
		note(rc, "rcpt=<%s> verdict=unknown reason=recipients", shown);
		snprintf(reply, n, "550 5.1.1 <%s>: Recipient address rejected: "
		    "unknown user", shown);
		return RCPTCHECK_UNKNOWN;
	}
	if (!rc->verify.n || !verified_domain(rc, dom))
		return RCPTCHECK_OK;
	switch (verify(rc, addr, dom, shown)) {
	case VERIFY_REJECT:
		snprintf(reply, n, "550 5.1.1 <%s>: Recipient address rejected: "
		    "undeliverable address: unknown user", shown);
		return RCPTCHECK_UNDELIVERABLE;
	case VERIFY_TEMP:
		snprintf(reply, n, "450 4.1.1 <%s>: Recipient address rejected: "
		    "unverified address: the internal mail server did not say; "
		    "try again later", shown);
		return RCPTCHECK_UNVERIFIED;
	default:
		return RCPTCHECK_OK;
	}
}

void
rcptcheck_free(struct rcptcheck *rc)
{
	rcptlist_close(rc->list);
	rc->list = NULL;
	verify_cache_close(rc->vc);
	rc->vc = NULL;
	ctl_free(&rc->verify);
	ctl_free(&rc->routes);
	ctl_free(&rc->bogus);
}
