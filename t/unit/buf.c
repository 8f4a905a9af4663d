/* Unit tests for lib/core/buf.c: binary-safe growth, the hidden NUL, reuse. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

int
main(void)
{
	struct buf b = BUF_INIT;
	size_t i;
	int ok = 1;

	tap_is(buf_cstr(&b), "", "empty buf is \"\"");
	buf_reset(&b);
	tap_is_long((long)b.len, 0, "reset of an empty buf");
	tap_ok(buf_add(&b, "a\0b", 3) == 0 && b.len == 3 && memcmp(b.p, "a\0b", 3) == 0,
	    "NUL kept");
	tap_ok(b.p[3] == '\0', "one NUL after the bytes");
	tap_ok(buf_add(&b, NULL, 0) == 0 && b.len == 3, "adding nothing");
	buf_reset(&b);
	tap_ok(b.len == 0 && b.p[0] == '\0' && b.cap > 0, "reset keeps memory");
	for (i = 0; i < 100000; i++)
		if (buf_addc(&b, (int)(i % 251)) == -1)
			ok = 0;
	for (i = 0; i < 100000; i++)
		if ((unsigned char)b.p[i] != i % 251)
			ok = 0;
	tap_ok(ok && b.len == 100000 && b.p[b.len] == '\0', "100000 single bytes");
	buf_reset(&b);
	tap_ok(buf_printf(&b, "%s=%d", "x", 42) == 0 && strcmp(b.p, "x=42") == 0, "printf");
	tap_ok(buf_printf(&b, "%s", "") == 0 && b.len == 4, "printf of nothing");
	tap_ok(buf_adds(&b, "!") == 0 && strcmp(buf_cstr(&b), "x=42!") == 0, "adds");
	errno = 0;
	tap_is_long(buf_grow(&b, SIZE_MAX), -1, "overflowing growth refused");
	tap_is_long(errno, ENOMEM, "overflowing growth: ENOMEM");
	tap_ok(strcmp(buf_cstr(&b), "x=42!") == 0, "failed growth keeps the bytes");
	buf_free(&b);
	tap_ok(b.p == NULL && b.len == 0 && b.cap == 0, "free empties");
	buf_free(&b);
	tap_ok(1, "double free is safe");
	return tap_done();
}
