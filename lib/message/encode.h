/* encode: the content transfer encodings of RFC 2045 section 6 in the
 * writing direction, for the rewriters that change a part's text and must
 * put it back as its header says it is (link-defang, add-disclaimer).
 * Lines are written with the line end the caller gives, the message's
 * own.  Library code: never prints, never exits. */
#ifndef PORTCULLIS_ENCODE_H
#define PORTCULLIS_ENCODE_H
#include <stddef.h>
#include "buf.h"

#define ENCODE_LINE 76   /* RFC 2045 6.7 (5) and 6.8: encoded line length */

int encode_base64(const char *, size_t, const char *eol, struct buf *out);
int encode_qp(const char *, size_t, const char *eol, struct buf *out);
int encode_lines(const char *, size_t, const char *eol, struct buf *out);
int encode_needs(const char *, size_t, int *eightbit, int *longline);

#endif
