/* json: untrusted bytes as a JSON string (RFC 8259), for the output of
 * tools that scripts read (portcullis-queue -j).  UTF-8 is kept where it
 * is valid (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF); every other byte becomes U+FFFD, and controls, the quote and
 * the backslash are escaped, so that any input gives valid JSON. */
#ifndef PORTCULLIS_JSON_H
#define PORTCULLIS_JSON_H
#include <stddef.h>
#include "buf.h"

int json_str(struct buf *, const char *, size_t);

#endif
