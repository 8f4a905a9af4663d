/* virus-scan: ask every configured anti-virus engine about a message
 * (virus-scan(8)): clamd over INSTREAM and ICAP engines, each sent the raw
 * message and, in one archive, the leaves our own decomposition found
 * where an engine's parser might not (members of containers, uuencoded
 * and embedded objects, parts of ambiguous MIME).  Every engine must
 * answer clean for a pass; one that could not scan (down, too slow, an
 * answer we cannot read, a message over its stream limit) is never a
 * pass but control/unscannedpolicy.  Input is a stranger's message; the
 * engines' answers are parsed as a stranger's bytes too.  Runs under the
 * caller's uid, never as root by choice. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avleaves.h"
#include "avscan.h"
#include "checker.h"
#include "ctl.h"
#include "escrow.h"
#include "io.h"
#include "log.h"

struct state {
	struct avscan_conf av;
	struct mime_limits lim;
	enum verdict       onvirus;      /* control/viruspolicy */
	enum verdict       onunscanned;  /* control/unscannedpolicy */
	enum verdict       onencrypted[2]; /* control/encryptedpolicy: in, out */
	struct escrow      esc;          /* control/escrow-key */
	int                warned;       /* "no scanner" said once */
};

static struct state st;

/* One word of a policy file among the verdicts allowed. */
static int
policy(const char *name, enum verdict def, const enum verdict *allowed,
    enum verdict *out, char *err, size_t n)
{
	char w[32];
	enum verdict v;
	size_t i;

	if (ctl_string(name, verdict_name(def), w, sizeof w) == -1) {
		snprintf(err, n, "unable to read %s/%s: %s", ctl_dir(), name,
		    strerror(errno));
		return -1;
	}
	if (verdict_parse(w, &v) == 0)
		for (i = 0; allowed[i] != VERDICT_PASS; i++)
			if (allowed[i] == v) {
				*out = v;
				return 0;
			}
	snprintf(err, n, "%s/%s: %.31s is not one of the verdicts it takes",
	    ctl_dir(), name, w);
	return -1;
}

/* control/encryptedpolicy: "VERDICT" for both directions, or lines
 * "in VERDICT" and "out VERDICT"; flag (deliver, marked) by default. */
