/* decode: content transfer encodings (see decode.h).  Input is a
 * stranger's body text; every loop is bounded by its length and every
 * output by the caller's cap.  Runs under any uid. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ascii.h"
#include "decode.h"

static const struct {
	const char     *name;
	enum decode_cte cte;
} ctes[] = {
	{ "7bit", DECODE_7BIT }, { "8bit", DECODE_8BIT },
	{ "binary", DECODE_BINARY }, { "quoted-printable", DECODE_QP },
	{ "base64", DECODE_BASE64 },
	/* Not in RFC 2045, but Outlook Express and others wrote them. */
	{ "x-uuencode", DECODE_UUENCODE }, { "x-uue", DECODE_UUENCODE },
	{ "uuencode", DECODE_UUENCODE },
};

/* The encoding a Content-Transfer-Encoding value names, white space and
 * case ignored (RFC 2045 6.1); a missing field is 7bit (RFC 2045 6.1). */
enum decode_cte
decode_cte_parse(const char *s, size_t n)
{
	size_t i;

	while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
	    s[n - 1] == '\n' || s[n - 1] == ';'))
		n--;
	if (n == 0)
		return DECODE_7BIT;
	for (i = 0; i < sizeof ctes / sizeof ctes[0]; i++)
		if (strlen(ctes[i].name) == n && strncasecmp(s, ctes[i].name, n) == 0)
			return ctes[i].cte;
	return DECODE_UNKNOWN;
}

const char *
decode_cte_name(enum decode_cte c)
{
	switch (c) {
	case DECODE_7BIT: return "7bit";
	case DECODE_8BIT: return "8bit";
	case DECODE_BINARY: return "binary";
	case DECODE_QP: return "quoted-printable";
	case DECODE_BASE64: return "base64";
	case DECODE_UUENCODE: return "x-uuencode";
	default: return "unknown";
	}
}

/* Append n bytes unless that passes max; past it, append what fits and
 * set DECODE_CAPPED.  0, or -1 (ENOMEM). */
static int
put(struct buf *out, const void *p, size_t n, size_t max, unsigned *flags)
{
	if (out->len + n > max) {
		*flags |= DECODE_CAPPED;
		n = max > out->len ? max - out->len : 0;
	}
	return n ? buf_add(out, p, n) : 0;
}

/* The value of each base64 character, -1 for the rest: a table, since
 * base64 is most of the bytes of most mail with attachments. */
static const signed char b64tab[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static int
b64val(unsigned char c)
{
	return b64tab[c];
}

/* Base64 (RFC 2045 6.8) as clients read it: bytes outside the alphabet
 * are skipped (the RFC says ignore them), a final group without its '='
 * padding still yields its bytes, and decoding goes on after padding,
 * since concatenated base64 bodies exist and Python, Thunderbird and
 * Outlook all read past the '='. */
int
decode_base64(const char *s, size_t n, struct buf *out, size_t max,
    unsigned *flags)
{
	unsigned char q[4], o[3];
	size_t i, k = 0;
	int v;

	if (buf_grow(out, n / 4 * 3 + 3) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '=') {
			if (k >= 2) {
				o[0] = (unsigned char)(q[0] << 2 | q[1] >> 4);
				o[1] = (unsigned char)(q[1] << 4 | q[2] >> 2);
				if (put(out, o, k - 1, max, flags) == -1)
					return -1;
			}
			k = 0;
			continue;
		}
		if ((v = b64val(c)) == -1) {
			if (c != '\r' && c != '\n' && c != ' ' && c != '\t')
				*flags |= DECODE_JUNK;
			continue;
		}
		q[k++] = (unsigned char)v;
		if (k == 4) {
			o[0] = (unsigned char)(q[0] << 2 | q[1] >> 4);
			o[1] = (unsigned char)(q[1] << 4 | q[2] >> 2);
			o[2] = (unsigned char)(q[2] << 6 | q[3]);
			if (put(out, o, 3, max, flags) == -1)
				return -1;
			k = 0;
			if (*flags & DECODE_CAPPED)
				return 0;
		}
	}
	if (k >= 2) {
		*flags |= DECODE_NOPAD;
		q[k] = 0;
		if (k == 2)
			q[2] = 0;
		o[0] = (unsigned char)(q[0] << 2 | q[1] >> 4);
		o[1] = (unsigned char)(q[1] << 4 | q[2] >> 2);
		if (put(out, o, k - 1, max, flags) == -1)
			return -1;
	} else if (k == 1)
		*flags |= DECODE_NOPAD;
	return 0;
}

