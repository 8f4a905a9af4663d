/* rcptlist: control/recipients, the valid recipients at our local
 * domains: one address per line, "@domain" for every address at a domain,
 * '#' starts a comment.  Lookups are case-insensitive on the whole
 * address, as Postfix's table lookups are: user@dom, then the address
 * without its +extension, then @dom.
 *
 * The text may hold a million lines, so it is read once into an index, a
 * cdb file (lib/core/cdb.c) that records which text it was built from
 * (device, inode, size, modification time); any change to the text
 * rebuilds it.  Builders take a lock, write a temporary file, sync it and
 * rename it into place, so that concurrent readers see the old index or
 * the new one, never half of one.  When the index cannot be written the
 * text is read into a hash table in memory instead, and the reason is
 * kept for the log.  Never prints, never exits. */
#ifndef PORTCULLIS_RCPTLIST_H
#define PORTCULLIS_RCPTLIST_H
#include <stddef.h>

#define RCPTLIST_LINE_MAX 1024   /* one line of the text (RFC 5321: 256 per path) */
#define RCPTLIST_KEY_MAX  512

struct rcptlist;

int  rcptlist_key(const char *line, size_t n, char *key, size_t keysize);
int  rcptlist_build(const char *text, const char *index, char *err, size_t);
int  rcptlist_open(const char *text, const char *index, struct rcptlist **,
	char *err, size_t errsize);
const char *rcptlist_fallback(const struct rcptlist *);
int  rcptlist_rebuilt(const struct rcptlist *);
int  rcptlist_has(const struct rcptlist *, const char *key, size_t n);
int  rcptlist_lookup(const struct rcptlist *, const char *local,
	const char *domain, const char *delims);
void rcptlist_close(struct rcptlist *);

#endif
