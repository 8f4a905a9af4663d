/* fuzz_dmarc: the DMARC record parser of auth-check over the fuzzer's
 * bytes, as a TXT answer hands them (no terminator past the length).  The
 * policies must come out as known values and pct= within 0 to 100. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record r;
	char *v;

	if (size > 8192 || (v = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(v, data, size);
	if (dmarc_parse(v, size, &r) == 0 &&
	    (r.pct > 100 || r.p > DMARC_P_REJECT || r.sp > DMARC_P_REJECT ||
	    r.np > DMARC_P_REJECT || r.p == DMARC_P_UNSET))
		abort();
	free(v);
	return 0;
}
