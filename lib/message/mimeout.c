/* mimeout: header fields, boundaries and bodies for MIME rewrites (see
 * mimeout.h).  Fields are copied byte for byte with their folding and
 * line ends.  Runs under any uid. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "encode.h"
#include "mimeout.h"

/* Is field i a Content-* field (RFC 2045 9: they describe the body, and
 * go with it when it moves into a part of its own)? */
int
mimeout_is_content(const struct hdr *h, size_t i)
{
	const struct hdr_field *f = &h->f[i];

	return f->name_len >= 8 && strncasecmp(h->base + f->off, "Content-", 8) == 0;
}

/* Copy the fields of h that what selects, but for those named in drop
 * (NULL-terminated, case ignored), to out.  0, or -1. */
int
mimeout_fields(struct buf *out, const struct hdr *h, unsigned what,
    const char *const *drop)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		const char *const *d;
		int c = mimeout_is_content(h, i), skip = 0;
		if (!(what & (c ? MIMEOUT_CONTENT : MIMEOUT_OTHER)))
			continue;
		for (d = drop; d && *d && !skip; d++)
			skip = hdr_name_is(h, i, *d);
		if (!skip && buf_add(out, h->base + h->f[i].off, h->f[i].len) == -1)
			return -1;
	}
	return 0;
}

/* A boundary for a multipart we make, into out: "=_portcullis_" and 24
 * random hex digits ("=_" cannot occur in quoted-printable or base64
 * text, RFC 2045 6.7 and 6.8), tried again in the unlikely case that the
 * message holds it.  0, or -1. */
int
mimeout_boundary(const char *msg, size_t len, char *out, size_t n)
{
	unsigned char r[12];
	size_t k, tries;

	if (n < 40) {
		errno = ERANGE;
		return -1;
	}
	for (tries = 0; tries < 8; tries++) {
		if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
			unsigned long v = (unsigned long)time(NULL) ^
			    ((unsigned long)getpid() << 16) ^ tries;
			for (k = 0; k < sizeof r; k++)
				r[k] = (unsigned char)(v >> (k % 8 * 8)) ^ (unsigned char)k;
		}
		k = (size_t)snprintf(out, n, "=_portcullis_");
		for (size_t j = 0; j < sizeof r; j++)
			k += (size_t)snprintf(out + k, n - k, "%02x", r[j]);
		if (memmem(msg, len, out, k) == NULL)
			return 0;
	}
	errno = EEXIST;
	return -1;
}

/* The transfer encoding for new text s[0..n) in a part that had was: the
 * same for base64 and quoted-printable; 7bit stays unless the text needs
 * 8 bits or has an overlong line, 8bit unless a line is overlong; then
 * quoted-printable. */
enum decode_cte
mimeout_cte(enum decode_cte was, const char *s, size_t n)
{
	int eight, longl;

	if (was == DECODE_BASE64 || was == DECODE_QP)
		return was;
	encode_needs(s, n, &eight, &longl);
	if (was == DECODE_BINARY)
		return was;
	if (longl || (eight && was != DECODE_8BIT))
		return DECODE_QP;
	return was == DECODE_8BIT ? DECODE_8BIT : DECODE_7BIT;
}

/* Body s[0..n) in encoding cte, lines ending in eol, appended to out.
 * 0, or -1. */
int
mimeout_body(struct buf *out, enum decode_cte cte, const char *s, size_t n,
    const char *eol)
{
	switch (cte) {
	case DECODE_BASE64:
		return encode_base64(s, n, eol, out);
	case DECODE_QP:
		return encode_qp(s, n, eol, out);
	case DECODE_BINARY:
		return buf_add(out, s, n);
	default:
		return encode_lines(s, n, eol, out);
	}
}
