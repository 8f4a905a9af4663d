/* rtf: embedded objects of an RTF document (see rtf.h).  Runs under any
 * uid. */
#include <stdio.h>
#include <string.h>

#include "ascii.h"
#include "buf.h"
#include "rtf.h"

/* Does it start as RTF?  Word accepts "{\rt" and anything after it. */
int
rtf_is(const char *p, size_t n)
{
	return n >= 4 && memcmp(p, "{\\rt", 4) == 0;
}

/* The hex digits of one \objdata group from s[*i] into out, up to the
 * group's close, control words and white space skipped as Word skips
 * them; at most max bytes (*capped set past it). */
static int
hex_group(const char *s, size_t n, size_t *i, struct buf *out, size_t max,
    int *capped)
{
	size_t j = *i;
	int depth = 0, hi = -1, v;

	for (; j < n; j++) {
		unsigned char c = (unsigned char)s[j];
		if (c == '{')
			depth++;
		else if (c == '}') {
			if (--depth < 0)
				break;
		} else if (c == '\\') {
			/* a control word: letters, then an optional number */
			for (j++; j < n && ((s[j] | 0x20) >= 'a' && (s[j] | 0x20) <= 'z'); j++)
				;
			while (j < n && (s[j] == '-' || (s[j] >= '0' && s[j] <= '9')))
				j++;
			j--;
		} else if ((v = ascii_hex(c)) >= 0) {
			if (hi < 0) {
				hi = v;
				continue;
			}
			if (out->len >= max) {
				*capped = 1;
				continue;
			}
			if (buf_addc(out, hi << 4 | v) == -1)
				return -1;
			hi = -1;
		}
	}
	*i = j;
	return 0;
}

static unsigned long
le32(const unsigned char *p)
{
	return (unsigned long)p[0] | (unsigned long)p[1] << 8 |
	    (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}

/* A length-prefixed string of OLE1 at *o into out (NUL-terminated);
 * 0, or -1 when it runs past n. */
static int
lpstr(const unsigned char *p, size_t n, size_t *o, char *out, size_t outsize)
{
	unsigned long l;

	if (*o + 4 > n)
		return -1;
	l = le32(p + *o);
	*o += 4;
	if (l > n - *o)
		return -1;
	snprintf(out, outsize, "%.*s", (int)(l < outsize ? l : outsize - 1),
	    (const char *)p + *o);
	*o += l;
	return 0;
}

/* A NUL-terminated string at *o into out; -1 when it has no end. */
static int
zstr(const unsigned char *p, size_t n, size_t *o, char *out, size_t outsize)
{
	const unsigned char *z;

	if (*o >= n || (z = memchr(p + *o, 0, n - *o)) == NULL)
		return -1;
	snprintf(out, outsize, "%s", (const char *)p + *o);
	*o = (size_t)(z - p) + 1;
	return 0;
}

/* One OLE1 object (MS-OLEDS 2.2.4 ObjectHeader, 2.2.5 EmbeddedObject):
 * what it carries and its name; the whole decoded data when it does not
 * parse, so that nothing is skipped. */
static int
object(const char *d, size_t n, unsigned k, int capped, rtf_fn fn,
    void *arg)
{
	const unsigned char *p = (const unsigned char *)d;
	char cls[128], tmp[RTF_NAME_MAX], name[RTF_NAME_MAX];
	size_t o = 8, sz;

	snprintf(name, sizeof name, "object-%u", k);
	if (n < 8 || le32(p + 4) != 2 || lpstr(p, n, &o, cls, sizeof cls) == -1 ||
	    lpstr(p, n, &o, tmp, sizeof tmp) == -1 ||
	    lpstr(p, n, &o, tmp, sizeof tmp) == -1 || o + 4 > n)
		return fn(arg, name, d, n, capped);
	sz = le32(p + o);
	o += 4;
	if (sz > n - o) {
		sz = n - o;
		capped = 1;
	}
	if (strcmp(cls, "Package") == 0) {
		/* Packager: signature, label, source path, reserved, temp
		 * path, data size, data */
		size_t q = o + 2, e = o + sz;
		char label[RTF_NAME_MAX];
		if (q < e && zstr(p, e, &q, label, sizeof label) == 0 &&
		    zstr(p, e, &q, tmp, sizeof tmp) == 0 && q + 8 <= e) {
			unsigned long tl = le32(p + q + 4), dl;
			q += 8;
			if (tl <= e - q && (q += tl) + 4 <= e) {
				dl = le32(p + q);
				q += 4;
				if (dl > e - q) {
					dl = e - q;
					capped = 1;
				}
				return fn(arg, label[0] ? label : name, d + q, dl, capped);
			}
		}
	} else if (cls[0])
		snprintf(name, sizeof name, "object-%u.%s", k, cls);
	return fn(arg, name, d + o, sz, capped);
}

/* Walk the embedded objects of the RTF document s[0..n): each handed to
 * fn with its name and bytes, at most maxparts of them, each decoded up
 * to maxbytes.  0, or -1 (ENOMEM or the callback's error). */
int
rtf_walk(const char *s, size_t n, size_t maxparts, size_t maxbytes,
    rtf_fn fn, void *arg)
{
	struct buf d = BUF_INIT;
	const char *p = s, *hit;
	unsigned k = 0;
	int r = 0;

	while (k < maxparts && (hit = memmem(p, n - (size_t)(p - s), "\\objdata", 8))) {
		size_t i = (size_t)(hit - s) + 8;
		int capped = 0;
		buf_reset(&d);
		if ((r = hex_group(s, n, &i, &d, maxbytes, &capped)) == -1)
			break;
		p = s + i;
		if (d.len == 0)
			continue;
		if ((r = object(d.p, d.len, ++k, capped, fn, arg)) != 0)
			break;
	}
	buf_free(&d);
	return r < 0 ? -1 : 0;
}
