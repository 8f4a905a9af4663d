/* mtree: a message's MIME structure with the place of every entity in the
 * message's bytes, for the rewriters that change one part and must copy
 * every other byte as it came (link-defang, add-disclaimer).  The walker
 * (mime.h) hands out decoded leaves for judging; this keeps the tree:
 * each entity's header fields, body, and for a multipart its parts with
 * the delimiter lines between them.  Boundaries and headers are read as
 * the walker reads them.  Depth and part counts are bounded; past a limit
 * an entity is kept whole as one opaque leaf.  Library code: never prints,
 * never exits. */
#ifndef PORTCULLIS_MTREE_H
#define PORTCULLIS_MTREE_H
#include <stddef.h>
#include "buf.h"
#include "decode.h"
#include "hdr.h"

#define MTREE_DEPTH  50      /* nesting kept as a tree (mime.h's default) */
#define MTREE_PARTS  10000   /* entities in one message */

struct mtree {
	size_t          off, len;   /* the entity in the message's bytes */
	size_t          body;       /* its body's first byte (absolute) */
	struct hdr      h;          /* its header fields, offsets absolute */
	char            type[128];  /* lower case; text/plain when none */
	char            charset[64];/* lower case; "" when none */
	enum decode_cte cte;
	int             attach;     /* Content-Disposition attachment or a
	                             * file name: an attachment, never edited */
	int             opaque;     /* a multipart not opened (limits, no
	                             * boundary): a leaf to copy as it is */
	char           *boundary;   /* a multipart's, NUL-terminated */
	struct mtree   *kid;        /* a multipart's parts */
	size_t          nkid;
};

int  mtree_parse(struct mtree *, const char *base, size_t off, size_t len,
	size_t hlen, size_t body);
void mtree_free(struct mtree *);
int  mtree_decode(const char *base, const struct mtree *, struct buf *out,
	size_t max);
int  mtree_is(const struct mtree *, const char *type);
int  mtree_signed(const struct mtree *);
int  mtree_textual(const struct mtree *);

#endif
