/* addr: RFC 5322 address lists as readers see them (display names, quoted
 * strings, comments, groups, angle addresses, obsolete routes) and RFC 5321
 * paths as SMTP carries them.  The parser is lenient, as mail clients are,
 * but marks everything a client could read another way, so that a checker
 * can refuse to guess. */
#ifndef PORTCULLIS_ADDR_H
#define PORTCULLIS_ADDR_H
#include <stddef.h>
#include "buf.h"

#define ADDR_ROUTE      0x001  /* obsolete source route "<@a,@b:x@y>" */
#define ADDR_AMBIGUOUS  0x002  /* could be read more than one way */
#define ADDR_NODOMAIN   0x004  /* no "@domain" */
#define ADDR_LITERAL    0x008  /* domain is an address literal [..] */
#define ADDR_UNCLOSED   0x010  /* a quote, comment, < or [ never closed */
#define ADDR_NUL        0x020  /* a NUL or other control byte */
#define ADDR_QUOTEDLOCAL 0x040 /* local part is a quoted string */
#define ADDR_NULLPATH   0x080  /* "<>" */
#define ADDR_8BIT       0x100  /* raw 8-bit bytes */
#define ADDR_ENCODED    0x200  /* RFC 2047 encoded word in the address */
#define ADDR_JUNK       0x400  /* text the grammar has no place for */

#define ADDR_MAX        500    /* addresses in one list */

struct addr {
	char    *display;  /* display name, unquoted, RFC 2047 decoded, UTF-8 */
	char    *local;    /* local part, unquoted (its meaning) */
	char    *domain;   /* domain as written ("" if none) */
	char    *comment;  /* text of the comments, joined by spaces */
	char    *group;    /* name of the group it is in, or NULL */
	unsigned flags;
};

struct addr_list {
	struct addr *a;
	size_t       n, cap;
	unsigned     flags;  /* or of every address's flags, plus these */
};

int   addr_parse_list(const char *, size_t, struct addr_list *);
void  addr_list_free(struct addr_list *);
int   addr_parse_path(const char *, size_t, struct addr *);
void  addr_free(struct addr *);
int   addr_domain_norm(const char *, char *out, size_t outsize);
int   addr_domain_in(const char *domain, char *const *list, size_t n);
int   addr_domain_eq(const char *, const char *);
size_t addr_scan_text(const char *, size_t, size_t *start, struct buf *domain);

#endif
