/* spam-score: score a message against weighted rules and a Bayes
 * classifier, and pass, flag, quarantine or reject it (spam-score(8), rules
 * in spam-score(5)).  Inbound mail is judged by share/rules/spam, outbound
 * by share/rules/outbound (passwords and secrets leaving).  The message is
 * a stranger's; rules and control files are the administrator's; the
 * Bayes database is shared with the cron job that trains it.  Runs under
 * the caller's uid, never as root by choice. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "checker.h"
#include "ctl.h"
#include "log.h"
#include "score.h"
#include "score_bayes.h"
#include "score_conf.h"

#define LEARN_BATCH 100   /* messages per LMDB write transaction */
#define AUTOLEARN_SIDE 3.0   /* points autolearning as spam asks of the
			      * header rules and of the body rules */

struct tool {
	struct score_conf   c;
	struct score_bayes  bayes;
	int                 bayes_on;
	int                 autolearn;   /* bayesautolearn: 1 on, -1 the database
					  * is not writable ("unavailable") */
	const char         *al;          /* this message: autolearn=..., or NULL */
	int                 explain;
	int                 tag_subject; /* the current message's Subject is replaced */
};

static struct tool T;

/* Everything from the control directory and the rules; want_bayes 2:
 * the checker, which opens the database writable when it autolearns
 * (inbound mail only: the outbound rules look for secrets, not spam).
 * 0, or -1 after logging why. */
static int
load(int want_bayes, int eager)
{
	char err[5200];
	int r = -1;

	if (score_conf_load(&T.c, eager, err, sizeof err) == -1) {
		log_fatal(0, "%s", err);
		return -1;
	}
	if (want_bayes && T.c.dbpath[0] && (score_set_uses_bayes(&T.c.set[0]) ||
	    score_set_uses_bayes(&T.c.set[1]))) {
		if (want_bayes == 2 && T.c.autolearn &&
		    score_set_uses_bayes(&T.c.set[0])) {
			if ((r = score_bayes_open(&T.bayes, T.c.dbpath, 1)) == 0)
				T.autolearn = 1;
			else {
				T.autolearn = -1;
				log_warn(errno, "unable to open %s for autolearning; "
				    "scoring without it", T.c.dbpath);
			}
		}
		if (r == -1)
			r = score_bayes_open(&T.bayes, T.c.dbpath, 0);
		if (r == -1) {
			log_fatal(errno, "unable to open the Bayes database %s",
			    T.c.dbpath);
			return -1;
		}
		T.bayes_on = r == 0;
		T.bayes.min = T.c.bayesmin;
	}
	return 0;
}

static int
init(struct checker_ctx *ctx)
{
	ctx->tool = &T;
	return load(2, 0);
}

/* "Yes, score=7.1 required=5.0 tests=A,B" folded at commas. */
static int
status_header(struct buf *hdrs, int yes, double score, double req,
    const struct buf *tests, const char *al)
{
	size_t col, i, start;

	if (buf_printf(hdrs, "X-Spam-Status: %s, score=%.1f required=%.1f tests=",
	    yes ? "Yes" : "No", score, req) == -1)
		return -1;
	col = 45;
	for (i = start = 0; i <= tests->len; i++) {
		if (i < tests->len && tests->p[i] != ',')
			continue;
		if (col + (i - start) > 76 && start > 0) {
			if (buf_adds(hdrs, "\n\t") == -1)
				return -1;
			col = 8;
		}
		if (buf_add(hdrs, tests->p + start, i - start + (i < tests->len)) == -1)
			return -1;
		col += i - start + 1;
		start = i + 1;
	}
	if (al && buf_printf(hdrs, " autolearn=%s", al) == -1)
		return -1;
	return buf_adds(hdrs, " version=portcullis\n");
}

