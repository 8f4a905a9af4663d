/* dkim-sign: the rewriter, last in the outbound chain, that signs mail
 * with the DKIM keys (RFC 6376) of the domain in its From: field: one
 * signature per key found for that domain, rsa-sha256 and ed25519-sha256
 * (RFC 8463) side by side.  Mail from a domain with no key passes
 * unchanged, with a log line saying so.  The message is untrusted; the
 * keys under the control directory's dkim/ are the administrator's
 * secrets, read once before the sandbox closes.  Runs under the uid of
 * its caller; writes only stdout and stderr.  dkim-sign --dns-record
 * prints the TXT records to publish. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "ctl.h"
#include "dkimsign.h"
#include "emit.h"
#include "hdr.h"
#include "log.h"
#include "msg.h"
#include "sandbox.h"
#include "serve.h"
#include "verdict.h"

/* The oversigned among the fields signed by default (dkimsign.h), those
 * that must not be added after signing. */
static const char *const def_over[] = { "from", "reply-to", "subject",
	"date", "to", "cc", "message-id", "mime-version", "content-type",
	"content-transfer-encoding", "list-unsubscribe",
	"list-unsubscribe-post", NULL };

struct signer {
	struct dkim_keyring kr;
	struct dkim_opts    o;
	struct ctl_list     sign, over;   /* control/dkimheaders, dkimoversign */
	size_t              maxbytes;
	struct hdr_limits   hlim;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: dkim-sign [-C dir] [file]\n"
	    "       dkim-sign [-C dir] --dns-record [domain]\n"
	    "       dkim-sign [-C dir] --lint\n");
}

/* A list control file, else the built-in list, lower-cased into o. */
static int
load_names(const char *name, const char *const *def, struct ctl_list *l,
    char ***v, size_t *n)
{
	unsigned bad = 0;

	if (dkimsign_names(name, def, l, v, n, &bad) == 0)
		return 0;
	if (bad)
		log_fatal(0, "%s line %u: not a header field name", l->path, bad);
	else
		log_fatal(errno, "unable to read %s/%s", ctl_dir(), name);
	return -1;
}

/* Control files and keys.  Unreadable or wrong ones are fatal (111): a
 * broken install makes mail wait, never leaves unsigned by accident. */
static int
load_control(struct signer *s)
{
	char canon[64], dir[4096];
	unsigned long db;

	if (ctl_databytes(&db, &s->maxbytes) == -1) {
		log_fatal(errno, "unable to read %s/databytes", ctl_dir());
		return -1;
	}
	if (ctl_hdr_limits(&s->hlim) == -1) {
		log_fatal(errno, "unable to read %s/headerfields or headerbytes",
		    ctl_dir());
		return -1;
	}
	if (ctl_string("dkimcanon", "relaxed/relaxed", canon, sizeof canon) == -1
	    || dkimcanon_parse(canon, &s->o.head, &s->o.body) == -1) {
		log_fatal(errno, "unable to read %s/dkimcanon (simple or relaxed, "
		    "or two of them joined by /)", ctl_dir());
		return -1;
	}
	/* x=: none by default; a verifier then judges a signature by its key */
	if (ctl_ulong("dkimexpire", 0, 0, 10UL * 365 * 86400, &s->o.expire) == -1) {
		log_fatal(errno, "unable to read %s/dkimexpire", ctl_dir());
		return -1;
	}
	if (load_names("dkimheaders", dkimsign_def_fields, &s->sign, &s->o.sign,
	    &s->o.nsign) == -1 ||
	    load_names("dkimoversign", def_over, &s->over, &s->o.over,
	    &s->o.nover) == -1)
		return -1;
	snprintf(dir, sizeof dir, "%s/dkim", ctl_dir());
	if (dkimsign_load(dir, &s->kr) == -1) {
		log_fatal(errno, "unable to read the keys in %s", dir);
		return -1;
	}
	return 0;
}

/* The domain of the one address in the one From: field, lower case, into
 * d; 0, or -1 with the reason in why (the message then leaves unsigned). */
static int
from_domain(const struct hdr *h, char *d, size_t dn, const char **why)
{
	struct buf v = BUF_INIT;
	struct addr_list al;
	long i = hdr_find(h, "from", 0);
	int rc = -1;

	memset(&al, 0, sizeof al);
	if (i < 0 || hdr_find(h, "from", (size_t)i + 1) >= 0) {
		*why = i < 0 ? "no From field" : "more than one From field";
		return -1;
	}
	*why = "no domain in From";
	if (hdr_value(h, (size_t)i, &v) == -1 ||
	    addr_parse_list(v.p ? v.p : "", v.len, &al) == -1)
		*why = "unable to parse From";
	else if (al.n != 1)
		*why = "not one address in From";
	else if (!(al.a[0].flags & (ADDR_NODOMAIN | ADDR_LITERAL)) &&
	    addr_domain_norm(al.a[0].domain, d, dn) == 0 && d[0] != '\0')
		rc = 0;
	addr_list_free(&al);
	buf_free(&v);
	return rc;
}

