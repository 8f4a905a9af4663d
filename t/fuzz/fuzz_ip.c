/* fuzz_ip: ip_scan over the fuzzer's bytes as trace header text, to the
 * end, with ip_is_internal and a CIDR match on each address found.  Every
 * match must lie inside the text and the scan must always move forward. */
#include <stdint.h>
#include <stdlib.h>

#include "ip.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct ip_addr ip, again;
	struct ip_net net;
	size_t start = 0, len, last = 0;
	int first = 1;

	if (ip_net_parse("10.0.0.0/8", &net) == -1)
		abort();
	while ((len = ip_scan(s, size, &start, &ip)) > 0) {
		if (start + len > size || (!first && start < last) ||
		    ip_parse(s + start, len, &again) == -1)
			abort();
		(void)ip_is_internal(&ip);
		(void)ip_in_net(&ip, &net);
		first = 0;
		start += len;
		last = start;
	}
	if (size < 64) {
		char tmp[64];
		size_t i;
		for (i = 0; i < size; i++)
			tmp[i] = data[i] ? (char)data[i] : 'x';
		tmp[size] = '\0';
		(void)ip_net_parse(tmp, &net);
	}
	return 0;
}
