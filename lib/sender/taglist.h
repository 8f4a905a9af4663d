/* taglist: the tag=value lists of DKIM signatures and key records (RFC
 * 6376 3.2) and of DMARC records (RFC 7489 6.4).  The tags point into the
 * bytes given, which stay the caller's; white space around names and
 * values is dropped, inside values kept. */
#ifndef PORTCULLIS_TAGLIST_H
#define PORTCULLIS_TAGLIST_H
#include <stddef.h>

#define TAGLIST_MAX 32

struct tag {
	const char *name, *val;
	size_t      nl, vl;
};

int taglist_parse(const char *, size_t, struct tag *, size_t max);
const struct tag *taglist_get(const struct tag *, size_t n, const char *name);
int taglist_is(const struct tag *, const char *value);

#endif
