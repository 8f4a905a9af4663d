/* fuzz_addr: addr_parse_list on the fuzzer's bytes as a header value.
 * Checks beyond "no crash, no leak, no UB": at most ADDR_MAX addresses,
 * every address has its local part and domain, and the list's flags hold
 * every address's flags. */
#include <stdint.h>
#include <stdlib.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr_list l;
	size_t i;

	if (addr_parse_list((const char *)data, size, &l) == -1)
		return 0;
	if (l.n > ADDR_MAX)
		abort();
	for (i = 0; i < l.n; i++) {
		char norm[256];
		if (l.a[i].local == NULL || l.a[i].domain == NULL ||
		    (l.a[i].flags & ~l.flags) != 0)
			abort();
		(void)addr_domain_norm(l.a[i].domain, norm, sizeof norm);
		(void)addr_domain_eq(l.a[i].domain, "example.com");
	}
	addr_list_free(&l);
	return 0;
}
