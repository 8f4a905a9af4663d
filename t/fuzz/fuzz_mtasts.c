/* fuzz_mtasts: the MTA-STS parsers of lib/delivery/mtasts.c on bytes
 * from the fuzzer: the _mta-sts TXT record, a policy body (as an HTTPS
 * server sends it), the media type, and MX matching against the patterns
 * of a policy that parsed.  Properties beyond "no crash, no UB": an id
 * that parsed is 1 to 32 letters and digits; a policy that parsed has its
 * max_age in bounds and, unless mode none, at least one mx. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtasts_policy p;
	char id[MTASTS_ID_MAX + 1], why[128], *s;
	size_t i;

	if (mtasts_record_parse((const char *)data, size, id, sizeof id) == 0) {
		if (id[0] == '\0' || strlen(id) > MTASTS_ID_MAX)
			abort();
		for (i = 0; id[i]; i++)
			if (!isalnum((unsigned char)id[i]))
				abort();
	}
	if (mtasts_policy_parse((const char *)data, size, &p, why, sizeof why) == 0) {
		if (p.max_age > MTASTS_MAX_AGE || p.nmx > MTASTS_MAX_MX ||
		    (p.mode != MTASTS_NONE && p.nmx == 0))
			abort();
		(void)mtasts_mx_match(&p, "mx.example.com");
		(void)mtasts_mx_match(&p, p.nmx ? p.mx[0] : "x");
	}
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)mtasts_content_type_ok(s);
	free(s);
	return 0;
}