static int
encrypted_policy(char *err, size_t n)
{
	struct ctl_list l;
	enum verdict v;
	size_t i;
	int dir;
	const char *w;

	st.onencrypted[0] = st.onencrypted[1] = VERDICT_FLAG;
	memset(&l, 0, sizeof l);
	if (ctl_lines("encryptedpolicy", &l) == -1) {
		snprintf(err, n, "unable to read %s/encryptedpolicy: %s", ctl_dir(),
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		w = l.v[i];
		dir = -1;
		if (strncmp(w, "in ", 3) == 0 || strncmp(w, "out ", 4) == 0) {
			dir = w[0] == 'o';
			w += dir ? 4 : 3;
			w += strspn(w, " \t");
		}
		if (verdict_parse(w, &v) == -1 || (v != VERDICT_FLAG &&
		    v != VERDICT_QUARANTINE && v != VERDICT_REJECT)) {
			snprintf(err, n, "%.300s line %u: want [in|out] flag, quarantine "
			    "or reject", l.path, l.lineno[i]);
			ctl_free(&l);
			return -1;
		}
		if (dir != 1)
			st.onencrypted[0] = v;
		if (dir != 0)
			st.onencrypted[1] = v;
	}
	ctl_free(&l);
	return 0;
}

static int
load(void)
{
	static const enum verdict onvirus[] = { VERDICT_REJECT,
		VERDICT_QUARANTINE, VERDICT_PASS };
	static const enum verdict onunscanned[] = { VERDICT_TEMPFAIL,
		VERDICT_QUARANTINE, VERDICT_FLAG, VERDICT_PASS };
	char err[600];
	int r;

	if ((r = avscan_load(&st.av, err, sizeof err)) != 0) {
		log_fatal(r == -1 ? errno : 0, "%s", err);
		return -1;
	}
	if (mime_limits_ctl(&st.lim) == -1) {
		log_fatal(errno, "unable to read the mime limits in %s", ctl_dir());
		return -1;
	}
	if (escrow_load(&st.esc, err, sizeof err) == -1) {
		log_fatal(errno == EINVAL ? 0 : errno, "%s", err);
		return -1;
	}
	if (policy("viruspolicy", VERDICT_REJECT, onvirus, &st.onvirus, err,
	    sizeof err) == -1 || policy("unscannedpolicy", VERDICT_TEMPFAIL,
	    onunscanned, &st.onunscanned, err, sizeof err) == -1 ||
	    encrypted_policy(err, sizeof err) == -1) {
		log_fatal(0, "%s", err);
		return -1;
	}
	return 0;
}

static int
init(struct checker_ctx *ctx)
{
	ctx->tool = &st;
	return load();
}

/* The X-Virus-* headers, in the form clamassassin's procmail recipes
 * read: X-Virus-Status Yes or No (here also Unscanned), the name in
 * X-Virus-Report. */
static void
headers(struct buf *h, const char *me, const char *status, const char *report,
    const char *scanned)
{
	buf_printf(h, "X-Virus-Status: %s\n", status);
	if (report)
		buf_printf(h, "X-Virus-Report: %s\n", report);
	buf_printf(h, "X-Virus-Scanned: %s on %s\n", scanned, me);
}

/* One engine's work on one message: the raw message, then the leaves. */
struct job {
	const struct avscan_engine *en;
	const char *raw, *tar;
	size_t      rawlen, tarlen;
	unsigned    timeout_ms;
	int         cancel[2];     /* a pipe: readable once a virus is found */
	int         part;          /* where it stopped: 0 raw, 1 leaves */
	struct avscan_result ar;
};

static void *
job_run(void *arg)
{
	struct job *j = arg;

	for (j->part = 0; j->part < (j->tar ? 2 : 1); j->part++)
		if (avscan_scan(j->en, j->part ? j->tar : j->raw, j->part ?
		    j->tarlen : j->rawlen, j->timeout_ms, j->cancel[0], &j->ar) == -1 ||
		    j->ar.st != AVSCAN_CLEAN)
			break;
	if (j->part == 2)
		j->part = 1;
	/* the others need not finish: one virus decides */
	if (j->ar.st == AVSCAN_FOUND && j->cancel[1] != -1)
		(void)io_write_all(j->cancel[1], "x", 1);
	return NULL;
}

/* Every engine at once, each in a thread of its own (at most
 * AVSCAN_MAX_ENGINES, each bounded by virustimeout), so that a second
 * engine adds its latency to the message's only where it is slower.
 * Then, in the order of the control files: the first virus into found,
 * the first failure into miss, the clean engines' names. */
static void
scan_all(const struct state *s, const struct msg *m, const struct avleaves *l,
    char *found, size_t fn, char *miss, size_t mn, char *names, size_t nn)
{
	struct job j[AVSCAN_MAX_ENGINES];
	pthread_t t[AVSCAN_MAX_ENGINES];
	int started[AVSCAN_MAX_ENGINES], cancel[2] = { -1, -1 };
	size_t i;

	if (s->av.n > 1 && pipe2(cancel, O_CLOEXEC | O_NONBLOCK) == -1)
		cancel[0] = cancel[1] = -1;
	for (i = 0; i < s->av.n; i++) {
		memset(&j[i], 0, sizeof j[i]);
		j[i].en = &s->av.e[i];
		j[i].raw = m->raw.p ? m->raw.p : "";
		j[i].rawlen = m->raw.len;
		j[i].tar = l->n ? l->tar.p : NULL;
		j[i].tarlen = l->tar.len;
		j[i].timeout_ms = s->av.timeout_ms;
		j[i].cancel[0] = cancel[0];
		j[i].cancel[1] = cancel[1];
		/* one engine, or no thread to be had: here */
		started[i] = s->av.n > 1 &&
		    pthread_create(&t[i], NULL, job_run, &j[i]) == 0;
		if (!started[i])
			job_run(&j[i]);
	}
	for (i = 0; i < s->av.n; i++) {
		const struct job *k = &j[i];
		if (started[i])
			pthread_join(t[i], NULL);
		if (k->ar.st == AVSCAN_FOUND && found[0] == '\0')
			snprintf(found, fn, "%s: %s", k->en->label, k->ar.name);
		else if (k->ar.st == AVSCAN_UNSCANNED && miss[0] == '\0')
			snprintf(miss, mn, "%s (%.150s) %s%s", k->en->label,
			    k->en->where, k->part ? "on the leaves: " : "", k->ar.why);
		else if (k->ar.st == AVSCAN_CLEAN)
			snprintf(names + strlen(names), nn - strlen(names), "%s%s",
			    names[0] ? ", " : "", k->en->label);
	}
	if (cancel[0] != -1) {
		close(cancel[0]);
		close(cancel[1]);
	}
}

static int
judge(struct checker_ctx *ctx, const struct msg *m, const struct hdr *h,
    const struct envelope *e, struct verdict_result *r, struct buf *hdrs)
{
	struct state *s = ctx->tool;
	struct avleaves l;
	char found[AVSCAN_NAME_MAX + 80] = "", miss[VERDICT_TEXT_MAX] = "";
	char names[200] = "";

	/* no engine and no encryptedpolicy that could stop a message: the
	 * walk would change nothing but a header, and costs a parse */
	if (s->av.n == 0 && s->onencrypted[0] == VERDICT_FLAG &&
	    s->onencrypted[1] == VERDICT_FLAG)
		memset(&l, 0, sizeof l);
	else if (avleaves_gather(&l, m->raw.p ? m->raw.p : "", m->raw.len,
	    &s->lim, s->av.n ? s->av.leafbytes : 0, &s->esc) == -1) {
		avleaves_free(&l);
		verdict_set(r, VERDICT_TEMPFAIL, "4.3.0", "unable to take the "
		    "message apart: %s", strerror(errno));
		return 0;
	}
	if (l.skipped && s->av.n)
		log_warn(0, "%zu leaves past virusleafbytes (%zu) go to the engines "
		    "only inside the raw message", l.skipped, s->av.leafbytes);
	scan_all(s, m, &l, found, sizeof found, miss, sizeof miss, names,
	    sizeof names);
	if (l.lostplain && miss[0] == '\0' && s->av.n)
		snprintf(miss, sizeof miss, "%zu decrypted leaves past "
		    "virusleafbytes", l.lostplain);
	avleaves_free(&l);
	if (found[0]) {
		verdict_raise(r, s->onvirus, "5.7.1", "%s", found);
		if (ctx->annotate)
			headers(hdrs, ctx->me, "Yes", found, "virus-scan");
		return 0;
	}
	if (l.crypt) {
		enum verdict v = s->onencrypted[e->dir == ENV_DIR_OUT];
		verdict_raise(r, v, v == VERDICT_FLAG ? "2.0.0" : "5.7.1",
		    "encrypted, not scanned: %s in part %s", l.crypt, l.cpath);
		if (ctx->annotate)
			buf_printf(hdrs, "X-Portcullis-Encrypted: %s in part %s, not "
			    "scanned\n", l.crypt, l.cpath);
	}
	if (s->av.n == 0) {
		if (!s->warned++)
			/* the documented default of a machine without
			 * clamd: said, once a process, but no warning */
			log_info("no virus scanner configured (%s/clamd, "
			    "%s/icap) and none at %s: mail passes flagged unscanned",
			    ctl_dir(), ctl_dir(), AVSCAN_CLAMD_DEFAULT);
		verdict_raise(r, VERDICT_FLAG, "2.0.0",
		    "unscanned: no virus scanner configured");
		if (ctx->annotate)
			headers(hdrs, ctx->me, "Unscanned", NULL,
			    "not scanned, no scanner configured, by virus-scan");
	} else if (miss[0]) {
		verdict_raise(r, s->onunscanned, s->onunscanned == VERDICT_TEMPFAIL ?
		    "4.3.0" : s->onunscanned == VERDICT_FLAG ? "2.0.0" : "5.7.1",
		    "unscanned: %s", miss);
		if (ctx->annotate)
			headers(hdrs, ctx->me, "Unscanned", NULL,
			    "not scanned, an engine failed, by virus-scan");
	} else {
		if (r->v == VERDICT_PASS)
			verdict_set(r, VERDICT_PASS, "2.0.0", "clean (%s)%s", names,
			    l.nplain ? ", S/MIME decrypted by escrow" : "");
		if (ctx->annotate)
			headers(hdrs, ctx->me, "No", NULL, names);
	}
	return 0;
}

/* Ours to replace: X-Virus-* that came from outside claim a scan that
 * nobody we trust made. */
static int
own_header(struct checker_ctx *ctx, const struct hdr *h, size_t i)
{
	return hdr_name_is(h, i, "X-Virus-Status") ||
	    hdr_name_is(h, i, "X-Virus-Report") ||
	    hdr_name_is(h, i, "X-Portcullis-Encrypted") ||
	    hdr_name_is(h, i, "X-Virus-Scanned");
}

/* --lint [-C dir]: read the control files, list the engines. */
static int
lint(int argc, char **argv)
{
	int ch;
	size_t i;

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
	if (load() == -1)
		return EXIT_TEMP;
	for (i = 0; i < st.av.n; i++)
		printf("%s: %s %s%s\n", log_prog(), st.av.e[i].label,
		    st.av.e[i].where, st.av.defaulted && i == 0 ? " (default)" : "");
	if (st.av.n == 0)
		printf("%s: no engine: mail is flagged unscanned\n", log_prog());
	printf("%s: timeout %us, on a virus %s, when unscanned %s\n", log_prog(),
	    st.av.timeout_ms / 1000, verdict_name(st.onvirus),
	    verdict_name(st.onunscanned));
	return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
}

int
main(int argc, char **argv)
{
	static const struct checker c = {
		"virus-scan", init, judge, own_header, NULL
	};
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--lint") == 0)
			return lint(argc, argv);
	return checker_main(&c, argc, argv);
}
