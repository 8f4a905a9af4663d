/* json: JSON strings from untrusted bytes (see json.h).  Runs under any
 * uid; trusts nothing of its input. */
#include <string.h>

#include "buf.h"
#include "json.h"

/* The length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t k, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		k = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		k = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;   /* overlong, a surrogate, or past U+10FFFF */
	return k;
}

/* s (n bytes) as a quoted JSON string appended to b. */
int
json_str(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t i = 0, k;

	if (s == NULL)
		n = 0;
	if (buf_addc(b, '"') == -1)
		return -1;
	while (i < n) {
		if (p[i] == '"' || p[i] == '\\') {
			if (buf_addc(b, '\\') == -1 || buf_addc(b, p[i++]) == -1)
				return -1;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			if (buf_printf(b, "\\u%04x", p[i++]) == -1)
				return -1;
		} else if (p[i] < 0x80) {
			if (buf_addc(b, p[i++]) == -1)
				return -1;
		} else if ((k = utf8_len(p + i, n - i)) != 0) {
			if (buf_add(b, p + i, k) == -1)
				return -1;
			i += k;
		} else {
			if (buf_adds(b, "\\ufffd") == -1)
				return -1;
			i++;
		}
	}
	return buf_addc(b, '"');
}