/* With --explain: each rule that hit, its weight and its description. */
static void
explain(const struct score_set *s, const struct score_result *res, int d,
    const char *verdict, FILE *fp)
{
	const struct score_notice *shown[8] = { NULL };
	size_t i, k, nshown = 0;

	fprintf(fp, "spam-score: explain: direction=%s score=%.1f required=%.1f "
	    "verdict=%s", d ? "out" : "in", res->score, T.c.thr[d][SCORE_FLAG], verdict);
	if (res->bayes >= 0)
		fprintf(fp, " bayes=%.4f", res->bayes);
	if (T.al)
		fprintf(fp, " autolearn=%s", T.al);
	fprintf(fp, " regexes-run=%zu/%zu\n", res->regex_run, s->n);
	for (i = 0; i < s->n; i++) {
		const struct score_rule *r = &s->r[i];
		const struct score_notice *nt;
		if (!res->hit[i])
			continue;
		fprintf(fp, "%7.2f %-28s %s\n", r->score, r->name,
		    r->describe ? r->describe : "");
		if ((nt = score_conf_notice(&T.c, r->notice)) == NULL)
			continue;
		for (k = 0; k < nshown && shown[k] != nt; k++)
			;
		if (k == nshown && nshown < sizeof shown / sizeof shown[0])
			shown[nshown++] = nt;
	}
	for (k = 0; k < nshown; k++)
		fprintf(fp, "notice %s:\n%s", shown[k]->name, shown[k]->text.p);
}

/* Autolearning (control/bayesautolearn): learn sm as spam or ham when its
 * score without Bayes is beyond a threshold and it was never learned, in
 * one short write transaction.  What goes into X-Spam-Status:
 * "spam", "ham", "no" (between the thresholds, or known already), or
 * "failed" after a warning: the verdict never depends on it. */
static const char *
autolearn(const struct score_msg *sm, const struct score_result *res, int d)
{
	double s, head, body;
	int spam, r;

	if (d != 0)
		return "no";
	s = score_learn_score(&T.c.set[d], res);
	score_learn_parts(&T.c.set[d], res, &head, &body);
	if (s >= T.c.al_spam && head >= AUTOLEARN_SIDE && body >= AUTOLEARN_SIDE)
		spam = 1;
	else if (s <= T.c.al_ham)
		spam = 0;
	else
		return "no";
	T.bayes.today = (uint32_t)(time(NULL) / 86400);
	if ((r = score_bayes_learn_new(&T.bayes, sm, spam)) != -1 &&
	    score_bayes_commit(&T.bayes) == 0)
		return r == 0 ? (spam ? "spam" : "ham") : "no";
	log_warn(errno, "unable to autolearn into %s; the verdict stands",
	    T.c.dbpath);
	return "failed";
}

