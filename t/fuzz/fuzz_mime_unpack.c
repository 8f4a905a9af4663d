/* fuzz_mime_unpack: container bytes from the fuzzer through unpack_walk
 * (libarchive under our limits) and through explode_message as a whole
 * message, with small limits so that every limit is reached.  Checked
 * beyond memory safety: no member is longer than the part limit, and
 * the budget never goes below zero (it is unsigned: it would wrap). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "explode.h"
#include "ftype.h"
#include "unpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t partbytes;

static int
member(void *arg, const struct unpack_member *m)
{
	(void)arg;
	if (m->len > partbytes || (m->data == NULL && m->len) || m->name == NULL)
		abort();
	return 0;
}

/* Each item is also judged as filetype-check judges it (its own
 * signatures and the OLE2, OOXML and HTML checks; libmagic, a library of
 * its own, is left out: ft.magic stays NULL). */
static int
item(void *arg, const struct explode_item *it)
{
	struct ftype ft = { NULL, 0 };
	struct ftype_result r;

	(void)arg;
	if (it->path[0] == '\0' || (it->data && it->len > partbytes))
		abort();
	if (ftype_judge(&ft, it, &r) == -1 || r.type[0] == '\0')
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim;
	struct unpack_budget bud;
	struct explode_stats st;
	unsigned fl = 0;

	mime_limits_default(&lim);
	lim.depth = 6;
	lim.parts = 50;
	lim.total = 1 << 20;
	lim.partbytes = 256 * 1024;
	lim.ratio = 50;
	lim.seconds = 5;
	partbytes = lim.partbytes;
	bud.bytes = lim.total;
	bud.parts = lim.parts;
	bud.deadline = 0;
	(void)unpack_walk((const char *)data, size, "fuzz.gz", &lim, &bud, member,
	    NULL, &fl);
	if (bud.bytes > lim.total)
		abort();
	(void)explode_message((const char *)data, size, &lim, item, NULL, &st);
	return 0;
}
