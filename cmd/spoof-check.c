/* spoof-check: catch mail from outside that claims one of our domains, and
 * mail leaving without one (spoof-check(8), rules in spoof-check(5)).  It
 * judges every identity a reader is shown: the envelope sender, each From
 * and Sender address, and inbound, any address of ours in their display
 * names and comments after RFC 2047 decoding; a From field that readers
 * could read more than one way is refused instead of guessed at.  Input is
 * a stranger's message; the rules and control files are the
 * administrator's.  Runs under the caller's uid, never as root by choice. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "bypass.h"
#include "checker.h"
#include "ctl.h"
#include "log.h"
#include "policy.h"
#include "spoof.h"

static struct spoof sp;

/* Read the control files and the rules into sp; 0, or -1 after logging
 * why (the caller exits 111). */
static int
load(void)
{
	char err[600];

	switch (spoof_load(&sp, err, sizeof err)) {
	case 0:
		return 0;
	case -2:
		log_fatal(0, "%s", err);
		return -1;
	default:
		log_fatal(errno, "%s", err);
		return -1;
	}
}

static int
init(struct checker_ctx *ctx)
{
	ctx->tool = &sp;
	return load();
}

/* One message: the verdict into r, the Authentication-Results into hdrs,
 * and the alert line for a spoof of ours. */
static int
judge(struct checker_ctx *ctx, const struct msg *m, const struct hdr *h,
    const struct envelope *e, struct verdict_result *r, struct buf *hdrs)
{
	struct spoof_result sr;
	int rc;

	rc = spoof_judge(ctx->tool, h, e, r, &sr);
	if (rc == 0 && sr.alert && r->v >= VERDICT_QUARANTINE) {
		char q[64] = "-", ip[64] = "-";
		if (e->qid)
			log_clean(q, sizeof q, e->qid, strlen(e->qid));
		if (e->ip)
			log_clean(ip, sizeof ip, e->ip, strlen(e->ip));
		fprintf(stderr, "%s: alert: qid=%s ip=%s spoofed sender: %s\n",
		    log_prog(), q, ip, r->text);
	}
	if (rc == 0 && ctx->annotate &&
	    spoof_authres(ctx->me, e, &sr, r, hdrs) == -1)
		rc = -1;
	return rc;
}

/* Ours to replace: an Authentication-Results of our own authserv-id that
 * came from outside (RFC 8601 section 5: never trusted). */
static int
own_header(struct checker_ctx *ctx, const struct hdr *h, size_t i)
{
	return spoof_authres_ours(h, i, ctx->me);
}

/* --lint [-C dir]: check the rules and the control files, say what was
 * read, exit 0 or 111. */
static int
lint(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "lint", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
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
	if (checker_lint_common() == -1 || load() == -1)
		return EXIT_TEMP;
	if (sp.local.n == 0)
		log_warn(0, "%s/localdomains is empty: the %%local rules expand "
		    "to nothing and all outbound mail is rejected", ctl_dir());
	printf("%s: %s: %zu rule lines, %zu rules after expansion\n",
	    log_prog(), sp.rules_path, sp.pol.lines, sp.pol.n);
	spoof_free(&sp);
	return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
}

int
main(int argc, char **argv)
{
	static const struct checker c = {
		"spoof-check", init, judge, own_header, NULL
	};
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--lint") == 0)
			return lint(argc, argv);
	return checker_main(&c, argc, argv);
}
