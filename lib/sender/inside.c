/* inside: internal names and addresses in header text (see inside.h).
 * The text is untrusted header bytes (NUL included); the list comes from
 * the administrator.  Runs under any uid. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inside.h"

void
inside_free(struct inside *in)
{
	size_t i;

	for (i = 0; i < in->nhost; i++)
		free(in->host[i]);
	free(in->host);
	free(in->suffix);
	free(in->net);
	memset(in, 0, sizeof *in);
}

static int
hchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static int
letter(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Is s a host name we can look for: labels of letters, digits, '-' and
 * '_', no empty label, and at least one letter so that a number can never
 * be taken for a name? */
static int
valid_name(const char *s, size_t n)
{
	size_t i;
	int alpha = 0;

	if (n == 0 || n > INSIDE_NAME_MAX || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (!hchar((unsigned char)s[i]) || (s[i] == '.' && s[i + 1] == '.'))
			return 0;
		alpha |= letter((unsigned char)s[i]) || s[i] == '-' || s[i] == '_';
	}
	return alpha;
}

/* Add one line of control/internalhosts: a network, a host name or a
 * ".domain".  0, or -1 with errno EINVAL (neither) or ENOMEM. */
int
inside_add(struct inside *in, const char *e)
{
	struct ip_net net;
	size_t n = strlen(e);
	int suffix = 0;

	if (ip_net_parse(e, &net) == 0) {
		struct ip_net *nn = reallocarray(in->net, in->nnet + 1, sizeof *nn);
		if (nn == NULL)
			return -1;
		in->net = nn;
		in->net[in->nnet++] = net;
		return 0;
	}
	if (n && e[0] == '.') {
		suffix = 1;
		e++;
		n--;
	}
	if (n && e[n - 1] == '.')  /* the root: "exch01.corp.example." */
		n--;
	if (!valid_name(e, n)) {
		errno = EINVAL;
		return -1;
	}
	{
		char **nh = reallocarray(in->host, in->nhost + 1, sizeof *nh);
		unsigned char *ns;
		size_t i;
		char *d;

		if (nh == NULL)
			return -1;
		in->host = nh;
		if ((ns = realloc(in->suffix, in->nhost + 1)) == NULL)
			return -1;
		in->suffix = ns;
		if ((d = strndup(e, n)) == NULL)
			return -1;
		for (i = 0; i < n; i++)
			if (d[i] >= 'A' && d[i] <= 'Z')
				d[i] = (char)(d[i] - 'A' + 'a');
		in->host[in->nhost] = d;
		in->suffix[in->nhost++] = (unsigned char)suffix;
	}
	return 0;
}

/* Is the address inside: private, loopback, link-local, or listed? */
int
inside_addr(const struct inside *in, const struct ip_addr *ip)
{
	size_t i;

	if (ip_is_internal(ip))
		return 1;
	for (i = 0; i < in->nnet; i++)
		if (ip_in_net(ip, &in->net[i]))
			return 1;
	return 0;
}

/* Is the name s[0..n) (no trailing dot) a listed host, or the domain of a
 * ".domain" entry or a name under it?  ASCII case-insensitive. */
int
inside_host(const struct inside *in, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < in->nhost; i++) {
		const char *h = in->host[i];
		size_t hl = strlen(h);

		if (n == hl && strncasecmp(s, h, n) == 0)
			return 1;
		if (in->suffix[i] && n > hl && s[n - hl - 1] == '.' &&
		    strncasecmp(s + n - hl, h, hl) == 0)
			return 1;
	}
	return 0;
}

/* Pass 1: every maximal run of host name bytes, without the dots and
 * dashes at its ends, that names an internal host. */
static int
redact_hosts(const struct inside *in, const char *s, size_t n,
    struct buf *out, size_t *count)
{
	size_t i = 0, pos = 0;

	while (i < n) {
		size_t a, z;

		if (!hchar((unsigned char)s[i])) {
			i++;
			continue;
		}
		for (z = i; z < n && hchar((unsigned char)s[z]); z++)
			;
		a = i;
		i = z;
		while (a < z && (s[a] == '.' || s[a] == '-'))
			a++;
		while (z > a && (s[z - 1] == '.' || s[z - 1] == '-'))
			z--;
		if (z == a || !inside_host(in, s + a, z - a))
			continue;
		if (buf_add(out, s + pos, a - pos) == -1 ||
		    buf_adds(out, INSIDE_HOST_REDACTED) == -1)
			return -1;
		pos = z;
		(*count)++;
	}
	return buf_add(out, s + pos, n - pos);
}

