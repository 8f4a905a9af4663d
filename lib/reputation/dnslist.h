/* dnslist: the administrator's own block and allow lists, in plain files
 * of the formats rbldnsd serves, so that one file can feed both
 * dnsbl-check(8) directly and an rbldnsd zone for other hosts:
 *
 *     ip4set / ip6trie      1.2.3.4   1.2.3.0/24   1.2.3   1.2.3.4-1.2.3.9
 *                           2001:db8::/32   !1.2.3.7 (an exception)
 *     dnset                 example.com      (that name)
 *                           .example.com     (it and every name under it)
 *                           *.example.com    (only the names under it)
 *                           !ok.example.com  (an exception)
 *
 * An entry may carry its own value, ":127.0.0.3:text", ":3:text" or just
 * "text"; a line that starts with ':' sets the value of the entries that
 * carry none; '$' in a text stands for the name or address looked up.
 * Lines starting with '$' ($SOA, $NS, $TTL) and '#' comments are skipped.
 * The files are the administrator's, but they are parsed as carefully as
 * mail: a line that is not an entry is an error with its line number.
 * Library code: never prints, never exits. */
#ifndef PORTCULLIS_DNSLIST_H
#define PORTCULLIS_DNSLIST_H
#include <stddef.h>
#include "ip.h"

enum dnslist_kind { DNSLIST_IP, DNSLIST_NAME };

#define DNSLIST_TEXT_MAX 255    /* a TXT string's limit (RFC 1035 3.3) */

struct dnslist_entry {
	int            family;     /* IP lists: 4 or 6 */
	unsigned char  lo[16], hi[16];
	char          *name;       /* name lists: lower case, no final dot */
	int            sub;        /* 0 the name; 1 it and below; 2 only below */
	int            except;     /* "!entry" */
	unsigned char  a[4];       /* the value an rbldnsd would answer */
	const char    *text;       /* "" when none; points into texts */
};

struct dnslist {
	enum dnslist_kind     kind;
	struct dnslist_entry *e;
	size_t                n, cap;
	char                **texts;   /* owned strings the entries point to */
	size_t                ntexts, captexts;
};

int  dnslist_parse(struct dnslist *, enum dnslist_kind, const char *, size_t,
	unsigned *errline, char *err, size_t errsize);
int  dnslist_load(struct dnslist *, enum dnslist_kind, const char *path,
	char *err, size_t errsize);
int  dnslist_match_ip(const struct dnslist *, const struct ip_addr *,
	unsigned char a[4], const char **text);
int  dnslist_match_name(const struct dnslist *, const char *name,
	unsigned char a[4], const char **text);
void dnslist_free(struct dnslist *);

#endif