/* One message: its score, the verdict, the X-Spam headers. */
static int
judge(struct checker_ctx *ctx, const struct msg *m, const struct hdr *h,
    const struct envelope *e, struct verdict_result *r, struct buf *hdrs)
{
	struct score_msg sm;
	struct score_result res;
	struct buf tests = BUF_INIT, v = BUF_INIT;
	const struct score_notice *nt = NULL;
	int d = e->dir == ENV_DIR_OUT, lvl = -1, k, rc = -1;
	double bayes = -1, *thr = T.c.thr[d];
	size_t i, stars;

	T.tag_subject = 0;
	if (score_msg_build(&sm, m, h, &T.c.lim) == -1)
		return -1;
	if (T.bayes_on && score_set_uses_bayes(&T.c.set[d]))
		bayes = score_bayes_prob(&T.bayes, &sm);
	if (score_eval(&T.c.set[d], &sm, bayes, &res) == -1) {
		/* a regex is compiled when a message first needs it: one
		 * that does not compile fails this message as a rule file
		 * that does not parse fails them all (--lint finds it) */
		if (errno == EINVAL && T.c.set[d].err[0]) {
			log_fatal(0, "%s line %u: %s", T.c.path[d],
			    T.c.set[d].errline, T.c.set[d].err);
			verdict_set(r, VERDICT_TEMPFAIL, "4.3.0",
			    "a spam rule has a mistake");
		}
		score_msg_free(&sm);
		return -1;
	}
	if (score_tests(&T.c.set[d], &res, &tests) == -1)
		goto out;
	for (k = SCORE_REJECT; k >= SCORE_FLAG && lvl < 0; k--)
		if (thr[k] > SCORE_OFF && res.score >= thr[k])
			lvl = k;
	for (i = 0; i < res.n && lvl >= SCORE_QUARANTINE && nt == NULL; i++)
		if (res.hit[i])
			nt = score_conf_notice(&T.c, T.c.set[d].r[i].notice);
	switch (lvl) {
	case SCORE_REJECT:
	case SCORE_QUARANTINE:
		verdict_set(r, lvl == SCORE_REJECT ? VERDICT_REJECT : VERDICT_QUARANTINE,
		    "5.7.1", "%s%sscore=%.1f required=%.1f tests=%s",
		    nt ? nt->summary : "", nt ? " " : "", res.score,
		    thr[SCORE_FLAG], tests.p);
		break;
	case SCORE_FLAG:
		verdict_set(r, VERDICT_FLAG, "2.7.0", "score=%.1f required=%.1f tests=%s",
		    res.score, thr[SCORE_FLAG], tests.p);
		break;
	default:
		verdict_set(r, VERDICT_PASS, "2.0.0", "score=%.1f required=%.1f tests=%s",
		    res.score, thr[SCORE_FLAG], tests.p);
	}
	if (res.limited)
		log_warn(0, "a rule reached the regex match limit; it counted as no hit");
	T.al = T.autolearn == 1 ? autolearn(&sm, &res, d) :
	    T.autolearn ? "unavailable" : NULL;
	if (T.explain)
		explain(&T.c.set[d], &res, d, verdict_name(r->v),
		    ctx->annotate ? stderr : stdout);
	if (ctx->annotate) {
		stars = res.score > 0 ? (size_t)res.score : 0;
		if (stars > 50)
			stars = 50;
		if ((lvl >= SCORE_FLAG && buf_adds(hdrs, "X-Spam-Flag: YES\n") == -1) ||
		    buf_printf(hdrs, "X-Spam-Score: %.1f\nX-Spam-Level: ", res.score) == -1)
			goto out;
		for (i = 0; i < stars; i++)
			if (buf_addc(hdrs, '*') == -1)
				goto out;
		if (buf_addc(hdrs, '\n') == -1 ||
		    status_header(hdrs, lvl >= SCORE_FLAG, res.score, thr[SCORE_FLAG],
		    &tests, T.al) == -1)
			goto out;
		if (lvl >= SCORE_FLAG && T.c.subject[0]) {
			long s = hdr_find(h, "Subject", 0);
			if (s >= 0 && hdr_value(h, (size_t)s, &v) == -1)
				goto out;
			if (v.len < strlen(T.c.subject) ||
			    strncmp(v.p, T.c.subject, strlen(T.c.subject)) != 0) {
				T.tag_subject = 1;
				if (buf_printf(hdrs, "Subject: %s%s", T.c.subject,
				    v.len ? " " : "") == -1 ||
				    buf_add(hdrs, v.p ? v.p : "", v.len) == -1 ||
				    buf_addc(hdrs, '\n') == -1)
					goto out;
			}
		}
	}
	rc = 0;
out:
	buf_free(&v);
	buf_free(&tests);
	score_result_free(&res);
	score_msg_free(&sm);
	return rc;
}

/* Ours to replace: the X-Spam- fields SpamAssassin writes (a sender may
 * forge "X-Spam-Status: No"), and the Subject we tag. */
static int
own_header(struct checker_ctx *ctx, const struct hdr *h, size_t i)
{
	static const char *const own[] = {
		"X-Spam-Flag", "X-Spam-Score", "X-Spam-Level", "X-Spam-Status",
		"X-Spam-Report", "X-Spam-Checker-Version",
	};
	size_t k;

	for (k = 0; k < sizeof own / sizeof own[0]; k++)
		if (hdr_name_is(h, i, own[k]))
			return 1;
	return T.tag_subject && hdr_name_is(h, i, "Subject");
}

