/* fuzz_score_sender: a message from the fuzzer (its header fields a
 * stranger's: From, List-Unsubscribe, and the links of its body) through
 * score_msg_build and every built-in test of score_test.c, the sender's
 * domain tests (from_in_links, unsub_from) among them, which cut the
 * organisation's domain out of addresses and links.  Property beyond
 * "no crash, no leak, no UB": a test answers 0 or 1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "msg.h"
#include "score.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const tests[] = {
	"from_in_links", "unsub_from", "html_only", "image_only", "no_text",
	"date_missing", "date_invalid", "date_future", "date_past",
	"msgid_missing", "msgid_bad", "upper_ratio", "subject_upper",
	"obfuscated", "forged_outlook", "mime_bad", "link_mismatch",
	"html_hidden", "html_form", "html_script", "uri_ip", "uri_count",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m;
	struct hdr h;
	struct score_msg sm;
	size_t i;

	memset(&h, 0, sizeof h);
	if (msg_from_mem((const char *)data, size, &m) == -1)
		return 0;
	if (hdr_parse(&h, m.raw.p, m.hdr_off, m.hdr_len, NULL) == 0 &&
	    score_msg_build(&sm, &m, &h, NULL) == 0) {
		for (i = 0; i < sizeof tests / sizeof tests[0]; i++) {
			int t = score_test_lookup(tests[i]), r;
			if (t < 0)
				abort();
			r = score_test_run(t, 0, &sm);
			if (r != 0 && r != 1)
				abort();
		}
		score_msg_free(&sm);
	}
	hdr_free(&h);
	msg_free(&m);
	return 0;
}
