/* arc-seal: the opt-in rewriter that adds the next ARC set (RFC 8617) to
 * mail the gateway forwards, so that the next receiver can see what we
 * found before a stage (link-defang, add-disclaimer) changed the message:
 * an ARC-Authentication-Results with our Authentication-Results, an
 * ARC-Message-Signature and an ARC-Seal whose cv= is the chain's
 * validation, made with a DKIM key of control/arcdomain.  The message is
 * untrusted; the key is the administrator's secret, read once before the
 * sandbox closes.  Runs under the uid of its caller; writes only stdout
 * and stderr, and asks DNS only when auth-check left no arc= result. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arcseal.h"
#include "ctl.h"
#include "dnsq.h"
#include "emit.h"
#include "hdr.h"
#include "log.h"
#include "msg.h"
#include "sandbox.h"
#include "serve.h"
#include "verdict.h"

#define ARC_TIMEOUT_S 5   /* control/authtimeout default, as auth-check */

struct sealer {
	struct dkim_keyring kr;
	const struct dkim_key *key;
	struct dkim_opts    o;
	struct ctl_list     sign;          /* control/archeaders */
	char                me[256];       /* authserv-id */
	int                 timeout_ms;
	struct dns         *dns;           /* opened on first need */
	size_t              maxbytes;
	struct hdr_limits   hlim;
	struct arc_check   *arc;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: arc-seal [-C dir] [file]\n"
	    "       arc-seal [-C dir] --lint\n");
}

/* The sealing key: dkim/<arcdomain>/<arcselector>.key, RSA; without
 * arcselector, the one RSA key of that domain. */
static int
pick_key(struct sealer *s, const char *dom, const char *sel)
{
	size_t i, n = 0;

	for (i = 0; i < s->kr.n; i++) {
		const struct dkim_key *k = &s->kr.k[i];

		if (k->pending || k->ed25519 || strcmp(k->domain, dom) != 0 ||
		    (sel[0] && strcmp(k->selector, sel) != 0))
			continue;
		s->key = k;
		n++;
	}
	if (n == 1)
		return 0;
	if (n == 0)
		log_fatal(0, "no RSA key %s/dkim/%s/%s.key (ARC signs with "
		    "rsa-sha256 only)", ctl_dir(), dom, sel[0] ? sel : "*");
	else
		log_fatal(0, "%zu RSA keys in %s/dkim/%s: name one in %s/arcselector",
		    n, ctl_dir(), dom, ctl_dir());
	return -1;
}

/* Control files and the key.  Unreadable or wrong ones are fatal (111):
 * a site that put arc-seal in a chain wants its mail sealed. */
static int
load_control(struct sealer *s)
{
	char dom[256], sel[64], dir[4096];
	unsigned long db, t;
	unsigned bad = 0;
	size_t i;

	if (ctl_databytes(&db, &s->maxbytes) == -1 ||
	    ctl_hdr_limits(&s->hlim) == -1 || ctl_me(s->me, sizeof s->me) == -1) {
		log_fatal(errno, "unable to read %s/databytes, headerfields, "
		    "headerbytes or me", ctl_dir());
		return -1;
	}
	if (ctl_ulong("authtimeout", ARC_TIMEOUT_S, 1, 300, &t) == -1) {
		log_fatal(errno, "unable to read %s/authtimeout", ctl_dir());
		return -1;
	}
	s->timeout_ms = (int)t * 1000;
	if (ctl_string("arcdomain", "", dom, sizeof dom) == -1 ||
	    ctl_string("arcselector", "", sel, sizeof sel) == -1) {
		log_fatal(errno, "unable to read %s/arcdomain or arcselector",
		    ctl_dir());
		return -1;
	}
	if (dom[0] == '\0') {
		log_fatal(0, "no %s/arcdomain: the domain that seals", ctl_dir());
		return -1;
	}
	for (i = 0; dom[i]; i++)
		if (dom[i] >= 'A' && dom[i] <= 'Z')
			dom[i] += 32;
	if (dkimsign_names("archeaders", dkimsign_def_fields, &s->sign,
	    &s->o.sign, &s->o.nsign, &bad) == -1) {
		if (bad)
			log_fatal(0, "%s line %u: not a header field name",
			    s->sign.path, bad);
		else
			log_fatal(errno, "unable to read %s/archeaders", ctl_dir());
		return -1;
	}
	for (i = 0; i < s->o.nsign; i++)
		if (strcmp(s->o.sign[i], "arc-seal") == 0) {
			/* RFC 8617 4.1.2: the AMS must not sign a seal */
			log_fatal(0, "%s/archeaders: ARC-Seal may not be signed",
			    ctl_dir());
			return -1;
		}
	snprintf(dir, sizeof dir, "%s/dkim", ctl_dir());
	if (dkimsign_load(dir, &s->kr) == -1) {
		log_fatal(errno, "unable to read the keys in %s", dir);
		return -1;
	}
	return pick_key(s, dom, sel);
}

