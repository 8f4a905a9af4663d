/* fuzz_path: addr_parse_path on the fuzzer's bytes as an SMTP path.  An
 * accepted path has a local part and a domain (both "" only for <>), and
 * no white space or control byte was let through. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr a;
	size_t i;

	if (addr_parse_path((const char *)data, size, &a) == -1)
		return 0;
	if (a.local == NULL || a.domain == NULL)
		abort();
	if (!(a.flags & ADDR_NULLPATH) && a.domain[0] == '\0')
		abort();
	for (i = 0; i < size; i++)
		if (data[i] < 0x21 || data[i] == 0x7f)
			abort();
	addr_free(&a);
	return 0;
}
