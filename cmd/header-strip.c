/* header-strip: the rewriter that removes from a message's header what
 * only the inside of the organisation should see (outbound: internal
 * Received hops, client addresses, Exchange bookkeeping, software
 * versions, internal names and addresses in what trace remains) and what
 * only portcullis may write (inbound: our verdict headers, an
 * Authentication-Results with our authserv-id).  What goes is decided by a
 * rule file (header-strip(5)); every byte of what stays is copied as it
 * came.  The message is untrusted; the rule file and control files are
 * the administrator's.  Runs under the uid of its caller, never as root
 * by the supervisor's choice; reads only the control directory, the rule
 * file and its input, and writes only stdout and stderr. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authres.h"
#include "ctl.h"
#include "emit.h"
#include "env.h"
#include "hdr.h"
#include "inside.h"
#include "log.h"
#include "sandbox.h"
#include "msg.h"
#include "re.h"
#include "serve.h"
#include "verdict.h"

#define RULES_NAME "header-strip"
#define DIR_IN  0x1
#define DIR_OUT 0x2

enum action { ACT_DROP, ACT_INTERNAL, ACT_SCRUB, ACT_OURS };

struct rule {
	enum action act;
	unsigned    dirs;     /* DIR_IN, DIR_OUT or both */
	unsigned    lineno;
	struct re  *re;
};

struct strip {
	struct rule   *rule;
	size_t         nrule;
	unsigned       dir;          /* the direction of this run */
	struct inside  in;           /* control/internalhosts */
	char           me[256];      /* control/me: our authserv-id */
	size_t         maxbytes;     /* control/databytes + 1 MiB */
	struct hdr_limits hlim;      /* control/headerfields, headerbytes */
	char           path[4096];   /* the rule file read */
	unsigned long  removed, scrubbed;
	unsigned       failed_line;  /* the rule a match failed on */
	int            edit_failed;  /* the header, not the output, failed */
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: header-strip [-C dir] [--direction in|out] [file]\n"
	    "       header-strip [-C dir] --lint\n");
}

/* The direction of this run: --direction, else $DIRECTION, else out
 * (the tool exists for outbound mail). */
static int
set_direction(struct strip *s, const char *arg)
{
	const char *d = arg ? arg : getenv("DIRECTION");
	enum env_dir e = ENV_DIR_OUT;
	char c[64];

	if (d && *d && env_dir_parse(d, &e) == -1) {
		log_clean(c, sizeof c, d, strlen(d));
		log_fatal(0, "direction must be in or out, not %s", c);
		return -1;
	}
	s->dir = e == ENV_DIR_IN ? DIR_IN : DIR_OUT;
	return 0;
}

/* control/me, control/databytes and control/internalhosts.  Missing files
 * mean their defaults; unreadable or wrong ones are fatal (111), since a
 * broken install must make mail wait, never let it out unstripped. */
static int
load_control(struct strip *s)
{
	struct ctl_list l;
	unsigned long db;
	size_t i;

	if (ctl_me(s->me, sizeof s->me) == -1) {
		log_fatal(errno, "unable to read %s/me", ctl_dir());
		return -1;
	}
	/* The same cap as every checker's (lib/core/checker.c). */
	if (ctl_databytes(&db, &s->maxbytes) == -1) {
		log_fatal(errno, "unable to read %s/databytes", ctl_dir());
		return -1;
	}
	if (ctl_hdr_limits(&s->hlim) == -1) {
		log_fatal(errno, "unable to read %s/headerfields or headerbytes",
		    ctl_dir());
		return -1;
	}
	if (ctl_lines("internalhosts", &l) == -1) {
		log_fatal(errno, "unable to read %s/internalhosts", ctl_dir());
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		if (inside_add(&s->in, l.v[i]) == -1) {
			char c[256];
			log_clean(c, sizeof c, l.v[i], strlen(l.v[i]));
			if (errno == EINVAL)
				log_fatal(0, "%s line %u: neither a host name, a "
				    ".domain nor an address: %s", l.path,
				    l.lineno[i], c);
			else
				log_fatal(errno, "unable to read %s", l.path);
			ctl_free(&l);
			return -1;
		}
	}
	ctl_free(&l);
	return 0;
}

/* Split "ACTION DIRECTION PATTERN" (the pattern is the rest of the line)
 * and compile it into r.  0, or -1 after logging why. */
static int
parse_rule(struct strip *s, const char *line, unsigned lineno, int lint,
    struct rule *r)
{
	static const char *const acts[] = { "drop", "internal", "scrub", "ours" };
	char act[32] = "", dir[32] = "", err[300], c[256];
	const char *p = line, *pat;
	size_t n, k;

