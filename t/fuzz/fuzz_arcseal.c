/* fuzz_arcseal: what arc-seal reads of a message's header before it
 * signs: the ARC sets (arc_gather) and our own Authentication-Results,
 * their arc= result (arcseal_stamp) and their results merged into an
 * ARC-Authentication-Results (arcseal_aar), comments and quoted strings
 * holding ';' included.  The field made must start with its name and
 * instance and end in the line end asked for. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arc.h"
#include "arcseal.h"
#include "hdr.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pre[] = "ARC-Authentication-Results: i=1; ";
	struct buf out = BUF_INIT;
	struct arc_check *a;
	struct msg m;
	struct hdr h;
	int st;

	if (size > 65536 || msg_from_mem(data, size, &m) == -1)
		return 0;
	if (hdr_parse(&h, m.raw.p ? m.raw.p : "", m.hdr_off, m.hdr_len,
	    NULL) == -1) {
		msg_free(&m);
		return 0;
	}
	if ((a = malloc(sizeof *a)) != NULL) {
		arc_gather(&h, a, 1700000000LL);
		if (a->gathered && (a->n < 1 || a->n > ARC_MAX))
			abort();
		free(a);
	}
	st = arcseal_stamp(&h, "mx.test");
	if (st < -1 || st > ARC_FAIL)
		abort();
	if (arcseal_aar(&h, "mx.test", 1, ARC_PASS, "\r\n", &out) == 0 &&
	    (out.len < sizeof pre + 1 || memcmp(out.p, pre, sizeof pre - 1) != 0 ||
	    memcmp(out.p + out.len - 2, "\r\n", 2) != 0))
		abort();
	buf_free(&out);
	hdr_free(&h);
	msg_free(&m);
	return 0;
}
