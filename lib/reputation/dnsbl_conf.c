/* dnsbl_conf: the control files of dnsbl-check (see dnsbl.h and
 * dnsbl-check(5)): sites in postscreen's syntax, their answer patterns,
 * own list files, weights, thresholds and time limits.  The files are the
 * administrator's, read with the caps of lib/ctl; every mistake is
 * reported with its file and line, and makes the tool exit 111.  Runs
 * under any uid. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbl.h"

static const struct {
	const char *name;
	double      def;
} tests[DNSBL_NTESTS] = {
	/* defaults against the reject threshold 1 and the flag level 0.5:
	 * one sign alone flags at most, two together reject, as an admin
	 * running Postfix's reject_unknown_* restrictions would expect; a
	 * stranger naming itself with our name is forging, and rejected */
	[DNSBL_T_NORDNS]        = { "nordns", 0.5 },
	[DNSBL_T_FCRDNS]        = { "fcrdns", 0.5 },
	[DNSBL_T_RDNS_MISMATCH] = { "rdns_mismatch", 0.1 },
	[DNSBL_T_RDNS_MATCH]    = { "rdns_match", -0.2 },
	[DNSBL_T_HELO_BAREIP]   = { "helo_bareip", 0.5 },
	[DNSBL_T_HELO_NOFQDN]   = { "helo_nofqdn", 0.3 },
	[DNSBL_T_HELO_OURS]     = { "helo_ours", 2.0 },
};

const char *
dnsbl_test_name(enum dnsbl_test t)
{
	return (unsigned)t < DNSBL_NTESTS ? tests[t].name : "?";
}

/* A decimal number "-2", "0.5", "3" with at most 1000 either way.  0 or
 * -1; no exponents, no hex, nothing after it. */
int
dnsbl_number(const char *s, double *out)
{
	const char *p = s;
	double v = 0, scale = 0.1;
	int neg = 0, digits = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	while (*p >= '0' && *p <= '9' && digits < 8) {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9' && scale > 1e-7) {
			v += (*p++ - '0') * scale;
			scale /= 10;
		}
	}
	if (*p != '\0' || v > 1000)
		return -1;
	*out = neg ? -v : v;
	return 0;
}

/* One octet of a pattern, "2", "[2..11]", "[1;3;5..7]", into a bitmap. */
static int
octet_pattern(const char *s, size_t n, unsigned char bits[32])
{
	size_t i = 0;

	memset(bits, 0, 32);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		s++, n -= 2;
	else if (memchr(s, '[', n) || memchr(s, ';', n) || memchr(s, ']', n))
		return -1;
	if (n == 0)
		return -1;
	while (i <= n) {
		unsigned lo = 0, hi, v, d = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && d < 4)
			lo = lo * 10 + (unsigned)(s[i++] - '0'), d++;
		if (d == 0 || d > 3 || lo > 255)
			return -1;
		hi = lo;
		if (i + 1 < n && s[i] == '.' && s[i + 1] == '.') {
			i += 2;
			hi = 0, d = 0;
			while (i < n && s[i] >= '0' && s[i] <= '9' && d < 4)
				hi = hi * 10 + (unsigned)(s[i++] - '0'), d++;
			if (d == 0 || d > 3 || hi > 255 || hi < lo)
				return -1;
		}
		for (v = lo; v <= hi; v++)
			bits[v / 8] |= (unsigned char)(1u << (v % 8));
		if (i == n)
			return 0;
		if (s[i] != ';')
			return -1;
		i++;
	}
	return -1;
}

/* "127.0.0.[2..11]": four octet patterns; dots inside brackets are
 * range dots, not octet separators. */
static int
pattern(const char *s, size_t n, unsigned char f[4][32])
{
	size_t i, start = 0;
	int oct = 0, depth = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] == '[')
			depth++;
		else if (i < n && s[i] == ']')
			depth--;
		if (depth < 0 || depth > 1)
			return -1;
		if (i < n && (s[i] != '.' || depth))
			continue;
		if (oct == 4 || octet_pattern(s + start, i - start, f[oct]) == -1)
			return -1;
		oct++;
		start = i + 1;
	}
	return oct == 4 && depth == 0 ? 0 : -1;
}

static int
zone_ok(const char *z)
{
	size_t i, n = strlen(z);

	if (n == 0 || n > 200 || z[0] == '.' || z[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)z[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    (c == '.' && z[i + 1] != '.')))
			return 0;
	}
	return 1;
}

/* One line of control/dnsbl, rhsbl or uribl:
 *     zone[=pattern][*weight] [sender] [from] [helo] [rdns]
 * (the words only for domain lists; none: all four).  0, or -1 with the
 * reason in err.  A file site's list is not read here. */
