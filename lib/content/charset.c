/* charset: conversions through iconv (see charset.h).  Output grows with
 * the input, at most four bytes out for each byte in plus the
 * replacements; iconv's state lives for one call.  Runs under any uid. */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "charset.h"

/* Names that mean UTF-8, or plain ASCII which UTF-8 contains. */
int
charset_is_utf8(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0;
}

/* Is every ASCII byte in text of charset cs the ASCII character (so that
 * a link or a line break can be found and written byte by byte)?  Not so
 * for UTF-16 and UTF-32, UTF-7 and the ISO 2022 and HZ escapes. */
int
charset_ascii_compat(const char *cs)
{
	static const char *const no[] = { "utf-16", "utf-32", "ucs-2", "ucs-4",
	    "ucs2", "ucs4", "utf-7", "utf7", "iso-2022", "hz-", "unicode",
	    "csunicode", "utf16", "utf32" };
	size_t k;

	for (k = 0; k < sizeof no / sizeof no[0]; k++)
		if (strncasecmp(cs, no[k], strlen(no[k])) == 0)
			return 0;
	return 1;
}

/* Is s[0..n) well-formed UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF)? */
int
charset_valid_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = u[i], k, need;
		unsigned long v;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1, v = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 2, v = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 3, v = c & 0x07;
		else
			return 0;
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((u[i + k] & 0xC0) != 0x80)
				return 0;
			v = (v << 6) | (u[i + k] & 0x3F);
		}
		if ((need == 2 && v < 0x800) || (need == 3 && v < 0x10000) ||
		    v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* s[0..n) from charset from to charset to, appended to out.  In
 * CHARSET_REPLACE mode a byte that does not convert becomes the
 * replacement (U+FFFD in UTF-8, '?' otherwise) and conversion goes on;
 * in CHARSET_STRICT mode it is -1 with EILSEQ.  A charset iconv does not
 * know: -1 with EINVAL.  0, or -1 with errno. */
int
charset_conv(const char *from, const char *to, const char *s, size_t n,
    struct buf *out, int mode)
{
	iconv_t cd;
	char *in = (char *)(size_t)s, *o;
	size_t inl = n, ol, start = out->len;
	int utf8 = charset_is_utf8(to);

	if ((cd = iconv_open(to, from)) == (iconv_t)-1) {
		errno = EINVAL;
		return -1;
	}
	if (buf_grow(out, n * 2 + 16) == -1)
		goto fail;
	/* the input, then a flush that ends a stateful charset's shift */
	for (;;) {
		int flush = inl == 0;
		o = out->p + out->len;
		ol = out->cap - out->len - 1;
		if (iconv(cd, flush ? NULL : &in, flush ? NULL : &inl, &o, &ol) !=
		    (size_t)-1) {
			out->len = (size_t)(o - out->p);
			if (flush)
				break;
			continue;
		}
		out->len = (size_t)(o - out->p);
		if (errno == E2BIG) {
			if (buf_grow(out, inl * 4 + 16) == -1)
				goto fail;
			continue;
		}
		if (mode == CHARSET_STRICT || flush) {
			errno = EILSEQ;
			goto fail;
		}
		/* EILSEQ, or EINVAL (cut short): replace the byte, go on */
		if (buf_adds(out, utf8 ? "\xef\xbf\xbd" : "?") == -1)
			goto fail;
		in++;
		inl--;
	}
	iconv_close(cd);
	out->p[out->len] = '\0';
	return 0;
fail:
	iconv_close(cd);
	out->len = start;
	if (out->p)
		out->p[start] = '\0';
	return -1;
}
