/* fuzz_2047: hdr_decode_2047 on the fuzzer's bytes.  The output must be
 * valid UTF-8 whatever came in (it is shown to people and matched by
 * UTF-8 regular expressions), and appending must keep what was there. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Is p[0..n) valid UTF-8 (no overlong forms checked: iconv's output)? */
static int
valid(const unsigned char *p, size_t n)
{
	size_t i = 0, k, j;

	while (i < n) {
		if (p[i] < 0x80) { i++; continue; }
		if (p[i] >= 0xc2 && p[i] <= 0xdf) k = 1;
		else if (p[i] >= 0xe0 && p[i] <= 0xef) k = 2;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4) k = 3;
		else return 0;
		for (j = 1; j <= k; j++)
			if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
				return 0;
		i += k + 1;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;

	if (buf_adds(&out, "x") == -1)
		return 0;
	if (hdr_decode_2047((const char *)data, size, &out) == 0) {
		if (out.len < 1 || out.p[0] != 'x' ||
		    !valid((const unsigned char *)out.p, out.len))
			abort();
	}
	buf_free(&out);
	return 0;
}