int
dnsbl_site_parse(const char *line, enum dnsbl_kind kind, struct dnsbl_site *s,
    char *err, size_t errsize)
{
	char spec[512];
	const char *p;
	char *eq, *star;
	size_t n;

	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->weight = 1;
	for (n = 0; line[n] && line[n] != ' ' && line[n] != '\t'; n++)
		;
	if (n == 0 || n >= sizeof spec) {
		snprintf(err, errsize, "no site");
		return -1;
	}
	memcpy(spec, line, n);
	spec[n] = '\0';
	if ((star = strrchr(spec, '*')) != NULL) {
		*star = '\0';
		if (dnsbl_number(star + 1, &s->weight) == -1) {
			snprintf(err, errsize, "weight is not a number");
			return -1;
		}
	}
	if ((eq = strchr(spec, '=')) != NULL) {
		*eq = '\0';
		if (pattern(eq + 1, strlen(eq + 1), s->filter) == -1) {
			snprintf(err, errsize, "pattern is not a.b.c.d with "
			    "[n..m;k] octets");
			return -1;
		}
		s->filtered = 1;
	}
	if (strncmp(spec, "file:", 5) == 0) {
		if (spec[5] == '\0' || strchr(spec + 5, '*') || strchr(spec + 5, '=')) {
			snprintf(err, errsize, "file: without a file name");
			return -1;
		}
		s->file = 1;
	} else if (!zone_ok(spec)) {
		snprintf(err, errsize, "not a DNS zone");
		return -1;
	}
	if (strlen(spec) >= sizeof s->zone) {
		snprintf(err, errsize, "site name too long");
		return -1;
	}
	memcpy(s->zone, spec, strlen(spec) + 1);
	for (p = line + n; *p; ) {
		size_t k;
		while (*p == ' ' || *p == '\t')
			p++;
		for (k = 0; p[k] && p[k] != ' ' && p[k] != '\t'; k++)
			;
		if (k == 0)
			break;
		if (kind != DNSBL_NAME) {
			snprintf(err, errsize, "only domain lists take words after "
			    "the site");
			return -1;
		}
		if (k == 6 && strncmp(p, "sender", 6) == 0)
			s->what |= DNSBL_SENDER;
		else if (k == 4 && strncmp(p, "from", 4) == 0)
			s->what |= DNSBL_FROM;
		else if (k == 4 && strncmp(p, "helo", 4) == 0)
			s->what |= DNSBL_HELO;
		else if (k == 4 && strncmp(p, "rdns", 4) == 0)
			s->what |= DNSBL_RDNS;
		else {
			snprintf(err, errsize, "unknown word: sender, from, helo "
			    "or rdns");
			return -1;
		}
		p += k;
	}
	if (s->what == 0)
		s->what = DNSBL_ALL;
	return 0;
}

/* Does an answer count?  With a pattern, when it matches; without, any
 * 127.0.0.0/8 answer except 127.255.255.0/24, which list operators use
 * for errors (Spamhaus: query refused), is a listing. */
int
dnsbl_filter_match(const struct dnsbl_site *s, const unsigned char a[4])
{
	int i;

	if (!s->filtered)
		return a[0] == 127 && !(a[1] == 255 && a[2] == 255);
	for (i = 0; i < 4; i++)
		if (!(s->filter[i][a[i] / 8] & (1u << (a[i] % 8))))
			return 0;
	return 1;
}

/* The DNSBL form of an address: "4.3.2.1", or 32 nibbles for IPv6
 * (RFC 5782 2.4). */
int
dnsbl_reverse(const struct ip_addr *ip, char *out, size_t outsize)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int i;

	if (ip->family == 4) {
		if ((size_t)snprintf(out, outsize, "%u.%u.%u.%u", ip->a[3], ip->a[2],
		    ip->a[1], ip->a[0]) >= outsize)
			return -1;
		return 0;
	}
	if (outsize < 64)
		return -1;
	for (i = 15; i >= 0; i--) {
		out[o++] = hex[ip->a[i] & 15];
		out[o++] = '.';
		out[o++] = hex[ip->a[i] >> 4];
		out[o++] = i ? '.' : '\0';
	}
	return 0;
}

static int
number_file(const char *name, double def, double min, double max, double *out,
    int *given, char *err, size_t errsize)
{
	struct ctl_list l;

	if (ctl_lines(name, &l) == -1) {
		snprintf(err, errsize, "unable to read %s/%s", ctl_dir(), name);
		return -1;
	}
	*out = def;
	if (given)
		*given = l.n > 0;
	if (l.n && (dnsbl_number(l.v[0], out) == -1 || *out < min || *out > max)) {
		snprintf(err, errsize, "%s line %u: not a number from %g to %g",
		    l.path, l.lineno[0], min, max);
		ctl_free(&l);
		return -2;
	}
	ctl_free(&l);
	return 0;
}

