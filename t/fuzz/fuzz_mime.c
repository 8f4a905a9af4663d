/* fuzz_mime: a whole message from the fuzzer through mime_walk, in the
 * strict and the lenient reading, and its bytes as a Content-Disposition
 * value through every reading of its filename parameter, with
 * small limits half of the time so that every limit is reached.  Beyond
 * "no crash, no leak, no UB": every leaf respects the part limit, the
 * total respects the total limit, and each path is non-empty. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct acc {
	const struct mime_limits *lim;
	size_t bytes;
	char last[MIME_PATH_MAX];  /* a leaf comes again under other names */
};

static int
leaf(void *arg, const struct mime_part *p)
{
	struct acc *a = arg;

	if (p->len > a->lim->partbytes || p->path[0] == '\0' ||
	    strlen(p->type) == 0 || p->depth > a->lim->depth)
		abort();
	if (strcmp(p->path, a->last) != 0)
		a->bytes += p->len;
	snprintf(a->last, sizeof a->last, "%s", p->path);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim;
	struct mime_stats st;
	struct acc a;
	struct buf names = BUF_INIT;
	size_t i;

	mime_limits_default(&lim);
	if (size % 2) {
		lim.depth = 4;
		lim.parts = 20;
		lim.total = 300;
		lim.partbytes = 100;
	}
	a.lim = &lim;
	a.bytes = 0;
	a.last[0] = '\0';
	if (mime_walk((const char *)data, size, &lim, 0, NULL, leaf, &a, &st) == 0 &&
	    (a.bytes != st.bytes || st.bytes > lim.total))
		abort();
	a.bytes = 0;
	a.last[0] = '\0';
	if (mime_walk_reading((const char *)data, size, &lim, 0, NULL, leaf, &a,
	    &st, MIME_READ_LENIENT | MIME_READ_ALL) == 0 &&
	    (a.bytes != st.bytes || st.bytes > lim.total))
		abort();
	/* every reading is a NUL-terminated string with no NUL inside */
	if (mime_param_readings((const char *)data, size, "filename", &names) == 0)
		for (i = 0; i < names.len; i += strlen(names.p + i) + 1)
			if (strlen(names.p + i) == 0 || strlen(names.p + i) > 4 * 4096)
				abort();
	buf_free(&names);
	return 0;
}