	r->lineno = lineno;
	n = strcspn(p, " \t");
	if (n < sizeof act)
		memcpy(act, p, n);
	p += n + strspn(p + n, " \t");
	n = strcspn(p, " \t");
	if (n < sizeof dir)
		memcpy(dir, p, n);
	pat = p + n + strspn(p + n, " \t");
	if (*pat == '\0') {
		log_fatal(0, "rules line %u of %s: expected ACTION DIRECTION "
		    "PATTERN", lineno, s->path);
		return -1;
	}
	for (k = 0; k < sizeof acts / sizeof acts[0]; k++)
		if (strcmp(act, acts[k]) == 0)
			break;
	if (k == sizeof acts / sizeof acts[0]) {
		log_clean(c, sizeof c, line, strcspn(line, " \t"));
		log_fatal(0, "rules line %u of %s: unknown action \"%s\" (drop, "
		    "internal, scrub or ours)", lineno, s->path, c);
		return -1;
	}
	r->act = (enum action)k;
	if (strcmp(dir, "in") == 0)
		r->dirs = DIR_IN;
	else if (strcmp(dir, "out") == 0)
		r->dirs = DIR_OUT;
	else if (strcmp(dir, "both") == 0)
		r->dirs = DIR_IN | DIR_OUT;
	else {
		log_clean(c, sizeof c, dir, strlen(dir));
		log_fatal(0, "rules line %u of %s: unknown direction \"%s\" (in, "
		    "out or both)", lineno, s->path, c);
		return -1;
	}
	if ((r->re = re_compile(pat, RE_ICASE, err, sizeof err)) == NULL) {
		log_clean(c, sizeof c, pat, strlen(pat));
		if (errno == EINVAL)
			log_fatal(0, "rules line %u of %s: pattern \"%s\": %s",
			    lineno, s->path, c, err);
		else
			log_fatal(errno, "rules line %u of %s", lineno, s->path);
		return -1;
	}
	/* "Received" alone also matches "X-Received" */
	if (lint && *pat != '^')
		log_warn(0, "rules line %u of %s: pattern does not start with ^, "
		    "so it also matches inside longer names", lineno, s->path);
	return 0;
}

/* The rule file: the administrator's copy in the control directory, else
 * the shipped one.  Not finding either is fatal: without rules nothing
 * would be stripped. */
static int
load_rules(struct strip *s, int lint)
{
	struct ctl_list l;
	size_t i;
	int r;

	if ((r = ctl_rules(RULES_NAME, &l)) != 1) {
		log_fatal(r == 0 ? ENOENT : errno, "unable to read rules %s",
		    RULES_NAME);
		return -1;
	}
	snprintf(s->path, sizeof s->path, "%s", l.path);
	if ((s->rule = calloc(l.n ? l.n : 1, sizeof *s->rule)) == NULL) {
		log_fatal(errno, "unable to read rules %s", s->path);
		ctl_free(&l);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		if (parse_rule(s, l.v[i], l.lineno[i], lint, &s->rule[i]) == -1) {
			ctl_free(&l);
			return -1;
		}
		s->nrule++;
	}
	ctl_free(&l);
	return 0;
}

static void
free_rules(struct strip *s)
{
	size_t i;

	for (i = 0; i < s->nrule; i++)
		re_free(s->rule[i].re);
	free(s->rule);
	s->rule = NULL;
	s->nrule = 0;
}

/* The edit callback (emit_head_edit): what happens to field i.  Rules do
 * not shadow each other: any rule that removes the field removes it,
 * else a matching scrub rule rewrites what names the inside. */
static int
edit(void *arg, const struct hdr *h, size_t i, struct buf *repl)
{
	struct strip *s = arg;
	const struct hdr_field *f = &h->f[i];
	const char *name = h->base + f->off, *val = h->base + f->val_off;
	int scrub = 0, m;
	size_t k;

	/* a line without a colon has no name for a rule to match */
	if (f->name_len == 0)
		return EMIT_KEEP;
	for (k = 0; k < s->nrule; k++) {
		const struct rule *r = &s->rule[k];

		if (!(r->dirs & s->dir))
			continue;
		if ((m = re_match(r->re, name, f->name_len, 0, NULL, NULL)) == -1) {
			s->failed_line = r->lineno;
			goto fail;
		}
		if (m == 0)
			continue;
		if (r->act == ACT_DROP ||
		    (r->act == ACT_OURS && authres_id_is(val, f->val_len, s->me)))
			goto drop;
		if (r->act == ACT_INTERNAL) {
			if ((m = inside_find(&s->in, val, f->val_len)) == -1)
				goto fail;
			if (m)
				goto drop;
		}
		if (r->act == ACT_SCRUB)
			scrub = 1;
	}
	if (!scrub)
		return EMIT_KEEP;
	/* the name and colon as they came, then the value and its line ends
	 * with what names the inside replaced */
	if (buf_add(repl, name, f->val_off - f->off) == -1 ||
	    (m = inside_redact(&s->in, val, f->off + f->len - f->val_off,
	    repl)) == -1)
		goto fail;
	if (m == 0)
		return EMIT_KEEP;
	s->scrubbed++;
	return EMIT_REPLACE;
drop:
	s->removed++;
	return EMIT_DROP;
fail:
	s->edit_failed = 1;
	return -1;
}