/* Write the replacement of the address at s[a..z): "[redacted]", or only
 * "redacted" when brackets already surround it. */
static int
put_addr(const char *s, size_t n, size_t a, size_t z, struct buf *out)
{
	int bracketed = a > 0 && s[a - 1] == '[' && z < n && s[z] == ']';

	if (bracketed)
		return buf_adds(out, INSIDE_ADDR_REDACTED);
	return buf_adds(out, "[" INSIDE_ADDR_REDACTED "]");
}

/* Pass 2: the addresses ip_scan finds, with the "IPv6:" tag of an address
 * literal (RFC 5321 4.1.3) and an IPv6 zone ("fe80::1%12", which names an
 * interface) taken as part of the address. */
static int
redact_scan(const struct inside *in, const char *s, size_t n,
    struct buf *out, size_t *count)
{
	size_t pos = 0;

	for (;;) {
		struct ip_addr ip;
		size_t a = pos, len, z;

		if ((len = ip_scan(s, n, &a, &ip)) == 0)
			break;
		z = a + len;
		if (!inside_addr(in, &ip)) {
			if (buf_add(out, s + pos, z - pos) == -1)
				return -1;
			pos = z;
			continue;
		}
		if (a >= 5 && strncasecmp(s + a - 5, "IPv6:", 5) == 0)
			a -= 5;
		if (ip.family == 6 && z < n && s[z] == '%')
			for (z++; z < n && hchar((unsigned char)s[z]); z++)
				;
		if (buf_add(out, s + pos, a - pos) == -1 ||
		    put_addr(s, n, a, z, out) == -1)
			return -1;
		pos = z;
		(*count)++;
	}
	return buf_add(out, s + pos, n - pos);
}

/* Pass 3: dotted quads ip_scan leaves alone because of what follows them,
 * such as a port ("10.1.2.3:25"). */
static int
redact_quads(const struct inside *in, const char *s, size_t n,
    struct buf *out, size_t *count)
{
	size_t i = 0, pos = 0;

	while (i < n) {
		struct ip_addr ip;
		size_t z = i;
		int parts = 0;

		if (!digit((unsigned char)s[i]) || (i > 0 &&
		    (hchar((unsigned char)s[i - 1])))) {
			i++;
			continue;
		}
		for (;;) {
			size_t d = z;
			while (z < n && z - d < 4 && digit((unsigned char)s[z]))
				z++;
			if (z == d || z - d > 3)
				break;
			if (++parts == 4 || z >= n || s[z] != '.')
				break;
			z++;
		}
		if (parts != 4 || (z < n && (hchar((unsigned char)s[z]))) ||
		    ip_parse(s + i, z - i, &ip) == -1 || !inside_addr(in, &ip)) {
			while (i < n && hchar((unsigned char)s[i]))
				i++;
			continue;
		}
		if (buf_add(out, s + pos, i - pos) == -1 ||
		    put_addr(s, n, i, z, out) == -1)
			return -1;
		pos = i = z;
		(*count)++;
	}
	return buf_add(out, s + pos, n - pos);
}

/* Append s[0..n) to out with every internal host name and address
 * replaced (see inside.h).  Returns how many were replaced, or -1 with
 * errno ENOMEM. */
int
inside_redact(const struct inside *in, const char *s, size_t n,
    struct buf *out)
{
	struct buf t1 = BUF_INIT, t2 = BUF_INIT;
	size_t count = 0;
	int rc = -1;

	if (redact_hosts(in, s, n, &t1, &count) == -1 ||
	    redact_scan(in, t1.p ? t1.p : "", t1.len, &t2, &count) == -1 ||
	    redact_quads(in, t2.p ? t2.p : "", t2.len, out, &count) == -1)
		goto out;
	rc = count > (size_t)0x7fffffff ? 0x7fffffff : (int)count;
out:
	buf_free(&t1);
	buf_free(&t2);
	return rc;
}

/* Does s[0..n) name an internal host or address?  1, 0, or -1 (ENOMEM). */
int
inside_find(const struct inside *in, const char *s, size_t n)
{
	struct buf scratch = BUF_INIT;
	int r = inside_redact(in, s, n, &scratch);

	buf_free(&scratch);
	return r < 0 ? -1 : r > 0;
}
