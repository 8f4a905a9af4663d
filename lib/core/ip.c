/* ip: address and CIDR text (see ip.h).  The text may come from headers a
 * stranger wrote; inet_pton does the strict parsing on a bounded copy. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ip.h"

/* Parse one address (IPv4 dotted quad or IPv6, with an optional "IPv6:"
 * prefix as in RFC 5321 address literals).  0 or -1. */
int
ip_parse(const char *s, size_t n, struct ip_addr *ip)
{
	char tmp[64];

	if (n >= 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		s += 5;
		n -= 5;
	}
	/* the bytes given, all of them: "1.2.3.4\0junk" is not 1.2.3.4 */
	if (n == 0 || n >= sizeof tmp || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(ip, 0, sizeof *ip);
	if (inet_pton(AF_INET, tmp, ip->a) == 1) {
		ip->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, ip->a) == 1) {
		static const unsigned char v4mapped[12] =
		    { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
		ip->family = 6;
		/* ::ffff:a.b.c.d is an IPv4 address for every rule here */
		if (memcmp(ip->a, v4mapped, 12) == 0) {
			memmove(ip->a, ip->a + 12, 4);
			memset(ip->a + 4, 0, 12);
			ip->family = 4;
		}
		return 0;
	}
	return -1;
}

/* "10.0.0.0/8", "2001:db8::/32", or a single address (full prefix). */
int
ip_net_parse(const char *s, struct ip_net *net)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;
	char *end;
	unsigned long p;

	if (ip_parse(s, n, &net->addr) == -1)
		return -1;
	max = net->addr.family == 4 ? 32 : 128;
	net->prefix = max;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		p = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || p > max)
			return -1;
		net->prefix = (unsigned)p;
	}
	return 0;
}

int
ip_in_net(const struct ip_addr *ip, const struct ip_net *net)
{
	unsigned full, rem;

	if (ip->family != net->addr.family)
		return 0;
	full = net->prefix / 8;
	rem = net->prefix % 8;
	if (memcmp(ip->a, net->addr.a, full) != 0)
		return 0;
	if (rem) {
		unsigned char mask = (unsigned char)(0xff << (8 - rem));
		if ((ip->a[full] & mask) != (net->addr.a[full] & mask))
			return 0;
	}
	return 1;
}

/* Are a and b in one network: the first v4 bits of two IPv4 addresses,
 * the first v6 bits of two IPv6 ones (the supervisor counts connections
 * per IPv6 /64, as one customer of an ISP holds a whole /64).  Addresses
 * of different families never are: ip_parse has already made an
 * IPv4-mapped IPv6 address the IPv4 address it is.  1 or 0. */
int
ip_same_prefix(const struct ip_addr *a, const struct ip_addr *b, unsigned v4,
    unsigned v6)
{
	struct ip_net n;

	if (a->family != b->family)
		return 0;
	n.addr = *b;
	if (a->family == 4)
		n.prefix = v4 > 32 ? 32 : v4;
	else
		n.prefix = v6 > 128 ? 128 : v6;
	return ip_in_net(a, &n);
}

/* An address that means "inside": RFC 1918 private, loopback, link-local,
 * CGNAT shared space (RFC 6598), IPv6 unique local and link-local. */
int
ip_is_internal(const struct ip_addr *ip)
{
	static const char *const nets[] = {
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
		"169.254.0.0/16", "100.64.0.0/10", "fc00::/7", "fe80::/10",
		"::1/128",
	};
	size_t i;
	struct ip_net net;

	for (i = 0; i < sizeof nets / sizeof nets[0]; i++)
		if (ip_net_parse(nets[i], &net) == 0 && ip_in_net(ip, &net))
			return 1;
	return 0;
}

static int
ipchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

/* Find the next address in text s[0..n) from *start: returns the length of
 * the match and sets *start to where it begins and ip to its value, or
 * returns 0 when there is none.  A candidate is a maximal run of hex digits,
 * colons and dots, not glued to a letter or digit on either side, that
 * inet_pton accepts (a trailing dot, as in "10.1.2.3.", is dropped). */
size_t
ip_scan(const char *s, size_t n, size_t *start, struct ip_addr *ip)
{
	size_t i = *start;

	while (i < n) {
		size_t j, e;
		int lit6 = i >= 5 && strncasecmp(s + i - 5, "IPv6:", 5) == 0;

		if (!ipchar((unsigned char)s[i]) || (!lit6 &&
		    i > 0 && (ipchar((unsigned char)s[i - 1]) ||
		    (s[i - 1] >= 'g' && s[i - 1] <= 'z') ||
		    (s[i - 1] >= 'G' && s[i - 1] <= 'Z') || s[i - 1] == '-' ||
		    s[i - 1] == '_'))) {
			i++;
			continue;
		}
		for (j = i; j < n && ipchar((unsigned char)s[j]); j++)
			;
		e = j;
		if (j < n && ((s[j] >= 'g' && s[j] <= 'z') ||
		    (s[j] >= 'G' && s[j] <= 'Z') || s[j] == '-' || s[j] == '_')) {
			i = j;
			continue;
		}
		while (e > i && s[e - 1] == '.')
			e--;
		if (e - i >= 2 && (memchr(s + i, ':', e - i) || memchr(s + i, '.', e - i)) &&
		    ip_parse(s + i, e - i, ip) == 0) {
			*start = i;
			return e - i;
		}
		i = j;
	}
	*start = n;
	return 0;
}
