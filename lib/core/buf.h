/* buf: a binary-safe growable byte string.  Mail may contain NUL, so every
 * piece of message data in portcullis is bytes with a length.  The bytes are
 * always followed by one NUL that is not counted, so a buf that holds text
 * can be handed to string functions. */
#ifndef PORTCULLIS_BUF_H
#define PORTCULLIS_BUF_H
#include <stddef.h>

struct buf {
	char   *p;
	size_t  len;
	size_t  cap;
};

#define BUF_INIT { NULL, 0, 0 }

int   buf_grow(struct buf *, size_t extra);
int   buf_add(struct buf *, const void *, size_t);
int   buf_adds(struct buf *, const char *);
int   buf_addc(struct buf *, int);
int   buf_printf(struct buf *, const char *, ...)
	__attribute__((format(printf, 2, 3)));
void  buf_reset(struct buf *);
void  buf_free(struct buf *);
char *buf_cstr(struct buf *);

#endif
