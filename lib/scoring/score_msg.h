/* score_msg: one message seen the ways spam-score's rules look at it
 * (spam-score(5)): its header fields RFC 2047-decoded, its body text
 * (text/plain parts and text/html parts rendered to text, converted to
 * UTF-8 and normalised), its raw text parts, its links, and the counts
 * the built-in tests need.  Built once per message from the MIME walker
 * (mime.h); the message is a stranger's, every part is bounded by the
 * MIME limits and the text by SCORE_TEXT_MAX.  Library code. */
#ifndef PORTCULLIS_SCORE_MSG_H
#define PORTCULLIS_SCORE_MSG_H
#include <stddef.h>
#include "buf.h"
#include "hdr.h"
#include "mime.h"
#include "msg.h"

/* Body rules look at no more than this much text: SpamAssassin stops at
 * a few hundred kilobytes too, spam says what it has to say early, and a
 * bound keeps the regex time of one message bounded. */
#define SCORE_TEXT_MAX (512 * 1024)

struct score_msg {
	const struct msg *m;
	const struct hdr *h;
	struct buf  hdrs;     /* "Name: decoded value\n" for every field */
	struct buf  text;     /* Subject, then the body text, normalised */
	struct buf  raw;      /* text parts decoded, not rendered */
	struct buf  uris;     /* one link per line */
	struct buf  lower;    /* scratch: a lower-case copy for the prefilter */
	size_t      nuri;
	size_t      nplain, nhtml, nimage, nattach;
	size_t      textchars;       /* letters and digits of the body text */
	size_t      letters, upper;  /* ASCII letters, upper-case ones */
	unsigned    mimeflags;       /* MIME_* of the walk */
	unsigned    htmlflags;       /* SCORE_HTML_* */
};

int  score_msg_build(struct score_msg *, const struct msg *, const struct hdr *,
	const struct mime_limits *);
void score_msg_free(struct score_msg *);
int  score_msg_field(const struct score_msg *, const char *name, size_t from,
	struct buf *out);
int  score_text_normalise(const char *, size_t, struct buf *out, size_t max);
int  score_text_uris(const char *, size_t, struct buf *uris, size_t *nuri);

#endif
