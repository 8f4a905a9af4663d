/* authres: the Authentication-Results header field of RFC 8601, as far as
 * a gateway needs it to tell its own results from forged ones: a field
 * whose authserv-id is ours and that arrived from outside must be removed,
 * not trusted (RFC 8601 section 5). */
#ifndef PORTCULLIS_AUTHRES_H
#define PORTCULLIS_AUTHRES_H
#include <stddef.h>
#include "buf.h"

int authres_id_is(const char *value, size_t n, const char *id);
int authres_value(struct buf *, const char *, int quote);
int authres_comment(struct buf *, const char *);
int authres_fold(const struct buf *in, struct buf *out);

#endif
