/* env: the envelope (see env.h).  Environment values are set by the
 * supervisor or the administrator; trace headers are untrusted and only
 * the one written by our own host name is believed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "ctl.h"
#include "env.h"
#include "ip.h"

int
env_set(char **field, const char *value)
{
	char *d = strdup(value);

	if (d == NULL)
		return -1;
	free(*field);
	*field = d;
	return 0;
}

/* Add one recipient, with the angle brackets of SMTP removed. */
int
env_add_rcpt(struct envelope *e, const char *s, size_t n)
{
	char **nr, *d;

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	if (n == 0)
		return 0;
	if ((nr = reallocarray(e->rcpt, e->nrcpt + 1, sizeof *nr)) == NULL)
		return -1;
	e->rcpt = nr;
	if ((d = strndup(s, n)) == NULL)
		return -1;
	e->rcpt[e->nrcpt++] = d;
	return 0;
}

int
env_dir_parse(const char *s, enum env_dir *d)
{
	if (strcasecmp(s, "in") == 0 || strcasecmp(s, "inbound") == 0)
		*d = ENV_DIR_IN;
	else if (strcasecmp(s, "out") == 0 || strcasecmp(s, "outbound") == 0)
		*d = ENV_DIR_OUT;
	else
		return -1;
	return 0;
}

const char *
env_dir_name(enum env_dir d)
{
	return d == ENV_DIR_OUT ? "out" : d == ENV_DIR_IN ? "in" : "unknown";
}

static int
set_from(char **field, const char *var)
{
	const char *v = getenv(var);

	return v ? env_set(field, v) : 0;
}

/* Fill e from the environment.  0, or -1 with EINVAL for a DIRECTION that
 * is neither in nor out. */
int
env_from_environ(struct envelope *e)
{
	const char *r = getenv("RECIPIENT"), *d = getenv("DIRECTION");

	if (set_from(&e->sender, "SENDER") == -1 ||
	    set_from(&e->ip, "TCPREMOTEIP") == -1 ||
	    set_from(&e->host, "TCPREMOTEHOST") == -1 ||
	    set_from(&e->helo, "HELO") == -1 ||
	    set_from(&e->tls, "TLS") == -1 ||
	    set_from(&e->qid, "QUEUEID") == -1)
		return -1;
	if (e->sender) {
		/* SENDER may carry SMTP's brackets; "<>" is the null sender */
		size_t n = strlen(e->sender);
		if (n >= 2 && e->sender[0] == '<' && e->sender[n - 1] == '>') {
			memmove(e->sender, e->sender + 1, n - 2);
			e->sender[n - 2] = '\0';
		}
	}
	while (r && *r) {
		const char *nl = strchr(r, '\n');
		size_t n = nl ? (size_t)(nl - r) : strlen(r);
		if (env_add_rcpt(e, r, n) == -1)
			return -1;
		r = nl ? nl + 1 : r + n;
	}
	if (d && *d) {
		if (env_dir_parse(d, &e->dir) == -1) {
			errno = EINVAL;
			return -1;
		}
		e->dir_given = 1;
	}
	return 0;
}

/* Read "from HELO (NAME [IP])" and "for <rcpt>" out of a Received value
 * that our own smtpd-accept wrote. */
static int
parse_received(struct envelope *e, const char *v)
{
	const char *p, *q;

	if (e->helo == NULL && strncasecmp(v, "from ", 5) == 0) {
		p = v + 5;
		q = p + strcspn(p, " \t(;");
		if (q > p) {
			char *h = strndup(p, (size_t)(q - p));
			if (h == NULL)
				return -1;
			free(e->helo);
			e->helo = h;
		}
	}
	/* the address is the one in the comment, "(NAME [IP])", never a
	 * HELO that is itself an address literal */
	if (e->ip == NULL && (p = strchr(v, '(')) != NULL &&
	    (p = strchr(p, '[')) != NULL && (q = strchr(p, ']')) != NULL) {
		struct ip_addr ip;
		if (ip_parse(p + 1, (size_t)(q - p - 1), &ip) == 0) {
			char *s = strndup(p + 1, (size_t)(q - p - 1));
			if (s == NULL)
				return -1;
			if (strncasecmp(s, "IPv6:", 5) == 0)
				memmove(s, s + 5, strlen(s + 5) + 1);
			e->ip = s;
		}
	}
	/* smtpd-accept folds before "for", so unfolded it follows a tab */
	if (e->nrcpt == 0 && ((p = strstr(v, " for <")) != NULL ||
	    (p = strstr(v, "\tfor <")) != NULL) &&
	    (q = strchr(p + 6, '>')) != NULL)
		if (env_add_rcpt(e, p + 6, (size_t)(q - p - 6)) == -1)
			return -1;
	return 0;
}

