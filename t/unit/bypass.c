/* Unit tests for lib/content/bypass.c's rotating key: the HMAC-SHA256 key of a
 * month (checked against openssl's own), month arithmetic at the year's
 * end, and the grace period for last month's key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "bypass.h"
#include "ctl.h"
#include "tap.h"

static time_t
at(int y, int m, int d)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	return timegm(&tm);
}

int
main(void)
{
	char dir[] = "/tmp/bypass-unit.XXXXXX", path[64], month[8], key[BYPASS_HEX_LEN + 1];
	char s[128], k2[BYPASS_HEX_LEN + 1];
	const char *secret = "correct horse battery staple";
	FILE *f;

	bypass_month(at(2026, 1, 3), 0, month);
	tap_is(month, "2026-01", "month of a date");
	bypass_month(at(2026, 1, 3), 1, month);
	tap_is(month, "2025-12", "last month across the year's end");
	/* echo -n 2026-11 | openssl dgst -sha256 -hmac 'correct horse battery staple' */
	bypass_key(secret, strlen(secret), "2026-11", key);
	tap_is(key, "3ada39c0b179", "the key is HMAC-SHA256, 12 hex digits");

	if (mkdtemp(dir) == NULL)
		return 1;
	ctl_set_dir(dir);
	tap_ok(bypass_subject_ok_at("hello 3ada39c0b179", at(2026, 11, 20)) == 0,
	    "no secret: no key works");
	snprintf(path, sizeof path, "%s/bypass-secret", dir);
	f = fopen(path, "w");
	fprintf(f, "%s\n", secret);
	fclose(f);
	tap_ok(bypass_subject_ok_at("re: figures 3ada39c0b179", at(2026, 11, 20)) == 1,
	    "this month's key");
	tap_ok(bypass_subject_ok_at("re: figures 3ada39c0b179x", at(2026, 11, 20)) == 0,
	    "a key must stand alone");
	tap_ok(bypass_subject_ok_at("3ada39c0b179", at(2026, 12, 5)) == 1,
	    "last month's key in the grace period");
	tap_ok(bypass_subject_ok_at("3ada39c0b179", at(2026, 12, 8)) == 0,
	    "last month's key after the grace period");
	tap_ok(bypass_subject_ok_at("3ada39c0b179", at(2027, 1, 2)) == 0,
	    "the key of two months ago");
	bypass_key(secret, strlen(secret), "2026-12", k2);
	snprintf(s, sizeof s, "x %s", k2);
	tap_ok(bypass_subject_ok_at(s, at(2026, 11, 20)) == 0,
	    "next month's key is not yet good");
	f = fopen(path, "w");
	fprintf(f, "short\n");
	fclose(f);
	tap_ok(bypass_subject_ok_at("x", at(2026, 11, 20)) == -1,
	    "a short secret is a configuration error");
	unlink(path);
	rmdir(dir);
	return tap_done();
}
