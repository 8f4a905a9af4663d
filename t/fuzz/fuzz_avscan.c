/* fuzz_avscan: bytes from the fuzzer as an anti-virus engine's answer,
 * through avscan_clamd_reply and avscan_icap_reply (cut short and at its
 * end), and as a line of control/clamd and control/icap.  Properties
 * beyond "no crash, no UB": a found name is non-empty, within its cap and
 * printable; an ICAP reply judged at EOF is always judged; a parsed
 * engine has a label and an address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct avscan_result *r)
{
	size_t i, n = strlen(r->name);

	if (n > AVSCAN_NAME_MAX || (r->st == AVSCAN_FOUND && n == 0) ||
	    strlen(r->why) >= sizeof r->why)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)r->name[i] < 0x20 || (unsigned char)r->name[i] > 0x7e)
			abort();
	if (r->st == AVSCAN_UNSCANNED && r->why[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct avscan_result r;
	struct avscan_engine e;
	char err[128], *line;

	avscan_clamd_reply(p, size, &r);
	check(&r);
	if (avscan_icap_reply(p, size, 0, &r) == 1)
		check(&r);
	if (avscan_icap_reply(p, size, 1, &r) != 1)
		abort();
	check(&r);
	if (size < 1024 && (line = malloc(size + 1)) != NULL) {
		memcpy(line, p, size);
		line[size] = '\0';
		if (avscan_engine_parse(line, &e, 0, err, sizeof err) == 0 &&
		    (e.label[0] == '\0' || e.where[0] == '\0'))
			abort();
		if (avscan_engine_parse(line, &e, 1, err, sizeof err) == 0 &&
		    (e.label[0] == '\0' || e.where[0] == '\0' || e.service[0] == '\0'))
			abort();
		free(line);
	}
	return 0;
}
