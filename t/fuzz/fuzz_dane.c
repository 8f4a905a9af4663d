/* fuzz_dane: a TLSA record's rdata from the fuzzer, as a resolver hands
 * it over, through dns_rdata_text (DNS_TLSA) and dane_tlsa_parse and
 * dane_tlsa_usable (lib/delivery/dane.c).  Properties beyond "no crash,
 * no UB": rdata of 4 bytes or more always becomes text that parses back
 * to the same usage, selector, matching type and data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"
#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_rr rr;
	struct dane_tlsa t;

	if (dns_rdata_text(DNS_TLSA, data, size, &rr) == -1) {
		if (size >= 4 && size <= 65535)
			abort();
		return 0;
	}
	if (dane_tlsa_parse(rr.text, rr.len, &t) == -1)
		abort();
	if (t.usage != data[0] || t.selector != data[1] || t.mtype != data[2] ||
	    t.len != size - 3 || memcmp(t.data, data + 3, t.len) != 0)
		abort();
	(void)dane_tlsa_usable(&t);
	dane_tlsa_free(&t);
	free(rr.text);
	/* the text form from the fuzzer directly, as a test or zone gives it */
	if (size > 0) {
		char *s = malloc(size + 1);
		if (s == NULL)
			return 0;
		memcpy(s, data, size);
		s[size] = '\0';
		if (dane_tlsa_parse(s, size, &t) == 0)
			dane_tlsa_free(&t);
		free(s);
	}
	return 0;
}
