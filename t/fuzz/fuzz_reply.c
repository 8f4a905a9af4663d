/* fuzz_reply: bytes from the fuzzer as a server's reply lines, split at
 * LF as smtpc reads them, through smtpc_reply_feed; and the same bytes as
 * a message through smtpc_stuff.  Properties beyond "no crash, no UB":
 * the text stays within its cap and printable, a complete reply has a
 * code in 200..599, and the stuffed message has no bare LF and ends in
 * CRLF "." CRLF. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct smtpc_reply r;
	struct buf b = BUF_INIT;
	size_t i;
	int st = 0;

	smtpc_reply_init(&r);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > SMTPC_LINE_MAX)
			n = SMTPC_LINE_MAX;
		st = smtpc_reply_feed(&r, p, n);
		if (r.tlen > SMTPC_TEXT_MAX || strlen(r.text) != r.tlen)
			abort();
		for (i = 0; i < r.tlen; i++)
			if ((unsigned char)r.text[i] < 0x20 || (unsigned char)r.text[i] > 0x7e)
				abort();
		if (st == 1 && (r.code < 200 || r.code > 599))
			abort();
		if (st != 0)
			smtpc_reply_init(&r);
		p = nl ? nl + 1 : end;
	}
	if (smtpc_stuff((const char *)data, size, &b) == 0) {
		if (b.len < 3 || memcmp(b.p + b.len - 3, ".\r\n", 3) != 0)
			abort();
		for (i = 0; i < b.len; i++)
			if (b.p[i] == '\n' && (i == 0 || b.p[i - 1] != '\r'))
				abort();
	}
	buf_free(&b);
	return 0;
}
