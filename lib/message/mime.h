/* mime: the MIME walker (RFC 2045, 2046, 2047, 2231).  One message's bytes
 * go in; out come its leaves, each with its place in the tree ("2.1", as
 * IMAP numbers parts, RFC 3501 6.4.5), its header fields, declared type,
 * file name (RFC 2231 and RFC 2047 decoded to UTF-8), transfer encoding and
 * decoded bytes, handed one at a time to a callback, so that memory holds
 * one decoded leaf at a time.  Multiparts and message/rfc822 parts are
 * recursed into up to a depth limit.
 *
 * Where clients could read a message two ways (two Content-Type fields, a
 * parameter given twice, a missing final boundary) the walker does what
 * the common clients do and sets a flag, so that policy can hold what a
 * scanner and a reader might see differently; mime_walk_reading takes
 * the lenient reading too, and a leaf is handed out once under each name
 * a reader might give it (mime_param_readings) and once more where its
 * encoding is decoded two ways.  Library code: never prints, never
 * exits. */
#ifndef PORTCULLIS_MIME_H
#define PORTCULLIS_MIME_H
#include <stddef.h>
#include "hdr.h"

/* Part flags; a message's flags are the or of its parts' plus its own. */
#define MIME_AMBIG_CT     0x0001  /* two Content-Type fields */
#define MIME_AMBIG_CTE    0x0002  /* two Content-Transfer-Encoding fields */
#define MIME_AMBIG_PARAM  0x0004  /* a parameter given twice (boundary, name) */
#define MIME_AMBIG_NAME   0x0008  /* filename and name differ */
#define MIME_NOEND        0x0010  /* multipart without its close delimiter */
#define MIME_NOBOUNDARY   0x0020  /* multipart without a boundary parameter */
#define MIME_NOSTART      0x0040  /* multipart whose boundary never occurs */
#define MIME_BADCTE       0x0080  /* unknown transfer encoding: kept raw */
#define MIME_BADB64       0x0100  /* junk or missing padding in base64 */
#define MIME_BADQP        0x0200  /* malformed quoted-printable */
#define MIME_NOHDR        0x0400  /* a part with no header section */
#define MIME_CAPPED       0x0800  /* decoded size over the part limit */
#define MIME_DEPTH        0x1000  /* nesting over the depth limit */
#define MIME_PARTS        0x2000  /* more parts than the part limit */
#define MIME_TOTAL        0x4000  /* decoded bytes over the total limit */
#define MIME_BADHDR       0x8000  /* a header section over the limits */
#define MIME_ENCMSG       0x10000 /* message/rfc822 or multipart in base64, QP */
/* Flags of containers and their members (unpack.h, explode.h). */
#define MIME_ENCRYPTED    0x20000 /* an encrypted member or container */
#define MIME_RATIO        0x40000 /* expanded past the ratio limit: a bomb */
#define MIME_CONTAINER    0x80000 /* an archive or compressed file, opened */
#define MIME_MEMBER       0x100000 /* a member of a container */
#define MIME_CORRUPT      0x200000 /* a container libarchive could not read */
#define MIME_BADNAME      0x400000 /* ../, absolute, control or bidi in a name */
#define MIME_TIME         0x800000 /* the time limit for the message ran out */
/* Anomalies found by comparing readings (mime-explode(8)). */
#define MIME_HIDDEN       0x1000000 /* a delimiter and MIME fields in a leaf's body */
#define MIME_READING      0x2000000 /* an item only another reading finds */
#define MIME_LONECR       0x4000000 /* a CR that is no line end, in the structure */
#define MIME_BADQPBIN     0x8000000 /* malformed quoted-printable, not text */

#define MIME_AMBIGUOUS (MIME_AMBIG_CT | MIME_AMBIG_CTE | MIME_AMBIG_PARAM | \
	MIME_AMBIG_NAME | MIME_NOSTART | MIME_ENCMSG)
#define MIME_LIMITS (MIME_CAPPED | MIME_DEPTH | MIME_PARTS | MIME_TOTAL | \
	MIME_RATIO | MIME_TIME)

/* Limits, each a control setting (portcullis-control(5)).  Postfix stops
 * MIME nesting at 100; MAILsweeper opens 50 layers; a real message rarely
 * nests past 5, so 50 costs nothing and stops stack and time abuse. */
#define MIME_DEF_DEPTH      50UL
#define MIME_DEF_PARTS      10000UL
#define MIME_DEF_TOTAL      (256UL * 1024 * 1024)
#define MIME_DEF_PARTBYTES  (64UL * 1024 * 1024)
#define MIME_DEF_RATIO      100UL
#define MIME_DEF_SECONDS    30UL
#define MIME_PATH_MAX       1024   /* bytes of a part's path, as shown */

struct mime_limits {
	size_t depth;      /* control/mimedepth */
	size_t parts;      /* control/mimeparts: parts and members in total */
	size_t total;      /* control/mimebytes: decoded bytes in total */
	size_t partbytes;  /* control/mimepartbytes: one part or member */
	size_t ratio;      /* control/mimeratio: expansion of one member */
	size_t seconds;    /* control/mimeseconds: time for one message */
};

/* One leaf, valid during the callback only. */
struct mime_part {
	const char       *path;      /* "1", "2.1", ... */
	size_t            depth;     /* 1 for a top-level part */
	const struct hdr *h;         /* its own header fields (n may be 0) */
	const char       *type;      /* declared type, lower case, "text/plain"
	                              * when none (RFC 2045 5.2) */
	const char       *filename;  /* UTF-8, "" when none */
	const char       *cte;       /* "base64", ... as understood */
	const char       *data;      /* decoded bytes */
	size_t            len;
	size_t            rawlen;    /* encoded bytes in the message */
	unsigned          flags;
};

/* Return 0 to go on, 1 to stop the walk early, -1 for an error. */
typedef int (*mime_leaf_fn)(void *arg, const struct mime_part *);

struct mime_stats {
	size_t   parts;      /* entities seen, multiparts included */
	size_t   leaves;
	size_t   bytes;      /* decoded bytes handed out */
	size_t   maxdepth;
	unsigned flags;      /* or of every part's flags */
};

void mime_limits_default(struct mime_limits *);
int  mime_limits_ctl(struct mime_limits *);
int  mime_walk(const char *msg, size_t len, const struct mime_limits *,
	size_t depth0, const char *path0, mime_leaf_fn, void *arg,
	struct mime_stats *);
#define MIME_READ_LENIENT 0x1  /* mime_walk_reading: the lenient reading */
#define MIME_READ_ALL     0x2  /* every name, every decoding of a leaf */
int  mime_walk_reading(const char *msg, size_t len, const struct mime_limits *,
	size_t depth0, const char *path0, mime_leaf_fn, void *arg,
	struct mime_stats *, int reading);
int  mime_param(const char *value, size_t n, const char *name,
	struct buf *out, unsigned *flags);
int  mime_param_readings(const char *value, size_t n, const char *name,
	struct buf *list);
int  mime_same_base(const char *, size_t, const char *, size_t);
int  mime_same_ext(const char *, size_t, const char *, size_t);
int  mime_in_list(const struct buf *, const char *, size_t);
int  mime_type(const char *value, size_t n, char *out, size_t outsize);
const char *mime_flag_names(unsigned flags, char *out, size_t n);
void mime_head_end(const char *, size_t, size_t *hlen, size_t *body);
int  mime_delim(const char *, size_t, const char *b, size_t bl);

#endif
