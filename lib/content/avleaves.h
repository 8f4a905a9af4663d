/* avleaves: what of a message goes to the anti-virus engines besides the
 * raw message (virus-scan(8)): the leaves an engine reading the raw
 * message may not reach, gathered into one uncompressed ustar archive
 * (one request per engine however many there are): members of
 * containers, uuencoded and embedded objects, parts whose MIME a parser
 * could read another way, and S/MIME parts the escrow keys decrypt,
 * whole and taken apart.  Also the first encrypted item found, for
 * control/encryptedpolicy.  Bounded by a byte cap.  The decrypted bytes
 * are wiped when the leaves are freed.  Never prints, never exits. */
#ifndef PORTCULLIS_AVLEAVES_H
#define PORTCULLIS_AVLEAVES_H
#include <stddef.h>
#include "buf.h"
#include "escrow.h"
#include "mime.h"

#define AVLEAVES_PLAIN_MAX 8     /* S/MIME parts of one message decrypted */

struct avleaves {
	struct buf  tar;               /* the archive; empty when n is 0 */
	size_t      n, bytes;          /* members, and their bytes */
	size_t      skipped;           /* leaves past the cap */
	size_t      lostplain;         /* ... of them decrypted ones */
	size_t      nplain;            /* S/MIME parts decrypted */
	const char *crypt;             /* the first encrypted item's kind */
	char        cpath[220];        /* ... its path, escaped */
	/* the walk's own */
	size_t      cap;
	const struct escrow      *esc;
	const struct mime_limits *lim;
	struct buf  plain[AVLEAVES_PLAIN_MAX];
	int         inplain;
};

/* Walk the message under lim; leaves up to cap bytes (0: none, and no
 * decryption); esc may be NULL.  0, or -1 with errno. */
int  avleaves_gather(struct avleaves *, const char *, size_t,
	const struct mime_limits *, size_t cap, const struct escrow *);
void avleaves_free(struct avleaves *);

/* The archive's parts, for the tests. */
int  avleaves_tar_add(struct buf *, size_t n, const char *data, size_t len);
int  avleaves_tar_end(struct buf *);

#endif
