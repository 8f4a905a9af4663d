/* filetype-check: judge every part and every member of every container
 * in a message by its bytes (filetype-check(8), rules in attachments(5)):
 * the true type from our signatures and libmagic, compared with the name
 * and the declared type; executables, macros, disk images, HTML
 * smuggling, encrypted and bomb-like content, names that lie.  Input is
 * a stranger's message; the rules and control files are the
 * administrator's.  Runs under the caller's uid, never as root by choice. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anomaly.h"
#include "bypass.h"
#include "checker.h"
#include "ctl.h"
#include "explode.h"
#include "ftype.h"
#include "ftype_policy.h"
#include "log.h"

struct state {
	struct ftype        ft;
	struct ftype_policy pol;
	struct mime_limits  lim;
	struct anomaly_policy anom;
};

/* What one message's walk keeps: the worst action and its reason. */
struct judging {
	struct state   *s;
	unsigned        dir;
	enum verdict    worst;
	char            why[VERDICT_TEXT_MAX];
	enum verdict    bomb;      /* the worst for an item past a limit */
	char            bombwhy[VERDICT_TEXT_MAX];
	size_t          items;
	int             err;
};

static struct state st;

static int
load(void)
{
	char err[4200];

	if (mime_limits_ctl(&st.lim) == -1) {
		log_fatal(errno, "unable to read the mime limits in %s", ctl_dir());
		return -1;
	}
	if (ftype_policy_load(&st.pol, err, sizeof err) == -1) {
		log_fatal(errno, "%s", err);
		return -1;
	}
	if (anomaly_load(&st.anom, err, sizeof err) == -1) {
		log_fatal(errno, "%s", err);
		return -1;
	}
	return 0;
}

static int
init(struct checker_ctx *ctx)
{
	ctx->tool = &st;
	if (load() == -1)
		return -1;
	if (ftype_open(&st.ft) == -1) {
		log_fatal(errno, "unable to load the libmagic database");
		return -1;
	}
	return 0;
}

/* One item: its facts, the rule that fits, the worst so far. */
static int
on_item(void *arg, const struct explode_item *it)
{
	struct judging *j = arg;
	struct ftype_result fr;
	const struct ftype_rule *r;
	struct buf path = BUF_INIT;
	const char *p;
	char txt[VERDICT_TEXT_MAX];
	unsigned why;

	j->items++;
	if (ftype_judge(&j->s->ft, it, &fr) == -1)
		return -1;
	if ((r = ftype_policy_match(&j->s->pol, j->dir, &fr, &why)) == NULL ||
	    (r->action <= j->worst && !((fr.cat & FTYPE_BOMB) &&
	    r->action > j->bomb)))
		return 0;
	if (explode_escape(it->path, strlen(it->path), &path) == -1)
		return -1;
	/* a path 50 containers deep: its end says what it is */
	p = path.len > 200 ? path.p + path.len - 197 : path.p;
	if (why)
		snprintf(txt, sizeof txt, "%s%s is %s (%s)", p == path.p ? "" :
		    "...", p, fr.type, ftype_cat_name(why));
	else
		snprintf(txt, sizeof txt, "%s%s is %s (rule at line %u)",
		    p == path.p ? "" : "...", p, fr.type, r->lineno);
	buf_free(&path);
	/* what no key lets past: nobody, the virus scan included, has seen
	 * all of it */
	if ((fr.cat & FTYPE_BOMB) && r->action > j->bomb) {
		j->bomb = r->action;
		memcpy(j->bombwhy, txt, sizeof j->bombwhy);
	}
	if (r->action > j->worst) {
		j->worst = r->action;
		memcpy(j->why, txt, sizeof j->why);
	}
	return 0;
}

/* The decoded Subject carries a current bypass key?  1, 0, -1. */
static int
bypass(const struct hdr *h)
{
	struct buf v = BUF_INIT, d = BUF_INIT;
	long i = hdr_find(h, "Subject", 0);
	int r = 0;

	if (i >= 0 && (hdr_value(h, (size_t)i, &v) == -1 ||
	    hdr_decode_2047(v.p, v.len, &d) == -1))
		r = -1;
	if (r == 0)
		r = bypass_subject_ok(d.p ? d.p : "");
	buf_free(&v);
	buf_free(&d);
	return r;
}

