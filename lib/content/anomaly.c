/* anomaly: actions for the walker's structural anomalies (see anomaly.h).
 * Runs under any uid. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "anomaly.h"
#include "ctl.h"
#include "mime.h"

/* The anomalies a policy may name, with their default action.  The
 * ambiguities already fall under the attachment policy's category
 * "ambiguous"; the limits, containers and names under theirs. */
static const struct {
	unsigned     flag;
	enum verdict def;
} table[] = {
	{ MIME_AMBIG_CT,     VERDICT_QUARANTINE },
	{ MIME_AMBIG_CTE,    VERDICT_QUARANTINE },
	{ MIME_AMBIG_PARAM,  VERDICT_QUARANTINE },
	{ MIME_AMBIG_NAME,   VERDICT_QUARANTINE },
	{ MIME_NOEND,        VERDICT_FLAG },       /* every reader ends it alike */
	{ MIME_NOBOUNDARY,   VERDICT_QUARANTINE },
	{ MIME_NOSTART,      VERDICT_QUARANTINE },
	{ MIME_BADCTE,       VERDICT_QUARANTINE }, /* yEnc and the like: decoded
	                                            * by some readers, not by us */
	{ MIME_BADB64,       VERDICT_QUARANTINE },
	{ MIME_BADQP,        VERDICT_FLAG },       /* common in real text */
	{ MIME_NOHDR,        VERDICT_FLAG },       /* legal when it starts with
	                                            * an empty line; the lenient
	                                            * reading looks further */
	{ MIME_BADHDR,       VERDICT_QUARANTINE },
	{ MIME_ENCMSG,       VERDICT_QUARANTINE },
	{ MIME_HIDDEN,       VERDICT_FLAG },       /* quoted mail does it; what
	                                            * the lenient reading finds
	                                            * there is judged */
	{ MIME_READING,      VERDICT_QUARANTINE },
	{ MIME_LONECR,       VERDICT_FLAG },
	{ MIME_BADQPBIN,     VERDICT_QUARANTINE },
};

static int
bit(unsigned flag)
{
	int b = 0;

	while (b < ANOMALY_MAX - 1 && !(flag & 1U << b))
		b++;
	return b;
}

void
anomaly_default(struct anomaly_policy *p)
{
	size_t i;

	for (i = 0; i < ANOMALY_MAX; i++)
		p->act[i] = VERDICT_PASS;
	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		p->act[bit(table[i].flag)] = table[i].def;
}

/* The defaults, then control/mimeanomalies: lines "NAME ACTION".  0, or
 * -1 with a message in err (errno 0 for a bad line). */
int
anomaly_load(struct anomaly_policy *p, char *err, size_t errsize)
{
	struct ctl_list l;
	char fl[64];
	size_t i, k;

	anomaly_default(p);
	if (ctl_lines(ANOMALY_CTL, &l) == -1) {
		snprintf(err, errsize, "unable to read %s/%s", ctl_dir(), ANOMALY_CTL);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		char name[64], act[32];
		enum verdict v;
		int found = 0;
		if (sscanf(l.v[i], "%63s %31s", name, act) != 2 ||
		    verdict_parse(act, &v) == -1 || v == VERDICT_TEMPFAIL) {
			snprintf(err, errsize, "%s line %u: want NAME pass|flag|"
			    "quarantine|reject", l.path, l.lineno[i]);
			ctl_free(&l);
			errno = 0;
			return -1;
		}
		for (k = 0; k < sizeof table / sizeof table[0]; k++)
			if (strcmp(mime_flag_names(table[k].flag, fl, sizeof fl),
			    name) == 0) {
				p->act[bit(table[k].flag)] = v;
				found = 1;
			}
		if (!found) {
			snprintf(err, errsize, "%s line %u: no anomaly is called %s",
			    l.path, l.lineno[i], name);
			ctl_free(&l);
			errno = 0;
			return -1;
		}
	}
	ctl_free(&l);
	return 0;
}

/* The worst action for the anomalies in flags; the first anomaly with it
 * named in name. */
enum verdict
anomaly_judge(const struct anomaly_policy *p, unsigned flags, char *name,
    size_t namesize)
{
	enum verdict w = VERDICT_PASS;
	int b;

	if (namesize)
		name[0] = '\0';
	for (b = 0; b < ANOMALY_MAX; b++)
		if ((flags & 1U << b) && p->act[b] > w) {
			w = p->act[b];
			mime_flag_names(1U << b, name, namesize);
		}
	return w;
}