/* Fill what the environment did not give from the trace headers: the
 * sender from Return-Path, the client from our topmost Received. */
int
env_from_trace(struct envelope *e, const struct hdr *h, const char *me)
{
	struct buf v = BUF_INIT;
	long i;
	int rc = -1;

	if (e->sender == NULL && (i = hdr_find(h, "Return-Path", 0)) >= 0) {
		struct addr a;
		if (hdr_value(h, (size_t)i, &v) == -1)
			goto out;
		if (addr_parse_path(v.p, v.len, &a) == 0) {
			size_t n = strlen(a.local) + strlen(a.domain) + 2;
			free(e->sender);
			if ((e->sender = malloc(n)) == NULL) {
				addr_free(&a);
				goto out;
			}
			if (a.flags & ADDR_NULLPATH)
				e->sender[0] = '\0';
			else
				snprintf(e->sender, n, "%s@%s", a.local, a.domain);
			addr_free(&a);
		}
	}
	if (me && *me && (e->ip == NULL || e->helo == NULL || e->nrcpt == 0)) {
		for (i = hdr_find(h, "Received", 0); i >= 0;
		    i = hdr_find(h, "Received", (size_t)i + 1)) {
			const char *by;
			size_t ml = strlen(me);
			if (hdr_value(h, (size_t)i, &v) == -1)
				goto out;
			by = v.p;
			while ((by = strstr(by, "by ")) != NULL) {
				/* a word of its own: "nearby ME" is not "by ME" */
				if ((by == v.p || by[-1] == ' ' || by[-1] == '\t' ||
				    by[-1] == ')') && strncasecmp(by + 3, me, ml) == 0 &&
				    (by[3 + ml] == ' ' || by[3 + ml] == '\0' ||
				    by[3 + ml] == ';' || by[3 + ml] == '\t'))
					break;
				by += 3;
			}
			if (by) {
				if (parse_received(e, v.p) == -1)
					goto out;
				break;
			}
		}
	}
	rc = 0;
out:
	buf_free(&v);
	return rc;
}

/* Without DIRECTION or --direction: out when the client is one of
 * control/relayclients, else in.  -1 when relayclients cannot be read. */
int
env_guess_dir(struct envelope *e)
{
	struct ip_net *net;
	struct ip_addr ip;
	size_t i, n;

	if (e->dir != ENV_DIR_UNKNOWN)
		return 0;
	e->dir = ENV_DIR_IN;
	if (e->ip == NULL || ip_parse(e->ip, strlen(e->ip), &ip) == -1)
		return 0;
	/* read as smtpd-accept reads it: a bad line is an error here too */
	if (ctl_nets("relayclients", &net, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (ip_in_net(&ip, &net[i])) {
			e->dir = ENV_DIR_OUT;
			break;
		}
	free(net);
	return 0;
}

void
env_free(struct envelope *e)
{
	size_t i;

	free(e->sender);
	for (i = 0; i < e->nrcpt; i++)
		free(e->rcpt[i]);
	free(e->rcpt);
	free(e->ip);
	free(e->host);
	free(e->helo);
	free(e->tls);
	free(e->qid);
	memset(e, 0, sizeof *e);
}

static void
set_or_unset(const char *name, const char *v)
{
	if (v)
		setenv(name, v, 1);
	else
		unsetenv(name);
}

/* The envelope into the environment, as a stage or relay-out reads it
 * (DESIGN.md): the inverse of env_from_environ. */
int
env_export(const struct envelope *e)
{
	size_t i, n = 1;
	char *r, *p;

	for (i = 0; i < e->nrcpt; i++)
		n += strlen(e->rcpt[i]) + 1;
	if ((r = p = malloc(n)) == NULL)
		return -1;
	*p = '\0';
	for (i = 0; i < e->nrcpt; i++) {
		if (i)
			*p++ = '\n';
		n = strlen(e->rcpt[i]);
		memcpy(p, e->rcpt[i], n);
		p += n;
	}
	*p = '\0';
	setenv("SENDER", e->sender ? e->sender : "", 1);
	setenv("RECIPIENT", r, 1);
	free(r);
	setenv("DIRECTION", env_dir_name(e->dir), 1);
	set_or_unset("QUEUEID", e->qid);
	set_or_unset("TCPREMOTEIP", e->ip);
	set_or_unset("TCPREMOTEHOST", e->host);
	set_or_unset("HELO", e->helo);
	set_or_unset("TLS", e->tls);
	return 0;
}
