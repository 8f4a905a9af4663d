/* smtp: command parser, MAIL parameters and the relay rule (see smtp.h).
 * The input is a command line from an unauthenticated stranger, already
 * cut at the configured length; nothing here allocates. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "authres.h"
#include "smtp.h"

static const struct {
	const char    *name;
	enum smtp_verb verb;
} verbs[] = {
	{ "HELO", SMTP_HELO }, { "EHLO", SMTP_EHLO }, { "MAIL", SMTP_MAIL },
	{ "RCPT", SMTP_RCPT }, { "DATA", SMTP_DATA }, { "RSET", SMTP_RSET },
	{ "NOOP", SMTP_NOOP }, { "QUIT", SMTP_QUIT }, { "VRFY", SMTP_VRFY },
	{ "EXPN", SMTP_EXPN }, { "HELP", SMTP_HELP },
	{ "STARTTLS", SMTP_STARTTLS }, { "AUTH", SMTP_AUTH },
	{ "BDAT", SMTP_BDAT },
	/* a web proxy or browser talking to port 25: end it at once, as
	 * Postfix does, so that cross-protocol requests get nowhere */
	{ "GET", SMTP_HTTP }, { "POST", SMTP_HTTP }, { "CONNECT", SMTP_HTTP },
	{ "HEAD", SMTP_HTTP }, { "PUT", SMTP_HTTP },
};

/* Is s[0..n) UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF)? */
int
smtp_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, len;
	unsigned long cp;

	while (i < n) {
		unsigned char c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return 0;
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += len;
	}
	return 1;
}

/* Cut "FROM:" / "TO:" and the path out of a MAIL or RCPT argument.  A
 * space after the colon is tolerated (common clients send it); the path
 * is "<...>" (a '>' inside a quoted local part does not end it) or, for
 * old clients, a bare address up to the next space. */
static void
split_path(struct smtp_cmd *c, const char *kw)
{
	const char *a = c->arg, *e = c->arg + c->arglen, *p;
	size_t kl = strlen(kw);
	int q = 0;

	if (c->arglen < kl || strncasecmp(a, kw, kl) != 0) {
		c->flags |= SMTP_CMD_SYNTAX;
		return;
	}
	for (p = a + kl; p < e && *p == ' '; p++)
		;
	c->path = p;
	if (p < e && *p == '<') {
		for (; p < e; p++) {
			if (*p == '"')
				q = !q;
			else if (*p == '\\' && q && p + 1 < e)
				p++;
			else if (*p == '>' && !q)
				break;
		}
		if (p == e) {
			c->flags |= SMTP_CMD_SYNTAX;
			return;
		}
		p++;
	} else
		while (p < e && *p != ' ')
			p++;
	c->pathlen = (size_t)(p - c->path);
	if (c->pathlen == 0)
		c->flags |= SMTP_CMD_SYNTAX;
	while (p < e && *p == ' ')
		p++;
	c->params = p;
	c->paramslen = (size_t)(e - p);
}

/* Parse one command line (without its line end).  Always fills c; returns
 * 0, or -1 with EINVAL when the verb is unknown. */
int
smtp_cmd_parse(const char *s, size_t n, struct smtp_cmd *c)
{
	size_t i, vl;

	memset(c, 0, sizeof *c);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 && ch != '\t')
			c->flags |= SMTP_CMD_NUL;
		if (ch == 0x7f)
			c->flags |= SMTP_CMD_NUL;
		if (ch >= 0x80)
			c->flags |= SMTP_CMD_8BIT;
	}
	if ((c->flags & SMTP_CMD_8BIT) && !smtp_utf8_valid(s, n))
		c->flags |= SMTP_CMD_BADUTF8;
	for (vl = 0; vl < n && s[vl] != ' '; vl++)
		;
	c->arg = s + vl;
	if (vl < n)
		c->arg++;
	c->arglen = (size_t)(s + n - c->arg);
	/* trailing white space is not part of the argument */
	while (c->arglen && (c->arg[c->arglen - 1] == ' ' ||
	    c->arg[c->arglen - 1] == '\t'))
		c->arglen--;
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strlen(verbs[i].name) == vl &&
		    strncasecmp(s, verbs[i].name, vl) == 0) {
			c->verb = verbs[i].verb;
			break;
		}
	if (c->verb == SMTP_MAIL)
		split_path(c, "FROM:");
	else if (c->verb == SMTP_RCPT)
		split_path(c, "TO:");
	if (c->verb == SMTP_UNKNOWN) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* MAIL parameters: SIZE=n (RFC 1870), BODY=7BIT|8BITMIME (RFC 6152),
 * SMTPUTF8 (RFC 6531).  Anything else is -1 with EINVAL (555 5.5.4): we
 * advertise no other extension that takes one. */