/* Quoted-printable (RFC 2045 6.7) as Python's binascii.a2b_qp reads it,
 * the reference our parse is measured against: "=XX" (lower-case hex
 * too), "=" before a line end joins the lines, an "=" that starts neither
 * is kept as it is (the RFC's advice for robust decoders) and flagged, and
 * the rest, white space at line ends and the line ends themselves, is
 * kept as it came.  RFC 2045 lets a decoder drop trailing white space;
 * keeping it changes no byte a reader could act on. */
static int qp(const char *, size_t, struct buf *, size_t, unsigned *, int);

int
decode_qp(const char *s, size_t n, struct buf *out, size_t max,
    unsigned *flags)
{
	return qp(s, n, out, max, flags, 0);
}

/* decode_qp, and with upper set decode_qp_upper. */
static int
qp(const char *s, size_t n, struct buf *out, size_t max, unsigned *flags,
    int upper)
{
	size_t i = 0;
	int h, l;

	if (buf_grow(out, n) == -1)
		return -1;
	while (i < n && !(*flags & DECODE_CAPPED)) {
		unsigned char c = (unsigned char)s[i], b;
		size_t run;
		if (c != '=') {
			/* copy a run of plain bytes at once */
			const char *eq = memchr(s + i, '=', n - i);
			run = eq ? (size_t)(eq - (s + i)) : n - i;
			if (put(out, s + i, run, max, flags) == -1)
				return -1;
			i += run;
			continue;
		}
		if (++i >= n)
			break;
		if (s[i] == '\n' || s[i] == '\r') {
			/* soft line break: "=" CRLF or "=" LF */
			while (i < n && s[i] != '\n')
				i++;
			if (i < n)
				i++;
		} else if (i + 1 < n &&
		    (h = ascii_hex((unsigned char)s[i])) >= 0 &&
		    (l = ascii_hex((unsigned char)s[i + 1])) >= 0) {
			b = (unsigned char)(h << 4 | l);
			if (!(upper && ((s[i] >= 'a' && s[i] <= 'f') ||
			    (s[i + 1] >= 'a' && s[i + 1] <= 'f'))) &&
			    put(out, &b, 1, max, flags) == -1)
				return -1;
			i += 2;
		} else {
			*flags |= DECODE_BADQP;
			if (put(out, "=", 1, max, flags) == -1)
				return -1;
			if (s[i] == '=')
				i++;  /* "==" is one '=', as binascii reads it */
		}
	}
	return 0;
}

/* Base64 read four characters at a time with the '=' among them
 * dropped, each group on its own: "U=A=" is one byte, 'P'.  A reader
 * that decodes this way sees another file than one that stops a group at
 * its first '=' (decode_base64), when the sender puts '=' inside the
 * data.  Bytes outside the alphabet are skipped. */
/* The bytes of one group of decode_base64_quads: k values in q. */
static int
quad(unsigned char *q, size_t k, struct buf *out, size_t max,
    unsigned *flags)
{
	unsigned char o[3];

	if (k < 2)
		return 0;
	if (k < 4)
		q[3] = 0;
	if (k < 3)
		q[2] = 0;
	o[0] = (unsigned char)(q[0] << 2 | q[1] >> 4);
	o[1] = (unsigned char)(q[1] << 4 | q[2] >> 2);
	o[2] = (unsigned char)(q[2] << 6 | q[3]);
	return put(out, o, k - 1, max, flags);
}

int
decode_base64_quads(const char *s, size_t n, struct buf *out, size_t max,
    unsigned *flags)
{
	unsigned char q[4];
	size_t i, k = 0, pos = 0;
	int v = 0;

	for (i = 0; i < n && !(*flags & DECODE_CAPPED); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != '=' && (v = b64val(c)) == -1)
			continue;
		if (c != '=')
			q[k++] = (unsigned char)v;
		if (++pos == 4) {
			if (quad(q, k, out, max, flags) == -1)
				return -1;
			k = pos = 0;
		}
	}
	return quad(q, k, out, max, flags);
}

