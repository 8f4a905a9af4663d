/* fuzz_hdr: a whole message from the fuzzer through msg_from_mem and
 * hdr_parse (with small limits half of the time, so that HDR_TOOMANY and
 * HDR_TOOBIG are reached), then every field's value and its RFC 2047
 * decoding.  The properties checked beyond "no crash, no leak, no UB":
 * fields lie inside the section and in order, and values inside fields. */
#include <stdint.h>
#include <stdlib.h>

#include "hdr.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdr_limits small = { 7, 300 };
	struct buf v = BUF_INIT, d = BUF_INIT;
	struct msg m;
	struct hdr h;
	size_t i, pos;

	if (msg_from_mem(data, size, &m) == -1)
		return 0;
	if (hdr_parse(&h, m.raw.p, m.hdr_off, m.hdr_len,
	    size % 2 ? &small : NULL) == -1) {
		msg_free(&m);
		return 0;
	}
	pos = m.hdr_off;
	for (i = 0; i < h.n; i++) {
		const struct hdr_field *f = &h.f[i];
		if (f->off < pos || f->off + f->len > m.hdr_off + m.hdr_len ||
		    f->val_off < f->off || f->val_off + f->val_len > f->off + f->len ||
		    f->name_len > f->len)
			abort();
		pos = f->off + f->len;
		if (hdr_value(&h, i, &v) == -1)
			break;
		buf_reset(&d);
		if (hdr_decode_2047(v.p, v.len, &d) == -1)
			break;
		(void)hdr_name_is(&h, i, "Subject");
	}
	(void)hdr_find(&h, "Received", 0);
	(void)hdr_count(&h, "From");
	buf_free(&v);
	buf_free(&d);
	hdr_free(&h);
	msg_free(&m);
	return 0;
}
