/* route: where mail for a domain goes next, from control/routes: one
 * "DOMAIN NEXTHOP" per line, where DOMAIN is a domain, ".domain" for every
 * name under it, or "*" for every other domain, and NEXTHOP one of
 *   smtp:HOST[:PORT]   SMTP to that host (port 25)
 *   lmtp:HOST:PORT     LMTP over TCP (RFC 2033), as Dovecot and Cyrus take it
 *   lmtp:/PATH         LMTP over a Unix socket
 *   maildir:PATH       into a local maildir; %u, %d in PATH become the
 *                      recipient's local part and domain (lower case)
 * A domain with no route goes to its MX hosts.  The first line that
 * matches wins, exact names before ".domain" before "*". */
#ifndef PORTCULLIS_ROUTE_H
#define PORTCULLIS_ROUTE_H
#include <limits.h>
#include <stddef.h>
#include "ctl.h"

enum route_kind { ROUTE_MX = 0, ROUTE_SMTP, ROUTE_LMTP, ROUTE_LMTP_UNIX,
	ROUTE_MAILDIR };

struct route {
	enum route_kind kind;
	char host[256];        /* SMTP, LMTP: the host or [address] */
	char port[8];          /* as text, for getaddrinfo */
	char path[PATH_MAX];   /* LMTP_UNIX, MAILDIR */
};

int route_parse(const char *nexthop, struct route *);
int route_find(const struct ctl_list *, const char *domain, struct route *,
	unsigned *lineno);
int route_check(const struct ctl_list *, unsigned *lineno);
int route_same(const struct route *, const struct route *);
int route_maildir_path(const struct route *, const char *local,
	const char *domain, char *out, size_t n);

#endif
