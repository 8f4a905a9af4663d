/* fuzz_spf: the SPF record parser of auth-check over the fuzzer's bytes,
 * as a TXT answer would hand them: the whole record is parsed term by
 * term (mechanisms, CIDR lengths, modifiers, macro strings).  It must
 * answer 0 or -1 and never read past the bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *r;

	if (size > 4096)
		return 0;
	/* as a record: "v=spf1 " then the bytes, without a terminator
	 * beyond the length */
	if ((r = malloc(size + 7)) == NULL)
		return 0;
	memcpy(r, "v=spf1 ", 7);
	memcpy(r + 7, data, size);
	(void)spf_record_syntax(r, size + 7);
	(void)spf_record_syntax(r + 7, size);
	free(r);
	return 0;
}
