/* dnslist: own lists in rbldnsd's formats (see dnslist.h).  The files are
 * the administrator's; every line is still bounds-checked, since a list is
 * often fed from elsewhere (a cron job that fetches one).  Runs under any
 * uid. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "dnslist.h"
#include "io.h"

#define DNSLIST_MAX_BYTES (256UL * 1024 * 1024)  /* one list file */

/* The value of entries that carry none: rbldnsd's default, 127.0.0.2. */
static const unsigned char def_a[4] = { 127, 0, 0, 2 };

void
dnslist_free(struct dnslist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->e[i].name);
	for (i = 0; i < l->ntexts; i++)
		free(l->texts[i]);
	free(l->e);
	free(l->texts);
	memset(l, 0, sizeof *l);
}

/* Keep a copy of text; return it, or NULL (ENOMEM). */
static const char *
keep_text(struct dnslist *l, const char *s, size_t n)
{
	char **nt, *d;

	if (n == 0)
		return "";
	if (n > DNSLIST_TEXT_MAX)
		n = DNSLIST_TEXT_MAX;
	if (l->ntexts == l->captexts) {
		size_t nc = l->captexts ? l->captexts * 2 : 16;
		if ((nt = reallocarray(l->texts, nc, sizeof *nt)) == NULL)
			return NULL;
		l->texts = nt;
		l->captexts = nc;
	}
	if ((d = strndup(s, n)) == NULL)
		return NULL;
	l->texts[l->ntexts++] = d;
	return d;
}

/* A value ":127.0.0.3:text", ":3:text", ":3", "text" or "" into a/text.
 * 0, or -1 when the address part is malformed. */
static int
parse_value(struct dnslist *l, const char *s, size_t n, unsigned char a[4],
    const char **text)
{
	char tmp[32];
	size_t k;

	if (n > 0 && s[0] == ':') {
		s++, n--;
		for (k = 0; k < n && s[k] != ':'; k++)
			;
		if (k == 0 || k >= sizeof tmp)
			return -1;
		memcpy(tmp, s, k);
		tmp[k] = '\0';
		if (strchr(tmp, '.') == NULL) {
			/* ":3" is 127.0.0.3, as rbldnsd reads it */
			char *end;
			unsigned long v = strtoul(tmp, &end, 10);
			if (*end != '\0' || tmp[0] < '0' || tmp[0] > '9' || v > 255)
				return -1;
			a[0] = 127, a[1] = 0, a[2] = 0, a[3] = (unsigned char)v;
		} else if (inet_pton(AF_INET, tmp, a) != 1)
			return -1;
		s += k, n -= k;
		if (n > 0)
			s++, n--;   /* the ':' before the text */
	}
	if ((*text = keep_text(l, s, n)) == NULL)
		return -1;
	return 0;
}

/* One IPv4 address, possibly abbreviated ("1.2.3" with octets missing);
 * the number of octets given, or -1. */
