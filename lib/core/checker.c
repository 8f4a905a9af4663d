/* checker: the common frame of every checker (see checker.h).  Runs under
 * the uid of its caller; never as root by its own choice (the supervisor
 * drops privileges before it starts a stage). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "checker.h"
#include "ctl.h"
#include "emit.h"
#include "io.h"
#include "ip.h"
#include "log.h"
#include "sandbox.h"
#include "serve.h"

struct opts {
	const char *sender, *ip, *helo, *host, *qid;
	const char **rcpt;
	size_t nrcpt;
	enum env_dir dir;
};

struct run {
	const struct checker *c;
	struct checker_ctx   *ctx;
	char                  own[128];   /* X-Portcullis-<Tool> */
};

static void
usage(const char *name)
{
	fprintf(stderr, "usage: %s [-at] [-C dir] [--sender addr] [--rcpt addr]... "
	    "[--ip addr] [--helo name] [--direction in|out] [file ...]\n"
	    "       %s [-C dir] --lint\n", name, name);
}

/* "spoof-check" -> "X-Portcullis-Spoof-Check" */
static void
own_name(const char *tool, char *out, size_t n)
{
	size_t o, i;
	int up = 1;

	o = (size_t)snprintf(out, n, "X-Portcullis-");
	for (i = 0; tool[i] && o + 1 < n; i++) {
		out[o++] = up ? (char)toupper((unsigned char)tool[i]) : tool[i];
		up = tool[i] == '-';
	}
	out[o] = '\0';
}

static int
drop_own(void *arg, const struct hdr *h, size_t i)
{
	struct run *r = arg;

	if (hdr_name_is(h, i, r->own))
		return 1;
	return r->c->own_header ? r->c->own_header(r->ctx, h, i) : 0;
}

/* The envelope for one message: environment, then flags, then the trace
 * headers for what is still unknown, then the direction guess. */
static int
envelope(struct envelope *e, const struct opts *o, const struct hdr *h,
    const char *me)
{
	size_t i;

	memset(e, 0, sizeof *e);
	if (env_from_environ(e) == -1)
		return -1;
	if ((o->sender && env_set(&e->sender, o->sender) == -1) ||
	    (o->ip && env_set(&e->ip, o->ip) == -1) ||
	    (o->helo && env_set(&e->helo, o->helo) == -1) ||
	    (o->host && env_set(&e->host, o->host) == -1) ||
	    (o->qid && env_set(&e->qid, o->qid) == -1))
		return -1;
	if (o->nrcpt) {
		for (i = 0; i < e->nrcpt; i++)
			free(e->rcpt[i]);
		e->nrcpt = 0;
		for (i = 0; i < o->nrcpt; i++)
			if (env_add_rcpt(e, o->rcpt[i], strlen(o->rcpt[i])) == -1)
				return -1;
	}
	if (o->dir != ENV_DIR_UNKNOWN) {
		e->dir = o->dir;
		e->dir_given = 1;
	}
	if (env_from_trace(e, h, me) == -1)
		return -1;
	return env_guess_dir(e);
}

/* Judge one message from fd (name is NULL for stdin); print its verdict
 * or the annotated message; return the verdict. */
