/* fuzz_mime_decode: the transfer decoders and the parameter parser on
 * their own: base64 (also four characters at a time), quoted-printable
 * (also upper-case escapes only), uuencode, BinHex, yEnc and RFC 2231
 * percent decoding under a cap, and mime_param/mime_type on a header
 * value.  Checked beyond memory safety: no decoder writes past its cap,
 * and base64 and quoted-printable never grow their input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct buf o = BUF_INIT;
	size_t cap = size / 2;
	unsigned f = 0;
	char type[128];

	if (decode_base64(s, size, &o, cap, &f) == 0 && o.len > cap)
		abort();
	buf_reset(&o);
	if (decode_qp(s, size, &o, size, &f) == 0 && o.len > size)
		abort();
	buf_reset(&o);
	f = 0;
	if (decode_base64_quads(s, size, &o, cap, &f) == 0 && o.len > cap)
		abort();
	(void)decode_base64_midpad(s, size);
	buf_reset(&o);
	if (decode_qp_upper(s, size, &o, size, &f) == 0 && o.len > size)
		abort();
	(void)decode_qp_lower(s, size);
	buf_reset(&o);
	{
		char name[64];
		f = 0;
		if (decode_yenc(s, size, name, sizeof name, &o, cap, &f) == 1 &&
		    (o.len > cap || strlen(name) >= sizeof name))
			abort();
	}
	buf_reset(&o);
	if (decode_pct(s, size, &o) == 0 && o.len > size)
		abort();
	{
		char name[64];
		size_t pos = 0;
		while (pos < size && decode_uu_next(s, size, &pos, name, sizeof name,
		    &o, cap, &f) == 1)
			if (o.len > cap)
				abort();
	}
	{
		char name[64];
		if (decode_hqx(s, size, name, sizeof name, &o, cap, &f) == 1 &&
		    o.len > cap)
			abort();
	}
	(void)mime_param(s, size, "filename", &o, &f);
	(void)mime_param(s, size, "boundary", &o, &f);
	(void)mime_type(s, size, type, sizeof type);
	(void)decode_cte_parse(s, size);
	buf_free(&o);
	return 0;
}