static const char *
dir_name(const struct strip *s)
{
	return s->dir == DIR_IN ? "in" : "out";
}

/* Rewrite one message from file (stdin when NULL) onto stdout and log
 * it; returns the exit status.  Nothing reaches stdout unless the whole
 * head was rewritten. */
static int
strip_one(struct strip *s, const char *file, const char *q)
{
	struct msg m;
	struct hdr h;
	char cf[256];
	int rc = EXIT_TEMP, r;

	/* per message: a resident strips one after another */
	s->removed = s->scrubbed = 0;
	s->failed_line = 0;
	s->edit_failed = 0;
	memset(&h, 0, sizeof h);
	r = file ? msg_read_file(file, s->maxbytes, &m) :
	    msg_read_fd(0, s->maxbytes, &m);
	if (r == -1 && errno == EFBIG) {
		/* it cannot be rewritten whole, and must not leave unstripped;
		 * permanent, as the checkers' 5.3.4 for the same message */
		log_info("qid=%s verdict=reject direction=%s reason=message "
		    "exceeds %zu bytes", q, dir_name(s), s->maxbytes);
		rc = EXIT_REJECT;
	} else if (r == -1) {
		if (file)
			log_clean(cf, sizeof cf, file, strlen(file));
		log_fatal(errno, "unable to read %s", file ? cf : "message");
	} else if (hdr_parse(&h, m.raw.p ? m.raw.p : "", m.hdr_off, m.hdr_len,
	    &s->hlim) == -1) {
		log_fatal(errno, "unable to parse the header");
	} else if (h.flags & (HDR_TOOBIG | HDR_TOOMANY)) {
		/* fields past the limit were never looked at: we could not
		 * promise that nothing internal leaves */
		log_info("qid=%s verdict=reject direction=%s reason=header section "
		    "exceeds the %s limit", q, dir_name(s),
		    h.flags & HDR_TOOBIG ? "size" : "field count");
		rc = EXIT_REJECT;
	} else if (emit_message_edit(1, &m, &h, NULL, edit, s) == -1) {
		if (s->failed_line)
			log_fatal(errno, "rules line %u of %s: unable to match",
			    s->failed_line, s->path);
		else if (s->edit_failed)
			log_fatal(errno, "unable to rewrite the header");
		else
			log_fatal(errno, "unable to write the message");
	} else {
		log_info("qid=%s verdict=pass direction=%s removed=%lu scrubbed=%lu",
		    q, dir_name(s), s->removed, s->scrubbed);
		rc = EXIT_PASS;
	}
	hdr_free(&h);
	msg_free(&m);
	return rc;
}

/* The queue id for the log lines: QUEUEID, made printable, or "-". */
static void
queue_id(char *q, size_t n)
{
	const char *qid = getenv("QUEUEID");

	if (qid)
		log_clean(q, n, qid, strlen(qid));
	else
		snprintf(q, n, "-");
}

/* One job of a resident (--serve, serve.h): the message on stdin, the
 * envelope in the environment as for a run of its own. */
struct job {
	struct strip *s;
	const char   *dirarg;
};

static int
serve_one(void *arg)
{
	struct job *j = arg;
	char q[64];

	queue_id(q, sizeof q);
	if (set_direction(j->s, j->dirarg) == -1)
		return EXIT_TEMP;
	return strip_one(j->s, NULL, q);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "direction", required_argument, NULL, 'd' },
		{ "lint", no_argument, NULL, 'l' },
		{ "serve", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct strip s;
	const char *dirarg = NULL;
	char q[64];
	int ch, lint = 0, serve = 0, rc = EXIT_TEMP;

	log_init("header-strip");
	memset(&s, 0, sizeof s);
	/* a reader that goes away is a write error (111), not a signal */
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "C:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'C': ctl_set_dir(optarg); break;
		case 'd': dirarg = optarg; break;
		case 'l': lint = 1; break;
		case 'S': serve = 1; break;
		case 'h': usage(stdout); return EXIT_PASS;
		default: usage(stderr); return EXIT_TEMP;
		}
	}
	if (argc - optind > (lint || serve ? 0 : 1)) {
		usage(stderr);
		return EXIT_TEMP;
	}
	queue_id(q, sizeof q);
	if (set_direction(&s, dirarg) == -1 || load_control(&s) == -1 ||
	    load_rules(&s, lint) == -1)
		goto out;
	if (sandbox_tool() == -1) {
		log_fatal(errno, "unable to give up exec");
		goto out;
	}
	if (lint) {
		printf("%s: %zu rule%s\n", s.path, s.nrule, s.nrule == 1 ? "" : "s");
		rc = fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
	} else if (serve) {
		struct job j = { &s, dirarg };
		rc = serve_loop(serve_one, &j);
	} else
		rc = strip_one(&s, optind < argc ? argv[optind] : NULL, q);
out:
	free_rules(&s);
	inside_free(&s.in);
	return rc;
}