static enum verdict
one(struct run *run, const struct opts *o, int fd, const char *name)
{
	struct checker_ctx *ctx = run->ctx;
	struct verdict_result r;
	struct envelope e;
	struct msg m;
	struct hdr h;
	struct buf add = BUF_INIT;
	char line[VERDICT_TEXT_MAX + 256], cname[256] = "-";
	int big = 0, rc;

	memset(&r, 0, sizeof r);
	memset(&e, 0, sizeof e);
	memset(&h, 0, sizeof h);
	verdict_set(&r, VERDICT_PASS, "2.0.0", "%s", "");
	if (name)
		log_clean(cname, sizeof cname, name, strlen(name));
	if (msg_read_fd(fd, ctx->maxbytes, &m) == -1) {
		if (errno != EFBIG) {
			verdict_set(&r, VERDICT_TEMPFAIL, "4.3.0",
			    "unable to read message: %s", strerror(errno));
			goto report;
		}
		big = 1;
		verdict_set(&r, VERDICT_REJECT, "5.3.4",
		    "message exceeds %zu bytes", ctx->maxbytes);
	}
	if (hdr_parse(&h, m.raw.p ? m.raw.p : "", m.hdr_off, m.hdr_len, &ctx->hlim) == -1) {
		verdict_set(&r, VERDICT_TEMPFAIL, "4.3.0", "out of memory");
		goto report;
	}
	if (envelope(&e, o, &h, ctx->me) == -1) {
		verdict_set(&r, VERDICT_TEMPFAIL, "4.3.5",
		    "unable to read the envelope: %s", log_errtext(errno));
		goto report;
	}
	if (!big) {
		if (h.flags & (HDR_TOOBIG | HDR_TOOMANY))
			verdict_set(&r, VERDICT_QUARANTINE, "5.6.0",
			    "header section exceeds %s limit",
			    h.flags & HDR_TOOBIG ? "the size" : "the field count");
		rc = run->c->judge(ctx, &m, &h, &e, &r, &add);
		if (rc == -1 && r.v != VERDICT_TEMPFAIL)
			verdict_set(&r, VERDICT_TEMPFAIL, "4.3.0", "%s",
			    "internal error");
	}
report:
	if (ctx->annotate) {
		char own[VERDICT_TEXT_MAX + 256];
		if (add.len == 0 && verdict_format(own, sizeof own, run->own + 0, &r) >= 0) {
			/* "X-Portcullis-Tool: VERDICT STATUS TEXT" */
			const char *rest = own + strlen(run->own);
			buf_printf(&add, "%s:%s\n", run->own, rest);
		}
		if (emit_message(1, &m, &h, &add, drop_own, run) == -1 ||
		    (big && emit_copy_rest(fd, 1) == -1)) {
			log_fatal(errno, "unable to write message");
			r.v = VERDICT_TEMPFAIL;
		}
	} else if (verdict_format(line, sizeof line, run->c->name, &r) >= 0) {
		if (name)
			printf("%s: %s\n", cname, line);
		else
			printf("%s\n", line);
	}
	{
		char q[64] = "-";
		if (e.qid)
			log_clean(q, sizeof q, e.qid, strlen(e.qid));
		log_info("qid=%s%s%s verdict=%s reason=%s", q, name ? " file=" : "",
		    name ? cname : "", verdict_name(r.v), r.text[0] ? r.text : "ok");
	}
	buf_free(&add);
	hdr_free(&h);
	env_free(&e);
	msg_free(&m);
	return r.v;
}

/* One job of a resident (serve.h): the message on stdin, as a run
 * without file names would judge it. */
struct job {
	struct run  *run;
	struct opts *o;
};

static int
serve_one(void *arg)
{
	struct job *j = arg;
	struct checker_ctx *ctx = j->run->ctx;
	enum verdict v = one(j->run, j->o, 0, NULL);

	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_fatal(errno, "unable to write output");
		v = VERDICT_TEMPFAIL;
	}
	if (j->run->c->next)
		j->run->c->next(ctx);
	if (ctx->tagonly && v != VERDICT_TEMPFAIL)
		return EXIT_PASS;
	return verdict_exit(v);
}

/* Read control files shared by every checker. */
static int
common_init(struct checker_ctx *ctx)
{
	unsigned long db;

	if (ctl_me(ctx->me, sizeof ctx->me) == -1) {
		log_fatal(errno, "unable to read %s/me", ctl_dir());
		return -1;
	}
	if (ctl_databytes(&db, &ctx->maxbytes) == -1) {
		log_fatal(errno, "unable to read %s/databytes", ctl_dir());
		return -1;
	}
	if (ctl_hdr_limits(&ctx->hlim) == -1) {
		log_fatal(errno, "unable to read %s/headerfields or headerbytes",
		    ctl_dir());
		return -1;
	}
	return 0;
}

/* --lint's share of every checker: the settings the frame reads for
 * each message (me, databytes, headerfields, headerbytes) and
 * relayclients, by which it tells the direction of a message that does
 * not say; the fault logged with its file, line and bounds.  0, or -1. */
int
checker_lint_common(void)
{
	struct checker_ctx ctx;
	struct ip_net *net;
	size_t n;

	memset(&ctx, 0, sizeof ctx);
	if (common_init(&ctx) == -1)
		return -1;
	if (ctl_nets("relayclients", &net, &n) == -1) {
		log_fatal(errno, "unable to read %s/relayclients", ctl_dir());
		return -1;
	}
	free(net);
	return 0;
}