/* --lint [-C dir]: read everything, say what was read, exit 0 or 111. */
static int
lint(int argc, char **argv)
{
	int ch, d, rc = EXIT_PASS;
	size_t i;

	while ((ch = getopt_long(argc, argv, "C:", (const struct option[]){
	    { "lint", no_argument, NULL, 'l' }, { NULL, 0, NULL, 0 } }, NULL)) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if (ch != 'l') {
			fprintf(stderr, "usage: %s --lint [-C dir]\n", log_prog());
			return EXIT_TEMP;
		}
	}
	if (checker_lint_common() == -1 || load(1, 1) == -1)
		return EXIT_TEMP;
	for (d = 0; d < 2; d++) {
		const struct score_set *s = &T.c.set[d];
		size_t kind[8] = { 0 }, off = 0, nre = 0;
		for (i = 0; i < s->n; i++) {
			kind[s->r[i].kind]++;
			if (s->r[i].test == -2 && s->r[i].kind != SCORE_TEST)
				off++;
			if (s->r[i].re) {
				nre++;
			}
		}
		printf("%s: %s: %zu rules: %zu header, %zu body, %zu rawbody, %zu uri, "
		    "%zu full, %zu test, %zu bayes, %zu meta; %zu of %zu regexes "
		    "prefiltered\n", log_prog(), T.c.path[d], s->n,
		    kind[SCORE_HEADER], kind[SCORE_BODY], kind[SCORE_RAWBODY],
		    kind[SCORE_URI], kind[SCORE_FULL], kind[SCORE_TEST],
		    kind[SCORE_BAYES], kind[SCORE_META], s->prefiltered, nre);
		if (off)
			log_warn(0, "%s: %zu rules are off: disabled in %s/%s.local, "
			    "or using %%orgname%% with %s/orgname empty", T.c.path[d],
			    off, ctl_dir(), d ? SCORE_RULES_OUT : SCORE_RULES_IN, ctl_dir());
	}
	if (T.c.dbpath[0] == '\0')
		printf("%s: Bayes: off (no %s/bayesdb)\n", log_prog(), ctl_dir());
	else if (!T.bayes_on)
		printf("%s: Bayes: %s does not exist yet (learn with --learn-spam "
		    "and --learn-ham)\n", log_prog(), T.c.dbpath);
	else {
		double p = score_bayes_prob(&T.bayes, &(struct score_msg){ 0 });
		(void)p;
		printf("%s: Bayes: %s: %u spam, %u ham learned%s\n", log_prog(),
		    T.c.dbpath, T.bayes.nspam, T.bayes.nham,
		    T.bayes.nspam ? "" : " (fewer than bayesmin: not used yet)");
	}
	if (fflush(stdout) == EOF)
		rc = EXIT_TEMP;
	return rc;
}

/* One message for learning from fd into the database.  0 learned, 1 known,
 * -1 after logging. */
static int
learn_one(int fd, const char *name, int spam, struct hdr_limits *hl, size_t max)
{
	struct msg m;
	struct hdr h;
	struct score_msg sm;
	char cn[256];
	int r;

	log_clean(cn, sizeof cn, name, strlen(name));
	if (msg_read_fd(fd, max, &m) == -1) {
		log_fatal(errno, "unable to read %s", cn);
		return -1;
	}
	memset(&h, 0, sizeof h);
	if (hdr_parse(&h, m.raw.p ? m.raw.p : "", m.hdr_off, m.hdr_len, hl) == -1 ||
	    score_msg_build(&sm, &m, &h, &T.c.lim) == -1) {
		log_fatal(errno, "unable to parse %s", cn);
		hdr_free(&h);
		msg_free(&m);
		return -1;
	}
	if ((r = score_bayes_learn(&T.bayes, &sm, spam)) == -1)
		log_fatal(errno, "unable to learn %s into %s", cn, T.c.dbpath);
	score_msg_free(&sm);
	hdr_free(&h);
	msg_free(&m);
	return r;
}

/* --learn-spam|--learn-ham [-C dir] [FILE...]: train the Bayes database
 * of control/bayesdb; stdin without files. */
