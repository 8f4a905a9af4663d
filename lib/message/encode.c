/* encode: base64 and quoted-printable writers (see encode.h).  Input is
 * decoded text or bytes of any length; output grows by a bounded factor
 * (base64 4/3 plus line ends, QP at most 3 per byte plus soft breaks).
 * Runs under any uid. */
#include <string.h>

#include "encode.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* s[0..n) in base64, ENCODE_LINE characters a line, each line ending in
 * eol (RFC 2045 6.8), the last one too.  0, or -1 when out of memory. */
int
encode_base64(const char *s, size_t n, const char *eol, struct buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, col = 0;
	char q[4];

	for (i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)u[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)u[i + 1] << 8;
		if (i + 2 < n)
			v |= u[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		if (buf_add(out, q, 4) == -1)
			return -1;
		col += 4;
		if (col >= ENCODE_LINE && buf_adds(out, eol) == -1)
			return -1;
		if (col >= ENCODE_LINE)
			col = 0;
	}
	if (col > 0 && buf_adds(out, eol) == -1)
		return -1;
	return 0;
}

/* One encoded unit of QP into u: the byte itself or =XX. */
static size_t
qp_unit(unsigned char c, int literal, char u[3])
{
	static const char hex[] = "0123456789ABCDEF";

	if (literal) {
		u[0] = (char)c;
		return 1;
	}
	u[0] = '=';
	u[1] = hex[c >> 4];
	u[2] = hex[c & 15];
	return 3;
}

/* s[0..n) as quoted-printable text (RFC 2045 6.7): its line breaks (LF or
 * CRLF) become eol, other bytes outside printable ASCII, '=', white space
 * before a line break and an 'F' or '.' starting a line (so that neither
 * "From " nor a lone "." survives a careless transport) are =XX, and soft
 * breaks keep every line within ENCODE_LINE.  0, or -1 when out of
 * memory. */
int
encode_qp(const char *s, size_t n, const char *eol, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, col = 0;
	char u[3];

	for (i = 0; i < n; i++) {
		unsigned char c = p[i];
		int brk = c == '\n' || (c == '\r' && i + 1 < n && p[i + 1] == '\n');
		int lit, atend;
		size_t k;

		if (brk) {
			if (c == '\r')
				i++;
			if (buf_adds(out, eol) == -1)
				return -1;
			col = 0;
			continue;
		}
		atend = i + 1 == n || p[i + 1] == '\n' ||
		    (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n');
		lit = ((c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !atend)) &&
		    !(col == 0 && (c == 'F' || c == '.'));
		k = qp_unit(c, lit, u);
		/* room for the unit and, unless the line ends here, a '=' */
		if (col + k > ENCODE_LINE - (atend ? 0 : 1)) {
			if (buf_addc(out, '=') == -1 || buf_adds(out, eol) == -1)
				return -1;
			col = 0;
			if (c == 'F' || c == '.')
				k = qp_unit(c, 0, u);
		}
		if (buf_add(out, u, k) == -1)
			return -1;
		col += k;
	}
	return 0;
}

/* Text for a 7bit or 8bit part: s[0..n) with every line break made eol,
 * and a final line end added when missing.  0, or -1. */
int
encode_lines(const char *s, size_t n, const char *eol, struct buf *out)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != '\n')
			continue;
		size_t e = i > start && s[i - 1] == '\r' ? i - 1 : i;
		if (buf_add(out, s + start, e - start) == -1 ||
		    buf_adds(out, eol) == -1)
			return -1;
		start = i + 1;
	}
	if (start < n && (buf_add(out, s + start, n - start) == -1 ||
	    buf_adds(out, eol) == -1))
		return -1;
	return 0;
}

/* What s[0..n) needs to travel unencoded: *eightbit when a byte is over
 * 0x7f or a NUL or bare CR is in it, *longline when a line exceeds the
 * 998 octets of RFC 5322 2.1.1.  Returns 1 when either holds. */
int
encode_needs(const char *s, size_t n, int *eightbit, int *longline)
{
	size_t i, col = 0;

	*eightbit = *longline = 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n') {
			col = 0;
			continue;
		}
		if (c >= 0x80 || c == 0 ||
		    (c == '\r' && !(i + 1 < n && s[i + 1] == '\n')))
			*eightbit = 1;
		if (++col > 998)
			*longline = 1;
	}
	return *eightbit || *longline;
}