/* Does a '=' stand before more base64 data (padding in the middle)? */
int
decode_base64_midpad(const char *s, size_t n)
{
	const char *e = memchr(s, '=', n);
	size_t i;

	if (e == NULL)
		return 0;
	for (i = (size_t)(e - s); i < n; i++)
		if (s[i] != '=' && b64val((unsigned char)s[i]) != -1)
			return 1;
	return 0;
}

/* Quoted-printable as a reader that takes only upper-case hex for an
 * escape (RFC 2045 6.7 (1)) and drops the others, "=0a" and all: where
 * the sender used lower case, it sees other bytes than decode_qp. */
int
decode_qp_upper(const char *s, size_t n, struct buf *out, size_t max,
    unsigned *flags)
{
	return qp(s, n, out, max, flags, 1);
}

/* Does quoted-printable text hold an escape in lower-case hex? */
int
decode_qp_lower(const char *s, size_t n)
{
	const char *e = s + n, *c = s;

	while ((c = memchr(c, '=', (size_t)(e - c))) != NULL && e - c >= 3) {
		c++;
		if (ascii_hex((unsigned char)c[0]) >= 0 &&
		    ascii_hex((unsigned char)c[1]) >= 0 &&
		    ((c[0] >= 'a' && c[0] <= 'f') || (c[1] >= 'a' && c[1] <= 'f')))
			return 1;
	}
	return 0;
}

/* A yEnc block ("=ybegin ... name=NAME", the data with each byte plus 42
 * and '=' escaping the critical ones plus 64, "=yend"), as newsreaders and
 * some mail clients decode it: its data into out, its name into name.
 * 1 found, 0 none, -1 ENOMEM.  A block without "=yend" runs to the end. */
int
decode_yenc(const char *s, size_t n, char *name, size_t namesize,
    struct buf *out, size_t max, unsigned *flags)
{
	const char *b = NULL, *c = s, *e = s + n, *nl, *nm;
	size_t i, k;

	while ((c = memmem(c, (size_t)(e - c), "=ybegin ", 8)) != NULL) {
		if (c == s || c[-1] == '\n') {
			b = c;
			break;
		}
		c += 8;
	}
	if (b == NULL)
		return 0;
	nl = memchr(b, '\n', (size_t)(e - b));
	name[0] = '\0';
	if ((nm = memmem(b, (size_t)((nl ? nl : e) - b), " name=", 6)) != NULL) {
		nm += 6;
		for (k = 0; nm + k < (nl ? nl : e) && nm[k] != '\r' &&
		    k + 1 < namesize; k++)
			name[k] = nm[k];
		name[k] = '\0';
	}
	i = nl ? (size_t)(nl - s) + 1 : n;
	/* "=ypart begin=... end=..." of a multi-part post */
	if (i + 7 <= n && memcmp(s + i, "=ypart ", 7) == 0) {
		nl = memchr(s + i, '\n', n - i);
		i = nl ? (size_t)(nl - s) + 1 : n;
	}
	while (i < n && !(*flags & DECODE_CAPPED)) {
		unsigned char ch = (unsigned char)s[i], o;
		if ((i == 0 || s[i - 1] == '\n') && n - i >= 6 &&
		    memcmp(s + i, "=yend", 5) == 0)
			break;
		if (ch == '\r' || ch == '\n') {
			i++;
			continue;
		}
		if (ch == '=' && i + 1 < n) {
			o = (unsigned char)(s[i + 1] - 64 - 42);
			i += 2;
		} else {
			o = (unsigned char)(ch - 42);
			i++;
		}
		if (put(out, &o, 1, max, flags) == -1)
			return -1;
	}
	return 1;
}

/* Is p[0..n) a "begin MODE NAME" line of uuencode (POSIX uuencode(1);
 * "begin-base64" is the same with base64 lines)?  The name into name. */