static int
learn(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "learn-spam", no_argument, NULL, 's' },
		{ "learn-ham", no_argument, NULL, 'h' },
		{ "now", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct hdr_limits hl;
	unsigned long db;
	size_t max, n = 0, known = 0, failed = 0;
	uint32_t now = 0;
	int ch, spam = -1, i, fd, r;

	while ((ch = getopt_long(argc, argv, "C:", lo, NULL)) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if ((ch == 's' || ch == 'h') && (spam == -1 || spam == (ch == 's')))
			spam = ch == 's';
		else if (ch != 'n' || score_bayes_day_parse(optarg, &now) == -1) {
			fprintf(stderr, "usage: %s --learn-spam|--learn-ham [-C dir] "
			    "[--now YYYY-MM-DD] [file ...]\n", log_prog());
			return EXIT_TEMP;
		}
	}
	if (load(0, 1) == -1 || ctl_databytes(&db, &max) == -1 ||
	    ctl_hdr_limits(&hl) == -1) {
		if (errno)
			log_fatal(errno, "unable to read the control files");
		return EXIT_TEMP;
	}
	if (T.c.dbpath[0] == '\0') {
		log_fatal(0, "no Bayes database: put its path into %s/bayesdb",
		    ctl_dir());
		return EXIT_TEMP;
	}
	if (score_bayes_open(&T.bayes, T.c.dbpath, 1) != 0) {
		log_fatal(errno, "unable to open %s", T.c.dbpath);
		return EXIT_TEMP;
	}
	if (now)
		T.bayes.today = now;
	for (i = optind; i < argc || (i == optind && optind == argc); i++) {
		const char *name = i < argc ? argv[i] : "-";
		fd = i < argc ? open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY) : 0;
		if (fd == -1) {
			char cn[256];
			log_clean(cn, sizeof cn, name, strlen(name));
			log_fatal(errno, "unable to open %s", cn);
			failed++;
			continue;
		}
		r = learn_one(fd, name, spam, &hl, max);
		if (fd != 0)
			close(fd);
		if (r == -1) {
			failed++;
			if (T.bayes.txn == NULL && errno != EFBIG && errno != ENOENT)
				break;
			continue;
		}
		n += r == 0;
		known += r == 1;
		if ((n + 1) % LEARN_BATCH == 0 && score_bayes_commit(&T.bayes) == -1) {
			log_fatal(errno, "unable to write %s", T.c.dbpath);
			score_bayes_close(&T.bayes);
			return EXIT_TEMP;
		}
	}
	if (score_bayes_commit(&T.bayes) == -1) {
		log_fatal(errno, "unable to write %s", T.c.dbpath);
		score_bayes_close(&T.bayes);
		return EXIT_TEMP;
	}
	score_bayes_close(&T.bayes);
	printf("%s: learned %zu %s, %zu known already, %zu failed\n", log_prog(),
	    n, spam ? "spam" : "ham", known, failed);
	return fflush(stdout) == EOF || failed ? EXIT_TEMP : EXIT_PASS;
}

static int
dump_one(void *arg, uint64_t t, uint32_t spam, uint32_t ham, uint32_t day)
{
	char d[16];

	score_bayes_day_format(day, d, sizeof d);
	return printf("token %016llx %u %u %s\n", (unsigned long long)t, spam,
	    ham, d) < 0 ? -1 : 0;
}

/* --bayes-stats, --bayes-dump, --bayes-expire [--days N] [--count N]
 * [--now YYYY-MM-DD] [-C dir]: the database's counts; the same and every
 * token; expiry (score_bayes_expire) with control/bayesmaxtokens. */