int
checker_main(const struct checker *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sender", required_argument, NULL, 's' },
		{ "rcpt", required_argument, NULL, 'r' },
		{ "ip", required_argument, NULL, 'i' },
		{ "helo", required_argument, NULL, 'H' },
		{ "host", required_argument, NULL, 'n' },
		{ "direction", required_argument, NULL, 'd' },
		{ "qid", required_argument, NULL, 'q' },
		{ "serve", no_argument, NULL, 'S' },
		{ "lint", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct checker_ctx ctx;
	struct run run;
	struct opts o;
	enum verdict worst = VERDICT_PASS, v;
	int ch, i, fd, serve = 0, lint = 0;

	log_init(c->name);
	memset(&ctx, 0, sizeof ctx);
	memset(&o, 0, sizeof o);
	if ((o.rcpt = calloc((size_t)argc + 1, sizeof *o.rcpt)) == NULL) {
		log_fatal(errno, "out of memory");
		return EXIT_TEMP;
	}
	while ((ch = getopt_long(argc, argv, "atC:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'a': ctx.annotate = 1; break;
		case 't': ctx.tagonly = 1; break;
		case 'C': ctl_set_dir(optarg); break;
		case 's': o.sender = optarg; break;
		case 'r': o.rcpt[o.nrcpt++] = optarg; break;
		case 'i': o.ip = optarg; break;
		case 'H': o.helo = optarg; break;
		case 'n': o.host = optarg; break;
		case 'q': o.qid = optarg; break;
		case 'S': serve = 1; break;
		case 'L': lint = 1; break;
		case 'd':
			if (env_dir_parse(optarg, &o.dir) == -1) {
				log_fatal(0, "direction must be in or out, not %s", optarg);
				free(o.rcpt);
				return EXIT_TEMP;
			}
			break;
		case 'h':
			usage(c->name);
			free(o.rcpt);
			return EXIT_PASS;
		default:
			usage(c->name);
			free(o.rcpt);
			return EXIT_TEMP;
		}
	}
	if (serve && argc > optind) {
		log_fatal(0, "--serve takes its messages from the job socket, not files");
		free(o.rcpt);
		return EXIT_TEMP;
	}
	if (ctx.annotate && argc - optind > 1) {
		log_fatal(0, "-a writes one message: give at most one file");
		free(o.rcpt);
		return EXIT_TEMP;
	}
	/* --lint, for a checker with no words of its own to add: what a
	 * run reads, read, and nothing judged */
	if (lint && checker_lint_common() == -1) {
		free(o.rcpt);
		return EXIT_TEMP;
	}
	if (common_init(&ctx) == -1 || (c->init && c->init(&ctx) == -1)) {
		free(o.rcpt);
		return EXIT_TEMP;
	}
	if (lint) {
		free(o.rcpt);
		printf("%s: configuration in %s ok\n", c->name, ctl_dir());
		return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
	}
	/* started: under the supervisor, no other program from now on */
	if (sandbox_tool() == -1) {
		log_fatal(errno, "unable to give up exec");
		free(o.rcpt);
		return EXIT_TEMP;
	}
	run.c = c;
	run.ctx = &ctx;
	own_name(c->name, run.own, sizeof run.own);
	if (serve) {
		struct job j = { &run, &o };
		i = serve_loop(serve_one, &j);
		free(o.rcpt);
		return i;
	}
	if (optind == argc)
		worst = one(&run, &o, 0, NULL);
	for (i = optind; i < argc; i++) {
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
			char cn[256];
			log_clean(cn, sizeof cn, argv[i], strlen(argv[i]));
			log_fatal(errno, "unable to open %s", cn);
			printf("%s: %s tempfail 4.3.0 unable to open: %s\n", cn,
			    c->name, strerror(errno));
			worst = verdict_worst(worst, VERDICT_TEMPFAIL);
			continue;
		}
		v = one(&run, &o, fd, argv[i]);
		close(fd);
		worst = verdict_worst(worst, v);
	}
	free(o.rcpt);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_fatal(errno, "unable to write output");
		return EXIT_TEMP;
	}
	if (ctx.tagonly && worst != VERDICT_TEMPFAIL)
		return EXIT_PASS;
	return verdict_exit(worst);
}
