/* dnsbl-check: the reputation of where a message comes from, scored from
 * DNS blocklists and allow lists, the administrator's own lists, the
 * client's reverse name, the HELO name and the domains of the links in
 * the message (dnsbl-check(8), control files in dnsbl-check(5)).  Input
 * is a stranger's message and DNS answers from strangers; the control
 * files are the administrator's.  Runs under the caller's uid, never as
 * root by choice. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "checker.h"
#include "ctl.h"
#include "dnsbl.h"
#include "log.h"
#include "mime.h"
#include "uridom.h"

struct tool {
	struct dnsbl       d;
	struct mime_limits lim;
};

static struct tool tl;

/* Read the control files; 0, or -1 after logging why (exit 111). */
static int
load(const char *me)
{
	char err[600];

	switch (dnsbl_load(&tl.d, me, err, sizeof err)) {
	case 0:
		break;
	case -2:
		log_fatal(0, "%s", err);
		return -1;
	default:
		log_fatal(errno, "%s", err);
		return -1;
	}
	if (mime_limits_ctl(&tl.lim) == -1) {
		log_fatal(errno, "unable to read the MIME limits in %s", ctl_dir());
		return -1;
	}
	return 0;
}

static int
init(struct checker_ctx *ctx)
{
	char err[600];

	ctx->tool = &tl;
	if (load(ctx->me) == -1)
		return -1;
	if (dnsbl_open_dns(&tl.d, err, sizeof err) == -1) {
		log_fatal(0, "%s", err);
		return -1;
	}
	return 0;
}

/* Links in the text a reader is shown: text/plain and text/html leaves,
 * decoded. */
static int
on_leaf(void *arg, const struct mime_part *p)
{
	struct uridom *u = arg;

	if (strncmp(p->type, "text/html", 9) == 0)
		return uridom_scan_html(u, p->data, p->len);
	if (strncmp(p->type, "text/plain", 10) == 0)
		return uridom_scan(u, p->data, p->len);
	return 0;
}

/* The domain of the first From address, into out ("" when none). */
static void
from_domain(const struct hdr *h, char *out, size_t n)
{
	struct buf v = BUF_INIT;
	struct addr_list l;
	long k;

	out[0] = '\0';
	memset(&l, 0, sizeof l);
	if ((k = hdr_find(h, "From", 0)) >= 0 && hdr_value(h, (size_t)k, &v) == 0 &&
	    addr_parse_list(v.p, v.len, &l) == 0 && l.n > 0 &&
	    !(l.a[0].flags & (ADDR_LITERAL | ADDR_NODOMAIN)))
		(void)addr_domain_norm(l.a[0].domain, out, n);
	addr_list_free(&l);
	buf_free(&v);
}

static int
judge(struct checker_ctx *ctx, const struct msg *m, const struct hdr *h,
    const struct envelope *e, struct verdict_result *r, struct buf *hdrs)
{
	struct tool *t = ctx->tool;
	struct dnsbl_input in;
	struct dnsbl_result res;
	struct uridom u;
	struct mime_stats ms;
	char from[256], sdom[256] = "";
	const char *at;
	int rc;

	if (e->dir == ENV_DIR_OUT) {
		verdict_set(r, VERDICT_PASS, "2.0.0", "outbound: not checked");
		return 0;
	}
	memset(&in, 0, sizeof in);
	uridom_init(&u, t->d.urimax);
	if (e->sender && (at = strrchr(e->sender, '@')) != NULL &&
	    addr_domain_norm(at + 1, sdom, sizeof sdom) == 0)
		in.sender_domain = sdom;
	from_domain(h, from, sizeof from);
	in.from_domain = from[0] ? from : NULL;
	in.ip = e->ip;
	in.helo = e->helo;
	in.rcpt = e->rcpt;
	in.nrcpt = e->nrcpt;
	in.uris = &u;
	if (t->d.urimax > 0 && mime_walk(m->raw.p ? m->raw.p : "", m->raw.len,
	    &t->lim, 0, NULL, on_leaf, &u, &ms) == -1) {
		verdict_set(r, VERDICT_TEMPFAIL, "4.3.0", "unable to read the "
		    "message's text: %s", strerror(errno));
		uridom_free(&u);
		return 0;
	}
	rc = dnsbl_judge(&t->d, &in, r, &res);
	uridom_free(&u);
	return rc;
}

/* --lint [-C dir]: read the control files and the own lists, say what
 * they hold, exit 0 or 111. */
static int
lint(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "lint", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const kinds[] = { "dnsbl", "rhsbl", "uribl" };
	char me[256];
	size_t i, k, n[3] = { 0, 0, 0 }, entries = 0;
	int ch;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:", lo, NULL)) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if (ch != 'l') {
			fprintf(stderr, "usage: %s --lint [-C dir]\n", log_prog());
			return EXIT_TEMP;
		}
	}
	if (checker_lint_common() == -1)
		return EXIT_TEMP;
	if (ctl_me(me, sizeof me) == -1) {
		log_fatal(errno, "unable to read %s/me", ctl_dir());
		return EXIT_TEMP;
	}
	if (load(me) == -1)
		return EXIT_TEMP;
	for (i = 0; i < tl.d.nsite; i++) {
		n[tl.d.site[i].kind]++;
		entries += tl.d.site[i].list.n;
	}
	for (k = 0; k < 3; k++)
		printf("%s: %s: %zu sites\n", log_prog(), kinds[k], n[k]);
	printf("%s: own lists: %zu entries; reject at %g, flag at %g\n",
	    log_prog(), entries, tl.d.reject, tl.d.flag);
	dnsbl_free(&tl.d);
	return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
}

/* A resident's cache would hold answers past their TTL: one message each. */
static void
next(struct checker_ctx *ctx)
{
	(void)ctx;
	dnsbl_forget(&tl.d);
}

int
main(int argc, char **argv)
{
	static const struct checker c = {
		"dnsbl-check", init, judge, NULL, next
	};
	int i, rc;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--lint") == 0)
			return lint(argc, argv);
	rc = checker_main(&c, argc, argv);
	if (getenv("DNSBL_CHECK_STATS") != NULL)
		fprintf(stderr, "%s: stats: queries=%lu cached=%lu\n", log_prog(),
		    tl.d.nqueries, tl.d.ncached);
	dnsbl_free(&tl.d);
	return rc;
}
