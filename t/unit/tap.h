/* tap.h: the few TAP helpers the table-driven unit tests of lib/ use. */
#ifndef PORTCULLIS_TAP_H
#define PORTCULLIS_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

static __attribute__((unused)) void
tap_ok(int ok, const char *name)
{
	tap_n++;
	if (!ok)
		tap_fail++;
	printf("%sok %d - %s\n", ok ? "" : "not ", tap_n, name);
}

/* Compare two strings, showing both on failure. */
static __attribute__((unused)) void
tap_is(const char *got, const char *want, const char *name)
{
	int ok = (got == NULL && want == NULL) ||
	    (got && want && strcmp(got, want) == 0);

	tap_ok(ok, name);
	if (!ok)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
}

static __attribute__((unused)) void
tap_is_long(long got, long want, const char *name)
{
	tap_ok(got == want, name);
	if (got != want)
		printf("#   got:  %ld\n#   want: %ld\n", got, want);
}

static __attribute__((unused)) int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_fail ? 1 : 0;
}

#endif