/* The selectors that signed, for the log line. */
static void
selectors(const struct signer *s, const size_t *idx, size_t n, char *out,
    size_t on)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < n && len < on; i++)
		len += (size_t)snprintf(out + len, on - len, "%s%s", i ? "," : "",
		    s->kr.k[idx[i]].selector);
}

/* Sign one message from file (stdin when NULL) onto stdout; the exit
 * status.  Nothing reaches stdout unless the signatures were made. */
static int
sign_one(struct signer *s, const char *file, const char *q)
{
	struct msg m;
	struct hdr h;
	struct buf add = BUF_INIT;
	size_t idx[16], n = 0;
	char dom[256] = "", sels[512], c[256];
	const char *why = NULL;
	int rc = EXIT_TEMP, r;

	memset(&h, 0, sizeof h);
	r = file ? msg_read_file(file, s->maxbytes, &m) :
	    msg_read_fd(0, s->maxbytes, &m);
	if (r == -1 && errno == EFBIG) {
		/* as every other stage does with the same message */
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
	if (h.flags & (HDR_TOOBIG | HDR_TOOMANY))
		why = "header section over its limit";
	else if (from_domain(&h, dom, sizeof dom, &why) == 0 &&
	    (n = dkimsign_pick(&s->kr, dom, idx, sizeof idx / sizeof idx[0])) == 0)
		why = "no key";
	s->o.now = time(NULL);
	if (n > 0 && dkimsign_message(&s->kr, idx, n, &s->o, &m, &h, "\n",
	    &add) == -1) {
		log_fatal(errno, "unable to sign");
		goto out;
	}
	if (emit_message(1, &m, &h, &add, NULL, NULL) == -1) {
		log_fatal(errno, "unable to write the message");
		goto out;
	}
	log_clean(c, sizeof c, dom, strlen(dom));
	if (n > 0) {
		selectors(s, idx, n, sels, sizeof sels);
		log_info("qid=%s verdict=pass signed=%s selectors=%s", q,
		    s->kr.k[idx[0]].domain, sels);
	} else
		log_info("qid=%s verdict=pass unsigned domain=%s reason=%s", q,
		    c[0] ? c : "-", why);
	rc = EXIT_PASS;
out:
	buf_free(&add);
	hdr_free(&h);
	msg_free(&m);
	return rc;
}

/* Print the TXT records of every key (of domain only, when given). */
static int
dns_records(const struct signer *s, const char *domain)
{
	struct buf b = BUF_INIT;
	size_t i, n = 0;

	for (i = 0; i < s->kr.n; i++) {
		const struct dkim_key *k = &s->kr.k[i];

		if (domain && strcasecmp(domain, k->domain) != 0)
			continue;
		buf_reset(&b);
		if (buf_printf(&b, "; %s %s %d bits%s\n", k->ed25519 ? "ed25519" :
		    "rsa", k->selector, k->bits, k->pending ?
		    ", pending: publish before renaming it .key" : "") == -1 ||
		    dkimsign_record(k, &b) == -1) {
			log_fatal(errno, "unable to make the record of %s", k->selector);
			buf_free(&b);
			return EXIT_TEMP;
		}
		fwrite(b.p, 1, b.len, stdout);
		n++;
	}
	buf_free(&b);
	if (n == 0) {
		log_fatal(0, "no key in %s/dkim%s%s", ctl_dir(), domain ? " for " :
		    "", domain ? domain : "");
		return EXIT_TEMP;
	}
	return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
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
	return sign_one(arg, NULL, q);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dns-record", no_argument, NULL, 'D' },
		{ "serve", no_argument, NULL, 'S' },
		{ "lint", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct signer s;
	char q[64];
	int ch, dns = 0, serve = 0, lint = 0, rc = EXIT_TEMP;

	log_init("dkim-sign");
	memset(&s, 0, sizeof s);
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "C:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'C': ctl_set_dir(optarg); break;
		case 'D': dns = 1; break;
		case 'S': serve = 1; break;
		case 'L': lint = 1; break;
		case 'h': usage(stdout); return EXIT_PASS;
		default: usage(stderr); return EXIT_TEMP;
		}
	}
	if (argc - optind > (serve ? 0 : 1)) {
		usage(stderr);
		return EXIT_TEMP;
	}
	queue_id(q, sizeof q);
	if (load_control(&s) == -1)
		goto out;
	if (lint) {
		/* every key and setting was read above, or we said which not */
		printf("dkim-sign: %zu signing key%s in %s/dkim\n", s.kr.n,
		    s.kr.n == 1 ? "" : "s", ctl_dir());
		rc = EXIT_PASS;
		goto out;
	}
	if (dns) {
		rc = dns_records(&s, optind < argc ? argv[optind] : NULL);
		goto out;
	}
	if (sandbox_tool() == -1) {
		log_fatal(errno, "unable to give up exec");
		goto out;
	}
	if (serve)
		rc = serve_loop(serve_one, &s);
	else
		rc = sign_one(&s, optind < argc ? argv[optind] : NULL, q);
out:
	dkimsign_free(&s.kr);
	ctl_free(&s.sign);
	ctl_free(&s.over);
	return rc;
}
