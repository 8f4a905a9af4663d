/* logline: split one line of the gateway's log into its time, program
 * and fields (see logline.h).  Runs under the administrator's uid on
 * files anyone who could send mail had a hand in: bounded, and total. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "logline.h"

static int
digits(const char *s, size_t n, size_t k)
{
	size_t i;

	if (n < k)
		return -1;
	for (i = 0; i < k; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	return 0;
}

static int
num(const char *s, size_t k)
{
	int v = 0;
	size_t i;

	for (i = 0; i < k; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so that no time zone of the reader's enters. */
static long
days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* An ISO 8601 time at the start of s: YYYY-MM-DDTHH:MM:SS, optional
 * fraction, then Z, +HHMM or +HH:MM.  Seconds since the epoch and its
 * length in *used; -1 when s does not start with one. */
time_t
logline_time(const char *s, size_t n, size_t *used)
{
	int y, mo, d, h, mi, se, off = 0, sign = 1;
	size_t i = 19;

	if (digits(s, n, 4) == -1 || n < 19 || s[4] != '-' ||
	    digits(s + 5, 2, 2) == -1 || s[7] != '-' || digits(s + 8, 2, 2) == -1 ||
	    (s[10] != 'T' && s[10] != ' ') || digits(s + 11, 2, 2) == -1 ||
	    s[13] != ':' || digits(s + 14, 2, 2) == -1 || s[16] != ':' ||
	    digits(s + 17, 2, 2) == -1)
		return -1;
	y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
	h = num(s + 11, 2), mi = num(s + 14, 2), se = num(s + 17, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	if (i < n && (s[i] == '.' || s[i] == ','))
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	if (i < n && s[i] == 'Z')
		i++;
	else if (i < n && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '-' ? -1 : 1;
		if (digits(s + i + 1, n - i - 1, 2) == -1)
			return -1;
		off = num(s + i + 1, 2) * 60;
		i += 3;
		if (i < n && s[i] == ':')
			i++;
		if (digits(s + i, n - i, 2) == 0) {
			off += num(s + i, 2);
			i += 2;
		}
		off *= sign;
	}
	*used = i;
	return (time_t)(days_from_civil(y, mo, d) * 86400L + h * 3600L +
	    mi * 60L + se - off * 60L);
}

/* "prog:" or "prog[pid]:" at s (a word of letters, digits, '-', '_'
 * and '.'): its length up to and with the colon, else 0. */
static size_t
prog_token(const char *s, struct logline *l)
{
	size_t i = 0, p0, pl;

	while (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' ||
	    s[i] == '.')
		i++;
	if (i == 0 || i >= sizeof l->prog)
		return 0;
	pl = i;
	p0 = 0;
	if (s[i] == '[') {
		p0 = ++i;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (s[i] != ']' || i == p0 || i - p0 >= sizeof l->pid)
			return 0;
		i++;
	}
	if (s[i] != ':' || (s[i + 1] != ' ' && s[i + 1] != '\0'))
		return 0;
	memcpy(l->prog, s, pl);
	l->prog[pl] = '\0';
	if (p0) {
		memcpy(l->pid, s + p0, i - 1 - p0);
		l->pid[i - 1 - p0] = '\0';
	} else
		l->pid[0] = '\0';
	return i + 1;
}

/* Split one line.  0, or -1 when it is not a line of ours (no program
 * before the text). */
int
logline_parse(const char *s, size_t n, struct logline *l)
{
	char *p, *sp;
	size_t used, k, hops;

	memset(l, 0, sizeof *l);
	l->t = -1;
	if (n > LOGLINE_MAX)
		n = LOGLINE_MAX;
	memcpy(l->buf, s, n);
	l->buf[n] = '\0';
	/* a NUL, CR or LF inside ends the line */
	l->buf[strcspn(l->buf, "\r\n")] = '\0';
	p = l->buf;
	if ((l->t = logline_time(p, strlen(p), &used)) != -1) {
		p += used;
		while (*p == ' ')
			p++;
	}
	/* the program: "prog[pid]: "; under a journal the unit's
	 * "HOST portcullis[PID]: " comes first, and the program's own after
	 * it, so a second one is taken only after one with a pid (never the
	 * "fatal:" of a message) */
	for (hops = 0; hops < 3 && *p; hops++) {
		char save[sizeof l->prog], spid[sizeof l->pid];
		if (l->prog[0] && l->pid[0] == '\0')
			break;
		memcpy(save, l->prog, sizeof save);
		memcpy(spid, l->pid, sizeof spid);
		if ((k = prog_token(p, l)) != 0) {
			p += k;
			while (*p == ' ')
				p++;
			if (hops > 0 && l->prog[0] && save[0])
				break;
			continue;
		}
		memcpy(l->prog, save, sizeof save);
		memcpy(l->pid, spid, sizeof spid);
		/* a host name first, once, before any program */
		if (hops == 0 && (sp = strchr(p, ' ')) != NULL) {
			p = sp + 1;
			while (*p == ' ')
				p++;
			continue;
		}
		break;
	}
	if (l->prog[0] == '\0')
		return -1;
	snprintf(l->text, sizeof l->text, "%s", p);
	/* key=value fields; reason= and reply= take the rest of the line */
	while (*p && l->nf < LOGLINE_MAX_FIELDS) {
		char *eq;
		while (*p == ' ')
			p++;
		sp = p + strcspn(p, " ");
		eq = memchr(p, '=', (size_t)(sp - p));
		if (eq == NULL || eq == p) {
			p = *sp ? sp + 1 : sp;
			continue;
		}
		/* an address in angle brackets may hold spaces (a quoted
		 * local part): it runs to the '>' before a space or the end */
		if (eq[1] == '<') {
			char *gt = eq + 1;
			while ((gt = strchr(gt + 1, '>')) != NULL && gt[1] != ' ' &&
			    gt[1] != '\0')
				;
			if (gt != NULL)
				sp = gt + 1;
		}
		*eq = '\0';
		l->f[l->nf].key = p;
		l->f[l->nf].val = eq + 1;
		l->nf++;
		if (strcmp(p, "reason") == 0 || strcmp(p, "reply") == 0) {
			/* the supervisor's quarantine lines end in
			 * " quarantine=ID" after the reason */
			char *q = strstr(eq + 1, " quarantine=");
			if (q && strchr(q + 12, ' ') == NULL &&
			    l->nf < LOGLINE_MAX_FIELDS) {
				*q = '\0';
				q[11] = '\0';
				l->f[l->nf].key = q + 1;
				l->f[l->nf].val = q + 12;
				l->nf++;
			}
			break;
		}
		if (*sp == '\0')
			break;
		*sp = '\0';
		p = sp + 1;
	}
	return 0;
}

/* The value of key, or NULL. */
const char *
logline_get(const struct logline *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->nf; i++)
		if (strcmp(l->f[i].key, key) == 0)
			return l->f[i].val;
	return NULL;
}