static int
ip4_partial(const char *s, size_t n, unsigned char a[4])
{
	size_t i = 0;
	int oct = 0;

	memset(a, 0, 4);
	while (oct < 4) {
		unsigned v = 0, digits = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(s[i++] - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return -1;
		a[oct++] = (unsigned char)v;
		if (i == n)
			return oct;
		if (s[i] != '.')
			return -1;
		i++;
	}
	return -1;
}

/* Range from an address and a prefix length. */
static void
range_prefix(const unsigned char *addr, unsigned bytes, unsigned prefix,
    unsigned char lo[16], unsigned char hi[16])
{
	unsigned i;

	for (i = 0; i < bytes; i++) {
		unsigned bits = prefix >= 8 * (i + 1) ? 8 :
		    prefix > 8 * i ? prefix - 8 * i : 0;
		unsigned char mask = (unsigned char)(bits ? 0xff << (8 - bits) : 0);
		lo[i] = addr[i] & mask;
		hi[i] = (unsigned char)(addr[i] | (unsigned char)~mask);
	}
}

/* An IP entry: "1.2.3.4", "1.2.3.0/24", "1.2.3", "1.2.3.4-1.2.3.9",
 * "1.2.3.4-9", an IPv6 address or network.  0 or -1. */
static int
parse_ip_entry(const char *s, size_t n, struct dnslist_entry *e)
{
	char tmp[128];
	const char *dash, *slash;
	struct ip_net net;
	unsigned char a[4], b[4];
	int k;

	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (strchr(tmp, ':') != NULL) {
		if (ip_net_parse(tmp, &net) == -1 || net.addr.family != 6)
			return -1;
		e->family = 6;
		range_prefix(net.addr.a, 16, net.prefix, e->lo, e->hi);
		return 0;
	}
	e->family = 4;
	if ((dash = strchr(tmp, '-')) != NULL) {
		if (ip4_partial(tmp, (size_t)(dash - tmp), a) != 4)
			return -1;
		k = ip4_partial(dash + 1, strlen(dash + 1), b);
		if (k == 1) {   /* "1.2.3.4-9": the last octet */
			b[3] = b[0];
			memcpy(b, a, 3);
		} else if (k != 4)
			return -1;
		if (memcmp(a, b, 4) > 0)
			return -1;
		memcpy(e->lo, a, 4);
		memcpy(e->hi, b, 4);
		return 0;
	}
	if ((slash = strchr(tmp, '/')) != NULL) {
		char *end;
		unsigned long p;
		if (ip4_partial(tmp, (size_t)(slash - tmp), a) < 1 ||
		    slash[1] < '0' || slash[1] > '9')
			return -1;
		p = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || p > 32)
			return -1;
		range_prefix(a, 4, (unsigned)p, e->lo, e->hi);
		return 0;
	}
	/* "1.2.3" is 1.2.3.0/24, as rbldnsd's ip4set reads it */
	if ((k = ip4_partial(tmp, n, a)) < 1)
		return -1;
	range_prefix(a, 4, (unsigned)k * 8, e->lo, e->hi);
	return 0;
}

static int
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_' || c == '.';
}

/* A name entry: "example.com", ".example.com", "*.example.com". */
static int
parse_name_entry(const char *s, size_t n, struct dnslist_entry *e)
{
	size_t i;

	if (n >= 2 && s[0] == '*' && s[1] == '.')
		e->sub = 2, s += 2, n -= 2;
	else if (n >= 1 && s[0] == '.')
		e->sub = 1, s++, n--;
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return -1;
	if ((e->name = malloc(n + 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (!name_char(c) || (c == '.' && (i == 0 || s[i - 1] == '.'))) {
			free(e->name);
			e->name = NULL;
			return -1;
		}
		e->name[i] = (char)c;
	}
	e->name[n] = '\0';
	return 0;
}

static int
push(struct dnslist *l, const struct dnslist_entry *e)
{
	struct dnslist_entry *ne;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		if ((ne = reallocarray(l->e, nc, sizeof *ne)) == NULL)
			return -1;
		l->e = ne;
		l->cap = nc;
	}
	l->e[l->n++] = *e;
	return 0;
}

/* One line (no line end).  0, or -1 with err set. */
static int
parse_line(struct dnslist *l, const char *s, size_t n, unsigned char defa[4],
    const char **deftext, char *err, size_t errsize)
{
	struct dnslist_entry e;
	size_t k, v;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (n == 0 || *s == '#' || *s == ';' || *s == '$')
		return 0;
	if (*s == ':') {
		if (parse_value(l, s, n, defa, deftext) == -1) {
			snprintf(err, errsize, "malformed default value");
			return -1;
		}
		return 0;
	}
	memset(&e, 0, sizeof e);
	if (*s == '!')
		e.except = 1, s++, n--;
	for (k = 0; k < n && s[k] != ' ' && s[k] != '\t'; k++)
		;
	if ((l->kind == DNSLIST_IP ? parse_ip_entry(s, k, &e) :
	    parse_name_entry(s, k, &e)) == -1) {
		snprintf(err, errsize, "not %s entry",
		    l->kind == DNSLIST_IP ? "an address or network" : "a domain");
		return -1;
	}
	for (v = k; v < n && (s[v] == ' ' || s[v] == '\t'); v++)
		;
	memcpy(e.a, defa, 4);
	e.text = *deftext;
	if (v < n && parse_value(l, s + v, n - v, e.a, &e.text) == -1) {
		free(e.name);
		snprintf(err, errsize, "malformed value");
		return -1;
	}
	if (push(l, &e) == -1) {
		free(e.name);
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return 0;
}

/* Parse a list from bytes.  0, or -1 with the line in *errline (0 for
 * out of memory) and the reason in err. */
int
dnslist_parse(struct dnslist *l, enum dnslist_kind kind, const char *p,
    size_t len, unsigned *errline, char *err, size_t errsize)
{
	unsigned char defa[4];
	const char *deftext = "";
	size_t i, start = 0;
	unsigned lineno = 0;

	memset(l, 0, sizeof *l);
	l->kind = kind;
	memcpy(defa, def_a, 4);
	*errline = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != '\n')
			continue;
		lineno++;
		if (memchr(p + start, '\0', i - start) != NULL) {
			snprintf(err, errsize, "NUL byte");
			*errline = lineno;
			dnslist_free(l);
			return -1;
		}
		if (parse_line(l, p + start, i - start, defa, &deftext, err,
		    errsize) == -1) {
			*errline = lineno;
			dnslist_free(l);
			return -1;
		}
		start = i + 1;
	}
	return 0;
}