static int
uu_begin(const char *p, size_t n, char *name, size_t namesize, int *b64)
{
	size_t i = 6, k;

	*b64 = 0;
	if (n > 13 && memcmp(p, "begin-base64 ", 13) == 0) {
		*b64 = 1;
		i = 13;
	} else if (n < 6 || memcmp(p, "begin ", 6) != 0)
		return 0;
	for (k = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++, k++)
		;
	if (k < 3 || k > 4 || i >= n || p[i] != ' ')
		return 0;
	i++;
	while (n > i && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	k = n - i < namesize - 1 ? n - i : namesize - 1;
	memcpy(name, p + i, k);
	name[k] = '\0';
	return k > 0;
}

/* The next uuencoded block in s from *pos: its bytes into out (emptied
 * first), its name into name, *pos past its "end" line.  1 found, 0
 * none, -1 ENOMEM.  Lines are read as uudecode(1) does: a length
 * character, then groups of four characters of six bits each, '`' for
 * zero; a block without its "end" runs to the end of the text. */
int
decode_uu_next(const char *s, size_t n, size_t *pos, char *name,
    size_t namesize, struct buf *out, size_t max, unsigned *flags)
{
	size_t i = *pos;
	int b64, in = 0;

	buf_reset(out);
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n, next = nl ? e + 1 : n, l = e - i;
		const unsigned char *q = (const unsigned char *)s + i;
		if (!in) {
			if ((i == 0 || s[i - 1] == '\n') &&
			    uu_begin(s + i, l, name, namesize, &b64))
				in = 1;
			i = next;
			continue;
		}
		if (l && q[l - 1] == '\r')
			l--;
		if ((l == 3 && memcmp(q, "end", 3) == 0) ||
		    (b64 && l == 4 && memcmp(q, "====", 4) == 0)) {
			*pos = next;
			return 1;
		}
		if (b64) {
			if (decode_base64(s + i, l, out, max, flags) == -1)
				return -1;
		} else if (l > 0) {
			size_t want = (size_t)((q[0] - ' ') & 63), j;
			unsigned char o[3];
			/* a short last group (trailing spaces stripped on
			 * the way) reads as spaces, that is zeros */
			for (j = 1; want > 0 && j < l; j += 4) {
				unsigned a = (q[j] - ' ') & 63,
				    b = j + 1 < l ? (q[j + 1] - ' ') & 63 : 0,
				    c = j + 2 < l ? (q[j + 2] - ' ') & 63 : 0,
				    d = j + 3 < l ? (q[j + 3] - ' ') & 63 : 0;
				size_t k = want < 3 ? want : 3;
				o[0] = (unsigned char)(a << 2 | b >> 4);
				o[1] = (unsigned char)(b << 4 | c >> 2);
				o[2] = (unsigned char)(c << 6 | d);
				if (put(out, o, k, max, flags) == -1)
					return -1;
				want -= k;
			}
		}
		i = next;
	}
	*pos = n;
	return in;
}

/* Decode a body by its encoding; 7bit, 8bit, binary and unknown
 * encodings are copied (an unknown one is the caller's to flag). */
int
decode_body(enum decode_cte c, const char *s, size_t n, struct buf *out,
    size_t max, unsigned *flags)
{
	switch (c) {
	case DECODE_BASE64:
		return decode_base64(s, n, out, max, flags);
	case DECODE_QP:
		return decode_qp(s, n, out, max, flags);
	case DECODE_UUENCODE: {
		/* the first block; text around it is not the payload */
		char name[256];
		size_t pos = 0;
		int r = decode_uu_next(s, n, &pos, name, sizeof name, out, max, flags);
		return r == 0 ? put(out, s, n, max, flags) : r < 0 ? -1 : 0;
	}
	default:
		return put(out, s, n, max, flags);
	}
}

/* RFC 2231 section 4: "%XX" in an extended parameter value; a '%' not
 * followed by two hex digits is kept. */
int
decode_pct(const char *s, size_t n, struct buf *out)
{
	size_t i;
	int h, l;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (h = ascii_hex((unsigned char)s[i + 1])) >= 0 &&
		    (l = ascii_hex((unsigned char)s[i + 2])) >= 0) {
			if (buf_addc(out, h << 4 | l) == -1)
				return -1;
			i += 2;
		} else if (buf_addc(out, (unsigned char)s[i]) == -1)
			return -1;
	}
	return 0;
}

/* BinHex 4.0 (RFC 1741): the 64 characters of its alphabet, in order. */
static const char hqx_alpha[] =
    "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr";

