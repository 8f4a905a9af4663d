/* Unit tests for lib/core/json.c: every input, hostile bytes included,
 * becomes one valid JSON string. */
#include <string.h>

#include "buf.h"
#include "json.h"
#include "tap.h"

int
main(void)
{
	static const struct { const char *name, *in; size_t n; const char *want; } t[] = {
		{ "plain", "bob@ourco.example", 0, "\"bob@ourco.example\"" },
		{ "empty", "", 0, "\"\"" },
		{ "quote and backslash", "a\"b\\c", 0, "\"a\\\"b\\\\c\"" },
		{ "controls", "a\nb\tc\x1b[31m\x7f", 0, "\"a\\u000ab\\u0009c\\u001b[31m\\u007f\"" },
		{ "a NUL inside", "a\0b", 3, "\"a\\u0000b\"" },
		{ "valid UTF-8 kept", "j\xc3\xb6rg \xe2\x82\xac \xf0\x9f\x98\x80", 0,
		  "\"j\xc3\xb6rg \xe2\x82\xac \xf0\x9f\x98\x80\"" },
		{ "a stray byte", "a\xffz", 0, "\"a\\ufffdz\"" },
		{ "overlong slash", "\xc0\xaf", 0, "\"\\ufffd\\ufffd\"" },
		{ "overlong three bytes", "\xe0\x80\xaf", 0, "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "a surrogate", "\xed\xa0\x80", 0, "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "past U+10FFFF", "\xf4\x90\x80\x80", 0, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "cut short at the end", "a\xe2\x82", 0, "\"a\\ufffd\\ufffd\"" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct buf b = BUF_INIT;
		tap_ok(json_str(&b, t[i].in, t[i].n ? t[i].n : strlen(t[i].in)) == 0,
		    t[i].name);
		tap_is(b.p ? b.p : "", t[i].want, t[i].name);
		buf_free(&b);
	}
	{
		struct buf b = BUF_INIT;
		json_str(&b, NULL, 5);
		tap_is(b.p, "\"\"", "NULL: the empty string");
		buf_free(&b);
	}
	return tap_done();
}
