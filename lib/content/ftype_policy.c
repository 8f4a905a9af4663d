/* ftype_policy: attachments(5) rules (see ftype_policy.h).  A rule file
 * that does not parse is a configuration error (exit 111 in the caller):
 * a typo must make mail wait, never pass it unchecked. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ftype_policy.h"

static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* One rule line into r; 0, or -1 with the reason in err. */
static int
parse_line(const char *line, unsigned lineno, struct ftype_rule *r,
    char *err, size_t errsize)
{
	char d[16], m[200], a[32], extra[8];
	const char *colon;
	int k;

	memset(r, 0, sizeof *r);
	r->lineno = lineno;
	k = sscanf(line, "%15s %199s %31s %7s", d, m, a, extra);
	if (k != 3) {
		snprintf(err, errsize, "line %u: want DIRECTION MATCH ACTION", lineno);
		return -1;
	}
	if (strcasecmp(d, "in") == 0)
		r->dir = FTYPE_POLICY_IN;
	else if (strcasecmp(d, "out") == 0)
		r->dir = FTYPE_POLICY_OUT;
	else if (strcasecmp(d, "both") == 0)
		r->dir = FTYPE_POLICY_IN | FTYPE_POLICY_OUT;
	else {
		snprintf(err, errsize, "line %u: direction must be in, out or both",
		    lineno);
		return -1;
	}
	if (verdict_parse(a, &r->action) == -1 || r->action == VERDICT_TEMPFAIL) {
		snprintf(err, errsize, "line %u: action must be pass, flag, "
		    "quarantine or reject", lineno);
		return -1;
	}
	if ((colon = strchr(m, ':')) == NULL || colon[1] == '\0' ||
	    strlen(colon + 1) >= sizeof r->glob) {
		snprintf(err, errsize, "line %u: match must be category:, type: or "
		    "ext: and a value", lineno);
		return -1;
	}
	snprintf(r->glob, sizeof r->glob, "%s", colon + 1);
	lower(r->glob);
	if (strncasecmp(m, "category:", 9) == 0) {
		r->kind = FTYPE_M_CATEGORY;
		if (strcmp(r->glob, "*") == 0)
			r->cat = ~0U;
		else if ((r->cat = ftype_cat_parse(r->glob)) == 0) {
			snprintf(err, errsize, "line %u: unknown category %.60s", lineno,
			    r->glob);
			return -1;
		}
	} else if (strncasecmp(m, "type:", 5) == 0)
		r->kind = FTYPE_M_TYPE;
	else if (strncasecmp(m, "ext:", 4) == 0)
		r->kind = FTYPE_M_EXT;
	else {
		snprintf(err, errsize, "line %u: match must be category:, type: or "
		    "ext:", lineno);
		return -1;
	}
	return 0;
}

/* The rules from a list of lines; 0, or -1 with the reason in err
 * (errno 0: a syntax error; otherwise a system error). */
int
ftype_policy_parse(struct ftype_policy *p, const struct ctl_list *l,
    char *err, size_t errsize)
{
	size_t i;

	if (l->n && (p->r = calloc(l->n, sizeof *p->r)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	for (i = 0; i < l->n; i++) {
		if (parse_line(l->v[i], l->lineno[i], &p->r[p->n], err, errsize) == -1) {
			errno = 0;
			return -1;
		}
		p->n++;
	}
	return 0;
}

/* The rules from control/attachments, else the shipped file.  A missing
 * file is an error too: this policy has no safe empty default. */
int
ftype_policy_load(struct ftype_policy *p, char *err, size_t errsize)
{
	struct ctl_list l;
	char e2[300];
	int r;

	memset(p, 0, sizeof *p);
	if ((r = ctl_rules(FTYPE_POLICY_RULES, &l)) <= 0) {
		if (r == 0)
			errno = ENOENT;
		snprintf(err, errsize, "unable to read the %s rules",
		    FTYPE_POLICY_RULES);
		return -1;
	}
	snprintf(p->path, sizeof p->path, "%s", l.path);
	if (ftype_policy_parse(p, &l, e2, sizeof e2) == -1) {
		int saved = errno;
		snprintf(err, errsize, "%.3000s: %s", l.path, e2);
		ctl_free(&l);
		errno = saved;
		return -1;
	}
	ctl_free(&l);
	return 0;
}

/* The first rule for this direction that fits one of the item's facts;
 * *why gets the category bit that matched (0 for type: and ext:). */
const struct ftype_rule *
ftype_policy_match(const struct ftype_policy *p, unsigned dir,
    const struct ftype_result *fr, unsigned *why)
{
	size_t i;

	*why = 0;
	for (i = 0; i < p->n; i++) {
		const struct ftype_rule *r = &p->r[i];
		if (!(r->dir & dir))
			continue;
		switch (r->kind) {
		case FTYPE_M_CATEGORY:
			if (fr->cat & r->cat) {
				unsigned b = fr->cat & r->cat;
				*why = b & (~b + 1);  /* the lowest: the most serious */
				return r;
			}
			break;
		case FTYPE_M_TYPE:
			if (fnmatch(r->glob, fr->type, 0) == 0)
				return r;
			break;
		case FTYPE_M_EXT:
			if (fr->ext[0] && fnmatch(r->glob, fr->ext, 0) == 0)
				return r;
			break;
		}
	}
	return NULL;
}

void
ftype_policy_free(struct ftype_policy *p)
{
	free(p->r);
	memset(p, 0, sizeof *p);
}
