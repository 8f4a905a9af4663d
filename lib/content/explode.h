/* explode: one message taken apart all the way down: every MIME leaf
 * (mime.h), every member of every container in it (unpack.h), every
 * message inside a container, to the depth limit, under one budget of
 * parts, bytes and time for the whole message.  Each item is handed to a
 * callback with its path:
 *
 *     2              a MIME leaf (IMAP part numbering)
 *     2/inner.zip    a member of the container that leaf 2 is
 *     2/inner.zip/doc.exe
 *     2/fwd.eml/1    a leaf of a message inside a container
 *     1/invoice.exe  a uuencoded or BinHex block, a TNEF attachment or
 *                    an RTF object inside a part; 2/data-1, a base64
 *                    data: URI in it
 *
 * A container is handed out after its members, with the flags found
 * while opening it (encrypted, corrupt, a limit reached).  Used by
 * mime-explode(8) and filetype-check(8).  Never prints, never exits. */
#ifndef PORTCULLIS_EXPLODE_H
#define PORTCULLIS_EXPLODE_H
#include <stddef.h>
#include "buf.h"
#include "hdr.h"
#include "mime.h"

struct explode_item {
	const char       *path;    /* see above; names in it are raw data */
	const char       *name;    /* file name or member name, "" if none */
	const char       *type;    /* declared type; "" for members */
	const char       *enc;     /* transfer encoding, or container format */
	const struct hdr *h;       /* a MIME leaf's own fields; NULL for members */
	const char       *data;    /* decoded bytes (NULL: encrypted) */
	size_t            len;
	size_t            depth;   /* containers and parts above it */
	unsigned          flags;   /* MIME_* */
};

/* 0 go on, 1 stop, -1 error. */
typedef int (*explode_fn)(void *arg, const struct explode_item *);

struct explode_stats {
	size_t   items;
	size_t   bytes;
	size_t   maxdepth;
	unsigned flags;            /* or of every item's flags and the walk's */
};

int explode_escape(const char *, size_t, struct buf *);
int explode_safe_name(const char *path, char *out, size_t n);
int explode_message(const char *, size_t, const struct mime_limits *,
	explode_fn, void *arg, struct explode_stats *);

#endif
