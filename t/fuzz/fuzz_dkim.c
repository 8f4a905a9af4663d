/* fuzz_dkim: the DKIM-Signature parser of auth-check over the fuzzer's
 * bytes, also as ARC-Message-Signature and ARC-Seal (tag list, i=, cv=, base64 of b= and bh=, h=, c=, l=, t=, x=, i=), and the
 * same bytes as a tag list of a key or DMARC record.  Whatever is parsed
 * must be in bounds: names are C strings within their arrays, lengths
 * within the buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "taglist.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_sig *s;
	struct tag t[TAGLIST_MAX];
	char *v;
	size_t i;
	int n;

	if (size > 16384 || (v = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(v, data, size);   /* exactly size bytes: no terminator */
	/* as a DKIM-Signature, an ARC-Message-Signature and an ARC-Seal */
	for (i = 0; i < 3 && (s = calloc(1, sizeof *s)) != NULL; i++) {
		s->kind = (enum dkim_kind)i;
		if (dkim_parse_sig(v, size, s, 1700000000LL) == 0 &&
		    (strlen(s->d) >= sizeof s->d || s->blen > sizeof s->b ||
		    s->bhlen > sizeof s->bh || s->nh > DKIM_MAX_HDRS ||
		    (i > 0 && (s->inst < 1 || s->inst > 50))))
			abort();
		free(s);
	}
	n = taglist_parse(v, size, t, TAGLIST_MAX);
	for (i = 0; n > 0 && i < (size_t)n; i++)
		if (t[i].name < v || t[i].val + t[i].vl > v + size)
			abort();
	free(v);
	return 0;
}
