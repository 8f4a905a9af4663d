/* fuzz_logline: the fuzzer's bytes as lines of a gateway log, through
 * logline_parse and into a tally, then both reports.  Every field must
 * lie inside the line's copy, and the HTML must hold no '<' that the
 * renderer did not write (every name escaped). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logline.h"
#include "render.h"
#include "tally.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct logline l;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl;
	struct tally t;
	struct buf b = BUF_INIT;
	size_t i, n;

	tally_init(&t);
	while (size > 0) {
		nl = memchr(s, '\n', size);
		n = nl ? (size_t)(nl - s) : size;
		if (logline_parse(s, n, &l) == 0) {
			for (i = 0; i < l.nf; i++)
				if (l.f[i].key < l.buf || l.f[i].key >= l.buf + sizeof l.buf ||
				    l.f[i].val < l.buf || l.f[i].val >= l.buf + sizeof l.buf)
					abort();
			if (tally_line(&t, &l) == -1)
				break;
		}
		s += n + (nl != NULL);
		size -= n + (nl != NULL);
	}
	tally_finish(&t);
	render_text(&b, &t, 5);
	buf_reset(&b);
	render_html(&b, &t, 5);
	buf_free(&b);
	tally_free(&t);
	return 0;
}