/* Load a list file: a missing file is an error here, since the
 * administrator named it in a control file. */
int
dnslist_load(struct dnslist *l, enum dnslist_kind kind, const char *path,
    char *err, size_t errsize)
{
	struct buf b = BUF_INIT;
	char chunk[65536], why[200];
	ssize_t r;
	unsigned line;
	int fd, e;

	ctl_watch(path);   /* an edit ends a resident dnsbl-check (serve.h) */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errsize, "unable to open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	while ((r = io_read_some(fd, chunk, sizeof chunk)) > 0)
		if (b.len + (size_t)r > DNSLIST_MAX_BYTES ||
		    buf_add(&b, chunk, (size_t)r) == -1) {
			errno = b.len + (size_t)r > DNSLIST_MAX_BYTES ? EFBIG : ENOMEM;
			r = -1;
			break;
		}
	e = errno;
	close(fd);
	if (r == -1) {
		snprintf(err, errsize, "unable to read %s: %s", path, strerror(e));
		buf_free(&b);
		return -1;
	}
	if (dnslist_parse(l, kind, b.p ? b.p : "", b.len, &line, why,
	    sizeof why) == -1) {
		snprintf(err, errsize, "%s line %u: %s", path, line, why);
		buf_free(&b);
		return -1;
	}
	buf_free(&b);
	return 0;
}

static int
ip_in_range(const struct dnslist_entry *e, const struct ip_addr *ip)
{
	size_t n = ip->family == 4 ? 4 : 16;

	return e->family == ip->family && memcmp(ip->a, e->lo, n) >= 0 &&
	    memcmp(ip->a, e->hi, n) <= 0;
}

/* Is ip listed?  1 with its value and text, 0 when not (or excepted). */
int
dnslist_match_ip(const struct dnslist *l, const struct ip_addr *ip,
    unsigned char a[4], const char **text)
{
	const struct dnslist_entry *hit = NULL;
	size_t i;

	if (l->kind != DNSLIST_IP)
		return 0;
	for (i = 0; i < l->n; i++)
		if (ip_in_range(&l->e[i], ip)) {
			if (l->e[i].except)
				return 0;
			if (hit == NULL)
				hit = &l->e[i];
		}
	if (hit == NULL)
		return 0;
	memcpy(a, hit->a, 4);
	*text = hit->text;
	return 1;
}

static int
name_matches(const struct dnslist_entry *e, const char *name, size_t n)
{
	size_t en = strlen(e->name);

	if (n == en && memcmp(name, e->name, n) == 0)
		return e->sub != 2;
	if (e->sub && n > en + 1 && name[n - en - 1] == '.' &&
	    memcmp(name + n - en, e->name, en) == 0)
		return 1;
	return 0;
}

/* Is name (any case, final dot or not) listed?  As dnslist_match_ip. */
int
dnslist_match_name(const struct dnslist *l, const char *name,
    unsigned char a[4], const char **text)
{
	const struct dnslist_entry *hit = NULL;
	char low[256];
	size_t i, n = strlen(name);

	if (l->kind != DNSLIST_NAME)
		return 0;
	if (n && name[n - 1] == '.')
		n--;
	if (n == 0 || n >= sizeof low)
		return 0;
	for (i = 0; i < n; i++)
		low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 :
		    name[i]);
	low[n] = '\0';
	for (i = 0; i < l->n; i++)
		if (name_matches(&l->e[i], low, n)) {
			if (l->e[i].except)
				return 0;
			if (hit == NULL)
				hit = &l->e[i];
		}
	if (hit == NULL)
		return 0;
	memcpy(a, hit->a, 4);
	*text = hit->text;
	return 1;
}