int
smtp_mail_params(const char *s, size_t n, struct smtp_mailparam *mp)
{
	size_t i = 0, a, kl;

	memset(mp, 0, sizeof *mp);
	while (i < n) {
		const char *k, *v = NULL;
		size_t vl = 0;

		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			break;
		for (a = i; i < n && s[i] != ' '; i++)
			;
		k = s + a;
		for (kl = 0; a + kl < i && k[kl] != '='; kl++)
			;
		if (a + kl < i) {
			v = k + kl + 1;
			vl = i - a - kl - 1;
		}
		if (kl == 4 && strncasecmp(k, "SIZE", 4) == 0 && v && vl > 0 &&
		    vl <= 18 && strspn(v, "0123456789") >= vl) {
			unsigned long long x = 0;
			size_t j;
			for (j = 0; j < vl; j++)
				x = x * 10 + (unsigned)(v[j] - '0');
			mp->size = x;
		} else if (kl == 4 && strncasecmp(k, "BODY", 4) == 0 && v &&
		    ((vl == 4 && strncasecmp(v, "7BIT", 4) == 0) ||
		    (vl == 8 && strncasecmp(v, "8BITMIME", 8) == 0)))
			mp->body8 = vl == 8;
		else if (kl == 8 && strncasecmp(k, "SMTPUTF8", 8) == 0 && !v)
			mp->utf8 = 1;
		else {
			errno = EINVAL;
			return -1;
		}
	}
	return 0;
}

/* Is the local part this role name, in any case (RFC 5321 4.5.1 says
 * "postmaster" is case-insensitive)? */
int
smtp_local_is(const char *local, const char *name)
{
	return strcasecmp(local, name) == 0;
}

/* Every host a local part still routes through, for the relay rule: the
 * part after each '@' or '%' (the "percent hack", sendmail's and qmail's
 * user%host@relay) and the part before each '!' (UUCP bang paths,
 * host!user).  Each must be ours for the address to be ours. */
static int
local_hosts_ours(const char *l, char *const *ld, size_t n)
{
	char host[256];
	const char *p, *s, *bang;
	size_t len;

	/* bang paths: a!b!user: a and b are hosts */
	for (s = l; (bang = strchr(s, '!')) != NULL; s = bang + 1) {
		len = (size_t)(bang - s);
		if (len == 0 || len >= sizeof host)
			return 0;
		memcpy(host, s, len);
		host[len] = '\0';
		if (strpbrk(host, "@%") || !addr_domain_in(host, ld, n))
			return 0;
	}
	/* percent hack and quoted "@": user%a%b or "user@a"@ours */
	for (p = s; (p = strpbrk(p, "@%")) != NULL; p = s) {
		s = p + 1;
		len = strcspn(s, "@%");
		if (len == 0 || len >= sizeof host)
			return 0;
		memcpy(host, s, len);
		host[len] = '\0';
		if (!addr_domain_in(host, ld, n))
			return 0;
	}
	return 1;
}

/* The relay rule.  A client in relayclients may send to any domain; any
 * other client only to an address whose final destination is ours: the
 * domain (after any source route, which RFC 5321 C says to ignore) must
 * be in localdomains, and so must every host the local part still names
 * (% hack, bang path, quoted '@').  Address literals are ours only when
 * localdomains lists the literal itself.  Trailing dots and case do not
 * matter (addr_domain_in normalises both, once). */
enum smtp_rcpt_verdict
smtp_rcpt_check(const struct addr *a, int relayclient, char *const *ld,
    size_t n)
{
	if (a->flags & (ADDR_NULLPATH | ADDR_NODOMAIN | ADDR_NUL |
	    ADDR_AMBIGUOUS | ADDR_JUNK | ADDR_UNCLOSED) || a->local[0] == '\0' ||
	    a->domain[0] == '\0')
		return SMTP_RCPT_SYNTAX;
	if (relayclient)
		return SMTP_RCPT_OK;
	if (!addr_domain_in(a->domain, ld, n))
		return SMTP_RCPT_RELAY;
	/* "ours.example." and "ours.example.." : one trailing dot is the
	 * root, more is a trick */
	{
		size_t dl = strlen(a->domain);
		if (dl >= 2 && a->domain[dl - 1] == '.' && a->domain[dl - 2] == '.')
			return SMTP_RCPT_RELAY;
	}
	if (!local_hosts_ours(a->local, ld, n))
		return SMTP_RCPT_RELAY;
	return SMTP_RCPT_OK;
}

/* Is this header field one that only portcullis may write, so that a copy
 * from outside must be removed before anything reads it?  The same fields
 * as header-strip's inbound rules (share/rules/header-strip): our verdict
 * headers X-Portcullis-*, those of the spam and virus stages, and an
 * Authentication-Results whose authserv-id is our name, control/me (RFC
 * 8601 5 asks exactly this of a border MTA), through the same
 * lib/sender/authres.c, without header-strip's regular expressions. */
int
smtp_hdr_is_own(const char *f, size_t nl, const char *v, size_t vl,
    const char *me)
{
	static const char *const names[] = { "X-Spam-Flag", "X-Spam-Score",
	    "X-Spam-Level", "X-Spam-Status", "X-Spam-Report", "X-Virus-Status" };
	size_t i;

	if (nl >= 13 && strncasecmp(f, "X-Portcullis-", 13) == 0)
		return 1;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (nl == strlen(names[i]) && strncasecmp(f, names[i], nl) == 0)
			return 1;
	return nl == 22 && strncasecmp(f, "Authentication-Results", 22) == 0 &&
	    me && *me && authres_id_is(v, vl, me);
}
