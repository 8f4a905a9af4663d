/* decode: the MIME content transfer encodings of RFC 2045 section 6 and
 * the percent encoding of RFC 2231 parameter values, as lenient as the
 * mail clients a reader uses, so that the scanner sees the bytes the
 * reader will see.  Everything decoded is counted against a cap given by
 * the caller: decoding never grows memory past it. */
#ifndef PORTCULLIS_DECODE_H
#define PORTCULLIS_DECODE_H
#include <stddef.h>
#include "buf.h"

/* Flags for what the input had that a strict decoder would refuse. */
#define DECODE_JUNK     0x01  /* base64: bytes outside the alphabet */
#define DECODE_NOPAD    0x02  /* base64: a final group without its padding */
#define DECODE_BADQP    0x04  /* quoted-printable: '=' not followed by hex */
#define DECODE_CAPPED   0x08  /* output reached max: the rest was dropped */

enum decode_cte {
	DECODE_7BIT = 0, DECODE_8BIT, DECODE_BINARY, DECODE_QP, DECODE_BASE64,
	DECODE_UUENCODE, DECODE_UNKNOWN
};

enum decode_cte decode_cte_parse(const char *, size_t);
const char     *decode_cte_name(enum decode_cte);
int decode_base64(const char *, size_t, struct buf *out, size_t max,
	unsigned *flags);
int decode_qp(const char *, size_t, struct buf *out, size_t max,
	unsigned *flags);
int decode_base64_quads(const char *, size_t, struct buf *out, size_t max,
	unsigned *flags);
int decode_base64_midpad(const char *, size_t);
int decode_qp_upper(const char *, size_t, struct buf *out, size_t max,
	unsigned *flags);
int decode_qp_lower(const char *, size_t);
int decode_yenc(const char *, size_t, char *name, size_t namesize,
	struct buf *out, size_t max, unsigned *flags);
int decode_body(enum decode_cte, const char *, size_t, struct buf *out,
	size_t max, unsigned *flags);
int decode_pct(const char *, size_t, struct buf *out);
int decode_uu_next(const char *, size_t, size_t *pos, char *name,
	size_t namesize, struct buf *out, size_t max, unsigned *flags);
int decode_hqx(const char *, size_t, char *name, size_t namesize,
	struct buf *out, size_t max, unsigned *flags);

#endif
