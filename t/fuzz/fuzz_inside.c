/* fuzz_inside: header text from the fuzzer through header-strip's search
 * for internal names and addresses (lib/sender/inside.c).  Beyond "no crash, no
 * leak, no UB": whatever inside_find says, the redacted text contains
 * nothing inside_find would still find, and text with nothing internal in
 * it comes back unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "inside.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct inside in;
static int ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	const char *s = (const char *)data;
	int found;

	if (!ready) {
		if (inside_add(&in, "exch01.corp.example") == -1 ||
		    inside_add(&in, ".corp.example") == -1 ||
		    inside_add(&in, "198.51.100.0/24") == -1)
			abort();
		ready = 1;
	}
	found = inside_find(&in, s, size);
	if (inside_redact(&in, s, size, &out) == 0) {
		if (!found && (out.len != size || (size && memcmp(out.p, s, size))))
			abort();
		if (inside_find(&in, out.p ? out.p : "", out.len))
			abort();
	}
	buf_free(&out);
	return 0;
}
