/* charset: text from one MIME charset to another through iconv, for the
 * rewriters: HTML rendered to UTF-8, a disclaimer written in a part's own
 * charset.  Charset names are a stranger's; iconv decides what it knows.
 * Library code: never prints, never exits. */
#ifndef PORTCULLIS_CHARSET_H
#define PORTCULLIS_CHARSET_H
#include <stddef.h>
#include "buf.h"

/* charset_conv modes */
#define CHARSET_STRICT  0   /* a byte that does not convert: -1, EILSEQ */
#define CHARSET_REPLACE 1   /* ... becomes U+FFFD (or '?' outside UTF-8) */

int charset_conv(const char *from, const char *to, const char *, size_t,
	struct buf *out, int mode);
int charset_ascii_compat(const char *);
int charset_is_utf8(const char *);
int charset_valid_utf8(const char *, size_t);

#endif
