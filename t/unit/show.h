/* show.h: render bytes for TAP test names and comparisons: printable
 * ASCII as it is, everything else as a C escape, so that a row's want can
 * say exactly which bytes (NUL, CR, 8-bit) a function produced. */
#ifndef PORTCULLIS_SHOW_H
#define PORTCULLIS_SHOW_H
#include <stdio.h>
#include "buf.h"

static __attribute__((unused)) void
show_add(struct buf *out, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\n')
			buf_adds(out, "\\n");
		else if (c == '\r')
			buf_adds(out, "\\r");
		else if (c == '\t')
			buf_adds(out, "\\t");
		else if (c == '\\')
			buf_adds(out, "\\\\");
		else if (c < 0x20 || c >= 0x7f)
			buf_printf(out, "\\x%02x", c);
		else
			buf_addc(out, c);
	}
}

#endif