static int
bayes_admin(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bayes-stats", no_argument, NULL, 's' },
		{ "bayes-dump", no_argument, NULL, 'd' },
		{ "bayes-expire", no_argument, NULL, 'e' },
		{ "days", required_argument, NULL, 'D' },
		{ "count", required_argument, NULL, 'N' },
		{ "now", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct score_bayes_stats st;
	struct score_bayes_expiry ex;
	unsigned long days = SCORE_BAYES_EXPIRE_DAYS, count = SCORE_BAYES_EXPIRE_COUNT;
	uint32_t now = 0;
	char d[3][16], *end;
	int ch, mode = 0, r;

	while ((ch = getopt_long(argc, argv, "C:", lo, NULL)) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if ((ch == 's' || ch == 'd' || ch == 'e') && (!mode || mode == ch))
			mode = ch;
		else if (ch == 'D' || ch == 'N') {
			unsigned long *v = ch == 'D' ? &days : &count;
			errno = 0;
			*v = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || errno ||
			    *v > 100000)
				goto usage;
		} else if (ch != 'n' || score_bayes_day_parse(optarg, &now) == -1)
			goto usage;
	}
	if (optind < argc)
		goto usage;
	if (load(0, 0) == -1)
		return EXIT_TEMP;
	if (T.c.dbpath[0] == '\0') {
		log_fatal(0, "no Bayes database: put its path into %s/bayesdb",
		    ctl_dir());
		return EXIT_TEMP;
	}
	if ((r = score_bayes_open(&T.bayes, T.c.dbpath, mode == 'e')) != 0) {
		if (r == 1)
			errno = ENOENT;
		log_fatal(errno, "unable to open %s", T.c.dbpath);
		return EXIT_TEMP;
	}
	if (now)
		T.bayes.today = now;
	if (mode == 'e') {
		if (score_bayes_expire(&T.bayes, (unsigned)days, (unsigned)count,
		    T.c.bayesmaxtokens, &ex) == -1) {
			log_fatal(errno, "unable to expire %s", T.c.dbpath);
			score_bayes_close(&T.bayes);
			return EXIT_TEMP;
		}
		printf("%s: expired %zu tokens: %zu not learned for %lu days with a "
		    "count of %lu or less, %zu over bayesmaxtokens; %zu left\n",
		    log_prog(), ex.byage + ex.bysize, ex.byage, days, count,
		    ex.bysize, ex.left);
	} else if (score_bayes_stats(&T.bayes, &st) == -1 ||
	    (mode == 'd' && score_bayes_each(&T.bayes, dump_one, NULL) != 0)) {
		log_fatal(errno, "unable to read %s", T.c.dbpath);
		score_bayes_close(&T.bayes);
		return EXIT_TEMP;
	} else {
		score_bayes_day_format(st.oldest, d[0], sizeof d[0]);
		score_bayes_day_format(st.newest, d[1], sizeof d[1]);
		score_bayes_day_format(st.since, d[2], sizeof d[2]);
		printf("database %s\nspam %u\nham %u\nknown %zu\ntokens %zu\n"
		    "hapaxes %zu\nundated %zu\noldest %s\nnewest %s\nsince %s\n"
		    "filebytes %llu\nusedbytes %llu\n", T.c.dbpath, st.nspam,
		    st.nham, st.known, st.tokens, st.hapaxes, st.undated, d[0], d[1],
		    d[2], (unsigned long long)st.filebytes,
		    (unsigned long long)st.usedbytes);
	}
	score_bayes_close(&T.bayes);
	return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
usage:
	fprintf(stderr, "usage: %s --bayes-stats|--bayes-dump|--bayes-expire "
	    "[--days N] [--count N] [--now YYYY-MM-DD] [-C dir]\n", log_prog());
	return EXIT_TEMP;
}

int
main(int argc, char **argv)
{
	static const struct checker c = {
		"spam-score", init, judge, own_header, NULL
	};
	int i, o;

	log_init("spam-score");
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--lint") == 0)
			return lint(argc, argv);
		if (strcmp(argv[i], "--learn-spam") == 0 ||
		    strcmp(argv[i], "--learn-ham") == 0)
			return learn(argc, argv);
		if (strcmp(argv[i], "--bayes-stats") == 0 ||
		    strcmp(argv[i], "--bayes-dump") == 0 ||
		    strcmp(argv[i], "--bayes-expire") == 0)
			return bayes_admin(argc, argv);
	}
	/* --explain is ours; the frame gets the rest */
	for (i = o = 1; i < argc; i++) {
		if (strcmp(argv[i], "--explain") == 0 && !T.explain) {
			T.explain = 1;
			continue;
		}
		argv[o++] = argv[i];
	}
	argv[o] = NULL;
	return checker_main(&c, o, argv);
}