/* The chain's validation when auth-check left none to read: asked now,
 * with the key records from DNS.  ARC_TEMPERROR when DNS failed. */
static enum arc_result
verify_now(struct sealer *s, const struct msg *m, const struct hdr *h)
{
	struct dnsq q;
	char err[256];

	if (s->dns == NULL && (s->dns = dns_open(err, sizeof err)) == NULL) {
		log_warn(0, "no resolver: %s", err);
		return ARC_TEMPERROR;
	}
	dnsq_init(&q, s->dns, s->timeout_ms);
	arc_ask(&q, h, s->arc, (long long)s->o.now);
	arc_verify(&q, m, h, s->arc);
	dnsq_free(&q);
	return s->arc->res;
}

/* The cv= of the new seal, or -1 (with why) when no set may be added. */
static int
chain_status(struct sealer *s, const struct msg *m, const struct hdr *h,
    const char **src, const char **why)
{
	struct arc_check *a = s->arc;
	int st;

	arc_gather(h, a, (long long)s->o.now);
	*src = "chain";
	if (!a->gathered && a->res == ARC_NONE)
		return ARC_NONE;
	if (!a->gathered) {
		*why = a->why;   /* which instance is next is unknown */
		return -1;
	}
	/* RFC 8617 5.1.2 step 1: a chain that ended stays ended */
	if (a->as[a->n - 1].cv == 2) {
		*why = "the newest seal says cv=fail";
		return -1;
	}
	if (a->n >= ARC_MAX) {
		*why = "the chain has 50 sets";
		return -1;
	}
	st = arcseal_stamp(h, s->me);
	if (st == ARC_PASS || st == ARC_FAIL) {
		*src = "authentication-results";
		return st;
	}
	*src = "verified";
	return verify_now(s, m, h);   /* a keeps the sets it gathers again */
}

/* Seal one message from file (stdin when NULL) onto stdout; the exit
 * status.  Nothing reaches stdout unless the set was made. */
