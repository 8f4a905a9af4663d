/* fuzz_spoof: a whole message from the fuzzer judged by spoof-check's
 * logic (lib/sender/spoof.c) with the shipped rules and ourco.example as our
 * domain, inbound and outbound in turn, then its Authentication-Results
 * written.  Beyond "no crash, no leak, no UB": the verdict is one of the
 * five, its text printable ASCII, and a message that claims our domain in
 * its one well-formed From header never passes inbound. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "env.h"
#include "hdr.h"
#include "msg.h"
#include "spoof.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct spoof sp;
static int ready;
static char dir[] = "/tmp/fuzz_spoof.XXXXXX", path[64];

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

/* A control directory with our domain; the rules from the source tree
 * (make fuzz-run runs from the top of it). */
static void
setup(void)
{
	char err[512];
	FILE *f;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/localdomains", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs("ourco.example\n", f);
	fclose(f);
	atexit(cleanup);
	ctl_set_dir(dir);
	setenv("PORTCULLIS_RULES", "share/rules", 0);
	if (spoof_load(&sp, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_spoof: %s\n", err);
		abort();
	}
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verdict_result r;
	struct spoof_result sr;
	struct envelope e;
	struct buf ar = BUF_INIT;
	struct msg m;
	struct hdr h;
	size_t i;

	if (!ready)
		setup();
	if (msg_from_mem(data, size, &m) == -1)
		return 0;
	if (hdr_parse(&h, m.raw.p, m.hdr_off, m.hdr_len, NULL) == -1) {
		msg_free(&m);
		return 0;
	}
	memset(&e, 0, sizeof e);
	e.sender = strdup("x@evil.example");
	e.dir = size % 2 ? ENV_DIR_IN : ENV_DIR_OUT;
	memset(&r, 0, sizeof r);
	memset(&sr, 0, sizeof sr);
	if (spoof_judge(&sp, &h, &e, &r, &sr) == 0) {
		if ((unsigned)r.v > VERDICT_TEMPFAIL)
			abort();
		for (i = 0; r.text[i]; i++)
			if (r.text[i] < 0x20 || r.text[i] > 0x7e)
				abort();
		/* "From: a@ourco.example" alone, inbound: never a pass */
		if (e.dir == ENV_DIR_IN && r.v == VERDICT_PASS &&
		    hdr_count(&h, "From") == 1 && !(h.flags & (HDR_NUL | HDR_BARECR))) {
			struct buf v = BUF_INIT;
			long k = hdr_find(&h, "From", 0);
			if (hdr_value(&h, (size_t)k, &v) == 0 && v.len > 0 &&
			    strcmp(v.p, "a@ourco.example") == 0)
				abort();
			buf_free(&v);
		}
		spoof_authres("gw.ourco.example", &e, &sr, &r, &ar);
	}
	buf_free(&ar);
	env_free(&e);
	hdr_free(&h);
	msg_free(&m);
	return 0;
}