#define HQX_MARK "(This file must be converted with BinHex"

/* Where a BinHex block starts in s (the ':' after its marker line), or
 * -1.  Only the first 64 KB are searched for the marker: it opens the
 * text that carries it. */
static long
hqx_start(const char *s, size_t n)
{
	size_t m = n < 65536 ? n : 65536;
	const char *p = memmem(s, m, HQX_MARK, sizeof HQX_MARK - 1);
	const char *c;

	if (p == NULL)
		return -1;
	p += sizeof HQX_MARK - 1;
	/* the ':' that opens the data starts a line */
	for (c = p; (c = memchr(c, ':', n - (size_t)(c - s))) != NULL; c++)
		if (c[-1] == '\n' || c[-1] == '\r')
			return (long)(c - s);
	return -1;
}

/* The six-bit groups of the block into bytes, with BinHex's run-length
 * encoding undone (0x90 n: the byte before, n times in all; 0x90 0: a
 * 0x90), into raw, capped at max. */
static int
hqx_bytes(const char *s, size_t n, size_t i, struct buf *raw, size_t max,
    unsigned *flags)
{
	unsigned acc = 0;
	int bits = 0, rle = 0;
	unsigned char last = 0;

	for (i++; i < n && s[i] != ':'; i++) {
		const char *q = s[i] ? strchr(hqx_alpha, s[i]) : NULL;
		unsigned char b;
		if (q == NULL) {
			if (s[i] != '\r' && s[i] != '\n' && s[i] != ' ' && s[i] != '\t')
				*flags |= DECODE_JUNK;
			continue;
		}
		acc = (acc << 6 | (unsigned)(q - hqx_alpha)) & 0xffffff;
		if ((bits += 6) < 8)
			continue;
		bits -= 8;
		b = (unsigned char)(acc >> bits);
		if (rle) {
			rle = 0;
			if (b == 0) {
				last = 0x90;
				if (put(raw, &last, 1, max, flags) == -1)
					return -1;
			} else {
				/* bounded by max: put stops at it */
				unsigned k;
				for (k = 1; k < b && !(*flags & DECODE_CAPPED); k++)
					if (put(raw, &last, 1, max, flags) == -1)
						return -1;
			}
		} else if (b == 0x90)
			rle = 1;
		else {
			last = b;
			if (put(raw, &b, 1, max, flags) == -1)
				return -1;
		}
		if (*flags & DECODE_CAPPED)
			break;
	}
	return 0;
}

static unsigned long
be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	    (unsigned long)p[2] << 8 | p[3];
}

/* A BinHex 4.0 block in s (a text part or an attachment: Mac mailers
 * sent them as either): its data fork into out (emptied first), its
 * file name into name.  1 found, 0 none, -1 ENOMEM.  The resource fork
 * is left out: Windows and Unix readers never run it.  A block cut short
 * gives what it has; the header's lengths are checked against it. */
int
decode_hqx(const char *s, size_t n, char *name, size_t namesize,
    struct buf *out, size_t max, unsigned *flags)
{
	struct buf raw = BUF_INIT;
	const unsigned char *r;
	size_t nl, hl, dl;
	long st;
	int rc = -1;

	buf_reset(out);
	if ((st = hqx_start(s, n)) < 0)
		return 0;
	/* the header is at most 1 + 255 + 21 bytes: max plus that */
	if (hqx_bytes(s, n, (size_t)st, &raw, max > (size_t)-1 - 300 ?
	    max : max + 300, flags) == -1)
		goto out;
	r = (const unsigned char *)raw.p;
	if (raw.len < 1 || raw.len < 1 + (size_t)r[0] + 21) {
		*flags |= DECODE_JUNK;
		name[0] = '\0';
		rc = 1;
		goto out;
	}
	nl = r[0];
	hl = 1 + nl + 21;
	snprintf(name, namesize, "%.*s", (int)nl, (const char *)r + 1);
	dl = be32(r + 1 + nl + 11);
	if (dl > raw.len - hl) {
		dl = raw.len - hl;
		*flags |= DECODE_JUNK;
	}
	rc = put(out, r + hl, dl, max, flags) == -1 ? -1 : 1;
out:
	buf_free(&raw);
	return rc;
}
