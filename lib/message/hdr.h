/* hdr: the header section of an RFC 5322 message as a list of fields,
 * each one pointing into the message's bytes so that a rewriter can copy
 * every field it keeps byte for byte.  Folding, duplicate fields, obsolete
 * syntax ("Subject : x"), overlong lines and lines without a colon are all
 * kept and marked, never "repaired".  RFC 2047 encoded words are decoded to
 * UTF-8 on request, for matching and display only. */
#ifndef PORTCULLIS_HDR_H
#define PORTCULLIS_HDR_H
#include <stddef.h>
#include "buf.h"

/* Field flags. */
#define HDR_NOCOLON   0x01  /* a line with no colon: kept, has no name */
#define HDR_BADNAME   0x02  /* name has bytes outside RFC 5322 ftext */
#define HDR_OBSNAME   0x04  /* white space before the colon (obs-optional) */
#define HDR_LONGLINE  0x08  /* a physical line over 998 octets (RFC 5322 2.1.1) */
#define HDR_NUL       0x10  /* a NUL byte in the field */
#define HDR_8BIT      0x20  /* bytes >= 0x80 in the field */
#define HDR_BARECR    0x40  /* a CR not followed by LF */

/* Section flags. */
#define HDR_TOOMANY   0x100 /* more fields than max_fields: rest not parsed */
#define HDR_TOOBIG    0x200 /* section over max_bytes: rest not parsed */

struct hdr_field {
	size_t   off;       /* first byte of the field in the message */
	size_t   len;       /* whole field with its continuations and line end */
	size_t   name_len;  /* name without trailing white space; 0 if none */
	size_t   val_off;   /* first byte after the colon */
	size_t   val_len;   /* to the end of the field, without its line end */
	unsigned flags;
};

struct hdr_limits {
	size_t max_fields;  /* default HDR_MAX_FIELDS */
	size_t max_bytes;   /* default HDR_MAX_BYTES */
};

/* Postfix stops at 102400 header bytes and 1000 fields; real mail from
 * large Exchange organisations comes close to 100 KB, so we allow more. */
#define HDR_MAX_FIELDS 2000
#define HDR_MAX_BYTES  (256 * 1024)

struct hdr {
	const char       *base;   /* the message's bytes */
	struct hdr_field *f;
	size_t            n, cap;
	unsigned          flags;  /* HDR_TOOMANY, HDR_TOOBIG, or of field flags */
};

int    hdr_parse(struct hdr *, const char *base, size_t off, size_t len,
	const struct hdr_limits *);
void   hdr_free(struct hdr *);
int    hdr_name_is(const struct hdr *, size_t i, const char *name);
long   hdr_find(const struct hdr *, const char *name, size_t from);
size_t hdr_count(const struct hdr *, const char *name);
int    hdr_unfold(const struct hdr *, size_t i, struct buf *out);
int    hdr_value(const struct hdr *, size_t i, struct buf *out);
int    hdr_decode_2047(const char *, size_t, struct buf *out);
const char *hdr_charset_bom(const char *cs, const char *p, size_t n);
int    hdr_valid_name(const char *, size_t);

#endif
