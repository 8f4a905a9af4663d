/* dkimcanon: DKIM canonicalisation (RFC 6376 section 3.4), the part of
 * signing and verifying that reads the message's untrusted bytes.  Lines
 * may end in LF or CRLF: both are the CRLF the message will travel with
 * (relay-out sends every line end as CRLF), so a lone LF counts as CRLF;
 * a lone CR is an ordinary byte.  Nothing here allocates beyond the
 * output buffer, and nothing changes the message. */
#ifndef PORTCULLIS_DKIMCANON_H
#define PORTCULLIS_DKIMCANON_H
#include <stddef.h>
#include "buf.h"

enum dkim_canon { DKIM_SIMPLE, DKIM_RELAXED };

/* One header field (name, colon, value and its folding, with or without
 * its final line end) canonicalised and appended to out with a final CRLF
 * (crlf non-zero) or without one (the signature's own field).  0, or -1
 * with errno. */
int dkimcanon_header(enum dkim_canon, const char *field, size_t len,
	int crlf, struct buf *out);

/* The body canonicalised in pieces, so that a hash can be fed as it goes:
 * dkimcanon_body_feed calls put for every run of canonical bytes; empty
 * lines are held back until something follows them (trailing ones are
 * dropped, section 3.4.3 and 3.4.4).  dkimcanon_body_end closes the body. */
struct dkimcanon_body {
	enum dkim_canon c;
	size_t   blank;      /* empty lines held back */
	int      inwsp;      /* relaxed: a run of WSP held back */
	int      cr;         /* the last byte fed was a CR */
	int      midline;    /* bytes since the last line end */
	int      any;        /* a non-empty line has been written */
	int    (*put)(void *, const void *, size_t);
	void    *arg;
};

void dkimcanon_body_init(struct dkimcanon_body *, enum dkim_canon,
	int (*put)(void *, const void *, size_t), void *arg);
int  dkimcanon_body_feed(struct dkimcanon_body *, const char *, size_t);
int  dkimcanon_body_end(struct dkimcanon_body *);

/* "simple" or "relaxed" into *c; "relaxed/simple" style pairs into both.
 * 0, or -1 (EINVAL). */
int dkimcanon_parse(const char *, enum dkim_canon *head, enum dkim_canon *body);

#endif