static int
load_sites(struct dnsbl *d, const char *name, enum dnsbl_kind kind, char *err,
    size_t errsize)
{
	struct ctl_list l;
	struct dnsbl_site *ns;
	char why[300], path[4096];
	size_t i;

	if (ctl_lines(name, &l) == -1) {
		snprintf(err, errsize, "unable to read %s/%s", ctl_dir(), name);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		struct dnsbl_site *s;
		if ((ns = reallocarray(d->site, d->nsite + 1, sizeof *ns)) == NULL) {
			ctl_free(&l);
			snprintf(err, errsize, "out of memory");
			return -1;
		}
		d->site = ns;
		s = &d->site[d->nsite];
		if (dnsbl_site_parse(l.v[i], kind, s, why, sizeof why) == -1) {
			snprintf(err, errsize, "%s line %u: %s", l.path, l.lineno[i], why);
			ctl_free(&l);
			return -2;
		}
		s->lineno = l.lineno[i];
		d->nsite++;
		if (!s->file)
			continue;
		if (s->zone[5] == '/')
			snprintf(path, sizeof path, "%s", s->zone + 5);
		else
			snprintf(path, sizeof path, "%s/%s", ctl_dir(), s->zone + 5);
		if (dnslist_load(&s->list, kind == DNSBL_IP ? DNSLIST_IP :
		    DNSLIST_NAME, path, why, sizeof why) == -1) {
			snprintf(err, errsize, "%s line %u: %s", l.path, l.lineno[i], why);
			ctl_free(&l);
			return -2;
		}
	}
	ctl_free(&l);
	return 0;
}

static int
load_weights(struct dnsbl *d, char *err, size_t errsize)
{
	struct ctl_list l;
	size_t i, t, k;

	for (t = 0; t < DNSBL_NTESTS; t++)
		d->w[t] = tests[t].def;
	if (ctl_lines("dnsblweights", &l) == -1) {
		snprintf(err, errsize, "unable to read %s/dnsblweights", ctl_dir());
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		const char *v = l.v[i];
		for (k = 0; v[k] && v[k] != ' ' && v[k] != '\t'; k++)
			;
		for (t = 0; t < DNSBL_NTESTS; t++)
			if (strlen(tests[t].name) == k && strncmp(v, tests[t].name, k) == 0)
				break;
		while (v[k] == ' ' || v[k] == '\t')
			k++;
		if (t == DNSBL_NTESTS || dnsbl_number(v + k, &d->w[t]) == -1) {
			snprintf(err, errsize, "%s line %u: want a test name (nordns, "
			    "fcrdns, rdns_mismatch, rdns_match, helo_bareip, "
			    "helo_nofqdn, helo_ours) and a weight", l.path, l.lineno[i]);
			ctl_free(&l);
			return -2;
		}
	}
	ctl_free(&l);
	return 0;
}

/* Read every control file of dnsbl-check.  0; -1 for an error reading
 * (errno); -2 for a mistake in a file (err says where). */
int
dnsbl_load(struct dnsbl *d, const char *me, char *err, size_t errsize)
{
	double v;
	int r;

	memset(d, 0, sizeof *d);
	snprintf(d->me, sizeof d->me, "%s", me ? me : "");
	if ((r = load_sites(d, "dnsbl", DNSBL_IP, err, errsize)) != 0 ||
	    (r = load_sites(d, "rhsbl", DNSBL_NAME, err, errsize)) != 0 ||
	    (r = load_sites(d, "uribl", DNSBL_URI, err, errsize)) != 0 ||
	    (r = load_weights(d, err, errsize)) != 0 ||
	    (r = number_file("dnsblthreshold", 1, -1000, 1000, &d->reject, NULL,
	    err, errsize)) != 0 ||
	    (r = number_file("dnsblquarantine", 0, -1000, 1000, &d->quarantine,
	    &d->has_quarantine, err, errsize)) != 0 ||
	    (r = number_file("dnsblflag", 0.5, -1000, 1000, &d->flag, NULL,
	    err, errsize)) != 0)
		return r;
	d->has_flag = 1;
	if ((r = number_file("urimax", 20, 0, 1000, &v, NULL, err, errsize)) != 0)
		return r;
	d->urimax = (unsigned long)v;
	if ((r = number_file("dnsbltimeout", 5, 0.1, 300, &v, NULL, err,
	    errsize)) != 0)
		return r;
	d->timeout_ms = (unsigned long)(v * 1000);
	if ((r = number_file("dnsbldeadline", 15, 0.1, 3600, &v, NULL, err,
	    errsize)) != 0)
		return r;
	d->deadline_ms = (unsigned long)(v * 1000);
	if (ctl_lines("localdomains", &d->local) == -1) {
		snprintf(err, errsize, "unable to read %s/localdomains", ctl_dir());
		return -1;
	}
	return 0;
}

