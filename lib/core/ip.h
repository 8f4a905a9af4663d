/* ip: IPv4 and IPv6 addresses and CIDR ranges as text in control files
 * and in trace headers: parsing, matching, and finding them in free text. */
#ifndef PORTCULLIS_IP_H
#define PORTCULLIS_IP_H
#include <stddef.h>

struct ip_addr {
	int           family;   /* 4 or 6 */
	unsigned char a[16];    /* IPv4 in the first 4 bytes */
};

struct ip_net {
	struct ip_addr addr;
	unsigned       prefix;
};

int    ip_parse(const char *, size_t, struct ip_addr *);
int    ip_net_parse(const char *, struct ip_net *);
int    ip_in_net(const struct ip_addr *, const struct ip_net *);
int    ip_same_prefix(const struct ip_addr *, const struct ip_addr *,
	unsigned v4prefix, unsigned v6prefix);
int    ip_is_internal(const struct ip_addr *);
size_t ip_scan(const char *, size_t, size_t *start, struct ip_addr *);

#endif
