/* score_conf: everything spam-score reads when it starts (spam-score(8)):
 * the rule files of both directions (spam, outbound: the control
 * directory's copy, else the shipped one), the notices their rules name,
 * the thresholds, the Subject tag, the Bayes settings and the MIME
 * limits.  Rule files and control files are the administrator's, read
 * strictly: a mistake is an error naming the file and line.  Runs under
 * any uid; library code. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "score_bayes.h"
#include "score_conf.h"

/* control/spamthresholds: "in|out flag|quarantine|reject SCORE" lines. */
static int
thresholds(struct score_conf *c, char *err, size_t es)
{
	static const char *const lv[] = { "flag", "quarantine", "reject" };
	struct ctl_list l;
	size_t i;
	int d, k;

	for (d = 0; d < 2; d++) {
		c->thr[d][SCORE_FLAG] = 5.0;
		c->thr[d][SCORE_QUARANTINE] = SCORE_OFF;
		c->thr[d][SCORE_REJECT] = d ? 10.0 : SCORE_OFF;
	}
	if (ctl_lines("spamthresholds", &l) == -1) {
		snprintf(err, es, "unable to read %s/spamthresholds: %s", ctl_dir(),
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		char dir[8], lvl[16], num[32], extra[2];
		char *end;
		double v;
		if (sscanf(l.v[i], "%7s %15s %31s %1s", dir, lvl, num, extra) != 3)
			goto bad;
		d = strcmp(dir, "in") == 0 ? 0 : strcmp(dir, "out") == 0 ? 1 : -1;
		for (k = 0; k < 3 && strcmp(lvl, lv[k]) != 0; k++)
			;
		if (d < 0 || k == 3)
			goto bad;
		if (strcmp(num, "off") == 0)
			v = SCORE_OFF;
		else {
			v = strtod(num, &end);
			if (*end || !isfinite(v) || fabs(v) > 1000)
				goto bad;
		}
		c->thr[d][k] = v;
		continue;
bad:
		snprintf(err, es, "%s line %u: want \"in|out flag|quarantine|reject "
		    "SCORE|off\"", l.path, l.lineno[i]);
		ctl_free(&l);
		return -1;
	}
	ctl_free(&l);
	return 0;
}

/* control/bayesautolearn: "SPAM HAM", the scores without Bayes at or
 * above which a message is learned as spam, at or below which as ham;
 * SpamAssassin's 12.0 and 0.1 when the file has no line; off when there
 * is no file. */
static int
autolearn(struct score_conf *c, char *err, size_t es)
{
	struct ctl_list l;
	char a[32], b[32], extra[2], *ea, *eb;
	int r;

	c->al_spam = 12.0;
	c->al_ham = 0.1;
	if ((r = ctl_lines("bayesautolearn", &l)) == -1) {
		snprintf(err, es, "unable to read %s/bayesautolearn: %s", ctl_dir(),
		    strerror(errno));
		return -1;
	}
	c->autolearn = r == 1;
	if (l.n > 0) {
		if (l.n > 1 || sscanf(l.v[0], "%31s %31s %1s", a, b, extra) != 2)
			goto bad;
		c->al_spam = strtod(a, &ea);
		c->al_ham = strtod(b, &eb);
		if (*ea || *eb || !isfinite(c->al_spam) || !isfinite(c->al_ham) ||
		    c->al_ham >= c->al_spam || fabs(c->al_spam) > 1000 ||
		    fabs(c->al_ham) > 1000)
			goto bad;
	}
	ctl_free(&l);
	return 0;
bad:
	snprintf(err, es, "%s line %u: want \"SPAM HAM\", two scores, SPAM above "
	    "HAM", l.path, l.lineno[0]);
	ctl_free(&l);
	return -1;
}

/* A notice file named by a rule: its first line is the summary that goes
 * into the verdict (and so into the bounce), all of it into --explain. */
static int
notice(struct score_conf *c, const char *name, char *err, size_t es)
{
	struct ctl_list l;
	char rel[200];
	struct score_notice *nn;
	size_t i;
	int r;

	for (i = 0; i < c->nnotices; i++)
		if (strcmp(c->notices[i].name, name) == 0)
			return 0;
	snprintf(rel, sizeof rel, "notices/%s", name);
	if ((r = ctl_rules(rel, &l)) <= 0) {
		snprintf(err, es, "unable to read the notice %s: %s", rel,
		    r == 0 ? "No such file" : strerror(errno));
		if (r == 0)
			ctl_free(&l);
		return -1;
	}
	if (l.n == 0) {
		snprintf(err, es, "%s: empty notice", l.path);
		ctl_free(&l);
		return -1;
	}
	if ((nn = reallocarray(c->notices, c->nnotices + 1, sizeof *nn)) == NULL) {
		ctl_free(&l);
		snprintf(err, es, "out of memory");
		return -1;
	}
	c->notices = nn;
	nn = &c->notices[c->nnotices++];
	memset(nn, 0, sizeof *nn);
	snprintf(nn->name, sizeof nn->name, "%s", name);
	log_clean(nn->summary, sizeof nn->summary, l.v[0], strlen(l.v[0]));
	for (i = 0; i < l.n; i++)
		if (buf_adds(&nn->text, l.v[i]) == -1 || buf_addc(&nn->text, '\n') == -1) {
			ctl_free(&l);
			snprintf(err, es, "out of memory");
			return -1;
		}
	ctl_free(&l);
	return 0;
}

const struct score_notice *
score_conf_notice(const struct score_conf *c, const char *name)
{
	size_t i;

	for (i = 0; name && i < c->nnotices; i++)
		if (strcmp(c->notices[i].name, name) == 0)
			return &c->notices[i];
	return NULL;
}

/* The administrator's additions to a shipped rule file: NAME.local in
 * the control directory (spam.local, outbound.local), read after the
 * rules so that an update of the shipped file never touches them.  Its
 * lines are rule lines (new rules; metas may use shipped rules),
 * "score NAME N" (another weight) and "disable NAME" (the rule never
 * runs; a meta that uses it sees it miss).  0, or -1 with err naming the
 * file and line. */
static int
local_rules(struct score_set *s, const char *name, char *err, size_t es)
{
	struct ctl_list l;
	char local[64], e[512], w[SCORE_NAME_MAX + 16];
	size_t i;
	long k;

	snprintf(local, sizeof local, "%s.local", name);
	if (ctl_lines(local, &l) == -1) {
		snprintf(err, es, "unable to read %s/%s: %s", ctl_dir(), local,
		    log_errtext(errno));
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		const char *v = l.v[i];
		if (strncmp(v, "disable", 7) == 0 && (v[7] == ' ' || v[7] == '\t')) {
			v += 8 + strspn(v + 8, " \t");
			if (strlen(v) >= sizeof w || sscanf(v, "%79s", w) != 1 ||
			    strlen(w) != strcspn(v, " \t") || v[strlen(w)] != '\0' ||
			    (k = score_set_find(s, w)) < 0) {
				snprintf(err, es, "%s line %u: disable of an unknown rule "
				    "'%.80s'", l.path, l.lineno[i], v);
				ctl_free(&l);
				return -1;
			}
			s->r[k].test = -2;   /* off, as a %orgname% rule without one */
			continue;
		}
		if (score_set_line(s, v, l.lineno[i], e, sizeof e) == -1) {
			snprintf(err, es, "%s line %u: %s", l.path, l.lineno[i], e);
			ctl_free(&l);
			return -1;
		}
	}
	ctl_free(&l);
	return 0;
}

/* One rule file into set d (0 in, 1 out).  0, or -1 with err. */
static int
rules(struct score_conf *c, int d, const char *name, int eager, char *err,
    size_t es)
{
	struct score_set *s = &c->set[d];
	struct ctl_list l;
	char e[512];
	size_t i;
	int r;

	score_set_init(s);
	s->eager = eager;
	if (ctl_string("orgname", "", s->orgname, sizeof s->orgname) == -1) {
		snprintf(err, es, "unable to read %s/orgname: %s", ctl_dir(),
		    strerror(errno));
		return -1;
	}
	if ((r = ctl_rules(name, &l)) <= 0) {
		snprintf(err, es, "unable to read the rules %s: %s", name,
		    r == 0 ? "No such file or directory" : strerror(errno));
		if (r == 0)
			ctl_free(&l);
		return -1;
	}
	snprintf(c->path[d], sizeof c->path[d], "%s", l.path);
	for (i = 0; i < l.n; i++)
		if (score_set_line(s, l.v[i], l.lineno[i], e, sizeof e) == -1) {
			snprintf(err, es, "%s line %u: %s", l.path, l.lineno[i], e);
			ctl_free(&l);
			return -1;
		}
	ctl_free(&l);
	if (local_rules(s, name, err, es) == -1)
		return -1;
	if (score_set_finish(s, e, sizeof e) == -1) {
		snprintf(err, es, "%s: %s", c->path[d], e);
		return -1;
	}
	for (i = 0; i < s->n; i++)
		if (s->r[i].notice && notice(c, s->r[i].notice, err, es) == -1)
			return -1;
	return 0;
}

/* Read it all into c.  0, or -1 with the reason in err. */
int
score_conf_load(struct score_conf *c, int eager, char *err, size_t es)
{
	memset(c, 0, sizeof *c);
	score_set_init(&c->set[0]);
	score_set_init(&c->set[1]);
	if (thresholds(c, err, es) == -1 || autolearn(c, err, es) == -1 ||
	    rules(c, 0, SCORE_RULES_IN, eager, err, es) == -1 ||
	    rules(c, 1, SCORE_RULES_OUT, eager, err, es) == -1)
		return -1;
	if (ctl_string("spamsubject", "", c->subject, sizeof c->subject) == -1 ||
	    ctl_string("bayesdb", "", c->dbpath, sizeof c->dbpath) == -1 ||
	    ctl_ulong("bayesmin", SCORE_BAYES_MIN, 1, 1000000, &c->bayesmin) == -1 ||
	    ctl_ulong("bayesmaxtokens", 0, 100, 1000000000, &c->bayesmaxtokens) == -1 ||
	    mime_limits_ctl(&c->lim) == -1) {
		snprintf(err, es, "unable to read the control files in %s: %s",
		    ctl_dir(), log_errtext(errno));
		return -1;
	}
	return 0;
}

void
score_conf_free(struct score_conf *c)
{
	size_t i;

	score_set_free(&c->set[0]);
	score_set_free(&c->set[1]);
	for (i = 0; i < c->nnotices; i++)
		buf_free(&c->notices[i].text);
	free(c->notices);
	memset(c, 0, sizeof *c);
}