static int
judge(struct checker_ctx *ctx, const struct msg *m, const struct hdr *h,
    const struct envelope *e, struct verdict_result *r, struct buf *hdrs)
{
	struct judging j;
	struct explode_stats xs;
	enum verdict av;
	char an[64];
	int bp;

	memset(&j, 0, sizeof j);
	j.s = ctx->tool;
	j.dir = e->dir == ENV_DIR_OUT ? FTYPE_POLICY_OUT : FTYPE_POLICY_IN;
	if (explode_message(m->raw.p ? m->raw.p : "", m->raw.len, &j.s->lim,
	    on_item, &j, &xs) == -1) {
		verdict_set(r, VERDICT_TEMPFAIL, "4.3.0", "unable to take the "
		    "message apart: %s", strerror(errno));
		return 0;
	}
	/* the message's structure, judged by control/mimeanomalies */
	if ((av = anomaly_judge(&j.s->anom, xs.flags, an, sizeof an)) > j.worst) {
		j.worst = av;
		snprintf(j.why, sizeof j.why, "MIME anomaly %s (mimeanomalies)", an);
	}
	if (j.worst <= VERDICT_FLAG) {
		if (j.worst == VERDICT_FLAG)
			verdict_raise(r, VERDICT_FLAG, "2.0.0", "%s", j.why);
		else if (r->v == VERDICT_PASS)
			verdict_set(r, VERDICT_PASS, "2.0.0", "%zu parts", j.items);
		return 0;
	}
	if (e->dir != ENV_DIR_OUT && (bp = bypass(h)) != 0) {
		if (bp == -1) {
			verdict_set(r, VERDICT_TEMPFAIL, "4.3.5", "unable to read the "
			    "bypass keys: %s", strerror(errno));
			return 0;
		}
		if (j.bomb > VERDICT_FLAG) {
			verdict_raise(r, j.bomb, "5.7.1", "bypass key refused: %s",
			    j.bombwhy);
			return 0;
		}
		verdict_set(r, VERDICT_PASS, "2.0.0", "bypass key; policy would %s: %s",
		    verdict_name(j.worst), j.why);
		return 0;
	}
	verdict_raise(r, j.worst, "5.7.1", "%s", j.why);
	return 0;
}

/* --lint [-C dir]: check the rules and the limits. */
static int
lint(int argc, char **argv)
{
	int ch;

	log_init(argv[0]);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "C:", (const struct option[]){
	    { "lint", no_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } }, NULL)) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if (ch != 'l') {
			fprintf(stderr, "usage: %s --lint [-C dir]\n", log_prog());
			return EXIT_TEMP;
		}
	}
	if (checker_lint_common() == -1 || load() == -1)
		return EXIT_TEMP;
	printf("%s: %s: %zu rules\n", log_prog(), st.pol.path, st.pol.n);
	ftype_policy_free(&st.pol);
	return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
}

/* --print-key [--month YYYY-MM] [-C dir]: the bypass key of a month
 * (default: this one, UTC), for the staff portal. */
static int
print_key(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "print-key", no_argument, NULL, 'p' },
		{ "month", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	char month[8], secret[512], key[BYPASS_HEX_LEN + 1];
	const char *m = NULL;
	int ch, r;

	log_init(argv[0]);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "C:", lo, NULL)) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if (ch == 'm')
			m = optarg;
		else if (ch != 'p') {
			fprintf(stderr, "usage: %s --print-key [--month YYYY-MM] "
			    "[-C dir]\n", log_prog());
			return EXIT_TEMP;
		}
	}
	if (m && (strlen(m) != 7 || strspn(m, "0123456789") != 4 || m[4] != '-' ||
	    strspn(m + 5, "0123456789") != 2 || strcmp(m + 5, "01") < 0 ||
	    strcmp(m + 5, "12") > 0)) {
		log_fatal(0, "--month wants YYYY-MM");
		return EXIT_TEMP;
	}
	if (m)
		snprintf(month, sizeof month, "%s", m);
	else if (bypass_month(time(NULL), 0, month) == -1) {
		log_fatal(errno, "unable to tell the month");
		return EXIT_TEMP;
	}
	if ((r = bypass_secret(secret, sizeof secret)) <= 0) {
		log_fatal(r == 0 ? 0 : errno, "unable to read %s/bypass-secret%s",
		    ctl_dir(), r == 0 ? ": no such file or empty" : "");
		return EXIT_TEMP;
	}
	r = bypass_key(secret, strlen(secret), month, key);
	explicit_bzero(secret, sizeof secret);
	if (r == -1) {
		log_fatal(0, "unable to compute the key");
		return EXIT_TEMP;
	}
	printf("%s\n", key);
	return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
}

int
main(int argc, char **argv)
{
	static const struct checker c = {
		"filetype-check", init, judge, NULL, NULL
	};
	int i, rc;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--lint") == 0)
			return lint(argc, argv);
		if (strcmp(argv[i], "--print-key") == 0)
			return print_key(argc, argv);
	}
	rc = checker_main(&c, argc, argv);
	ftype_close(&st.ft);
	ftype_policy_free(&st.pol);
	return rc;
}
