/* fuzz_mime: a whole message from the fuzzer through mime_walk, with
 * small limits half of the time so that every limit is reached.  Beyond
 * "no crash, no leak, no UB": every leaf respects the part limit, the
 * total respects the total limit, and each path is non-empty. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct acc {
	const struct mime_limits *lim;
	size_t bytes;
};

static int
leaf(void *arg, const struct mime_part *p)
{
	struct acc *a = arg;

	if (p->len > a->lim->partbytes || p->path[0] == '\0' ||
	    strlen(p->type) == 0 || p->depth > a->lim->depth)
		abort();
	a->bytes += p->len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim;
	struct mime_stats st;
	struct acc a;

	mime_limits_default(&lim);
	if (size % 2) {
		lim.depth = 4;
		lim.parts = 20;
		lim.total = 300;
		lim.partbytes = 100;
	}
	a.lim = &lim;
	a.bytes = 0;
	if (mime_walk((const char *)data, size, &lim, 0, NULL, leaf, &a, &st) == 0 &&
	    (a.bytes != st.bytes || st.bytes > lim.total))
		abort();
	return 0;
}