static int
seal_one(struct sealer *s, const char *file, const char *q)
{
	struct msg m;
	struct hdr h;
	struct buf add = BUF_INIT, aar = BUF_INIT;
	const char *why = NULL, *src = "-";
	char c[256];
	int rc = EXIT_TEMP, r, cv = -1;

	memset(&h, 0, sizeof h);
	r = file ? msg_read_file(file, s->maxbytes, &m) :
	    msg_read_fd(0, s->maxbytes, &m);
	if (r == -1 && errno == EFBIG) {
		log_info("qid=%s verdict=reject reason=message exceeds %zu bytes",
		    q, s->maxbytes);
		return EXIT_REJECT;
	}
	if (r == -1) {
		if (file)
			log_clean(c, sizeof c, file, strlen(file));
		log_fatal(errno, "unable to read %s", file ? c : "message");
		return EXIT_TEMP;
	}
	if (hdr_parse(&h, m.raw.p ? m.raw.p : "", m.hdr_off, m.hdr_len,
	    &s->hlim) == -1) {
		log_fatal(errno, "unable to parse the header");
		goto out;
	}
	s->o.now = time(NULL);
	if (getenv("ARCSEAL_TIME"))   /* the suite's fixed t= (arc-seal(8)) */
		s->o.now = (time_t)strtoll(getenv("ARCSEAL_TIME"), NULL, 10);
	if (h.flags & (HDR_TOOBIG | HDR_TOOMANY))
		why = "header section over its limit";
	else
		cv = chain_status(s, &m, &h, &src, &why);
	if (cv == ARC_TEMPERROR) {
		log_info("qid=%s verdict=tempfail reason=the ARC chain cannot be "
		    "validated now: %s", q, s->arc->why[0] ? s->arc->why :
		    "key lookup failed");
		rc = EXIT_TEMP;
		goto out;
	}
	if (cv >= 0 && (arcseal_aar(&h, s->me, s->arc->n + 1, cv, "\n",
	    &aar) == -1 || arcseal_sign(s->key, &s->o, &m, &h, s->arc, cv,
	    &aar, "\n", &add) == -1)) {
		if (errno != EINVAL) {
			log_fatal(errno, "unable to seal");
			goto out;
		}
		why = "no field to sign";
		cv = -1;
		buf_reset(&add);
	}
	if (emit_message(1, &m, &h, &add, NULL, NULL) == -1) {
		log_fatal(errno, "unable to write the message");
		goto out;
	}
	if (cv >= 0)
		log_info("qid=%s verdict=pass sealed=%s i=%u cv=%s from=%s", q,
		    s->key->domain, s->arc->n + 1, arc_result_name(cv), src);
	else {
		log_clean(c, sizeof c, why, strlen(why));
		log_info("qid=%s verdict=pass unsealed reason=%s", q, c);
	}
	rc = EXIT_PASS;
out:
	buf_free(&add);
	buf_free(&aar);
	hdr_free(&h);
	msg_free(&m);
	return rc;
}

static void
queue_id(char *q, size_t n)
{
	const char *qid = getenv("QUEUEID");

	if (qid)
		log_clean(q, n, qid, strlen(qid));
	else
		snprintf(q, n, "-");
}

/* One job of a resident (serve.h). */
static int
serve_one(void *arg)
{
	char q[64];

	queue_id(q, sizeof q);
	return seal_one(arg, NULL, q);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "serve", no_argument, NULL, 'S' },
		{ "lint", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sealer s;
	char q[64];
	int ch, serve = 0, lint = 0, rc = EXIT_TEMP;

	log_init("arc-seal");
	memset(&s, 0, sizeof s);
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "C:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'C': ctl_set_dir(optarg); break;
		case 'S': serve = 1; break;
		case 'L': lint = 1; break;
		case 'h': usage(stdout); return EXIT_PASS;
		default: usage(stderr); return EXIT_TEMP;
		}
	}
	if (argc - optind > (serve || lint ? 0 : 1)) {
		usage(stderr);
		return EXIT_TEMP;
	}
	queue_id(q, sizeof q);
	if ((s.arc = malloc(sizeof *s.arc)) == NULL) {
		log_fatal(errno, "unable to allocate");
		return EXIT_TEMP;
	}
	if (load_control(&s) == -1)
		goto out;
	if (lint) {
		printf("arc-seal: sealing as %s with %s/dkim/%s/%s.key (%d bits), "
		    "authserv-id %s\n", s.key->domain, ctl_dir(), s.key->domain,
		    s.key->selector, s.key->bits, s.me);
		rc = EXIT_PASS;
		goto out;
	}
	if (sandbox_tool() == -1) {
		log_fatal(errno, "unable to give up exec");
		goto out;
	}
	if (serve)
		rc = serve_loop(serve_one, &s);
	else
		rc = seal_one(&s, optind < argc ? argv[optind] : NULL, q);
out:
	dns_close(s.dns);
	free(s.arc);
	dkimsign_free(&s.kr);
	ctl_free(&s.sign);
	return rc;
}
