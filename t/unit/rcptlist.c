/* Unit tests for lib/door/rcptlist.c and lib/core/cdb.c: the lines of
 * control/recipients, lookups with extensions and @domain, the index
 * rebuilt when the text changes, and the in-memory fallback when the
 * index cannot be written. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cdb.h"
#include "rcptlist.h"
#include "tap.h"
#include "tmpdir.h"

static const struct {
	const char *line;
	int r;
	const char *key;
} keys[] = {
	{ "bob@ourco.test", 1, "bob@ourco.test" },
	{ "  Bob@OurCo.Test.  # the boss", 1, "bob@ourco.test" },
	{ "@Sub.OurCo.Test", 1, "@sub.ourco.test" },
	{ "a#b@ourco.test", 1, "a#b@ourco.test" },
	{ "# a comment", 0, "" },
	{ "   ", 0, "" },
	{ "", 0, "" },
	{ "bob", -1, "" },
	{ "bob@", -1, "" },
	{ "bob@.test", -1, "" },
	{ "bob smith@ourco.test", -1, "" },
	{ "bob\x01@ourco.test", -1, "" },
};

static const char text[] =
	"# valid recipients\n"
	"bob@ourco.test\n"
	"Carol@OurCo.Test\n"
	"@catchall.test\n"
	"x-y@ourco.test\n"
	"dave+special@ourco.test\n";

static const struct {
	const char *local, *domain;
	int want;
} look[] = {
	{ "bob", "ourco.test", 1 },
	{ "BOB", "OURCO.TEST.", 1 },
	{ "carol", "ourco.test", 1 },
	{ "bob+tag", "ourco.test", 1 },
	{ "bob+", "ourco.test", 1 },
	{ "bobby", "ourco.test", 0 },
	{ "mallory", "ourco.test", 0 },
	{ "anyone", "catchall.test", 1 },
	{ "bob", "other.test", 0 },
	{ "x-y", "ourco.test", 1 },
	{ "x", "ourco.test", 0 },
	{ "dave+special", "ourco.test", 1 },
	{ "dave", "ourco.test", 0 },
	{ "+bob", "ourco.test", 0 },
};

static void
lookups(struct rcptlist *l, const char *how)
{
	char name[200];
	size_t i;

	for (i = 0; i < sizeof look / sizeof look[0]; i++) {
		snprintf(name, sizeof name, "%s: %s@%s is %s", how, look[i].local,
		    look[i].domain, look[i].want ? "valid" : "unknown");
		tap_is_long(rcptlist_lookup(l, look[i].local, look[i].domain, "+"),
		    look[i].want, name);
	}
}

int
main(void)
{
	char key[RCPTLIST_KEY_MAX], name[200], tp[512], ip[512], err[600];
	struct rcptlist *l;
	struct timespec ts[2];
	size_t i;
	int r;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		key[0] = '\0';
		r = rcptlist_key(keys[i].line, strlen(keys[i].line), key, sizeof key);
		snprintf(name, sizeof name, "line '%s'", keys[i].line);
		tap_is_long(r, keys[i].r, name);
		if (r == 1)
			tap_is(key, keys[i].key, "... its key");
	}

	tmpdir_make();
	tmpdir_write("recipients", text, 0, tp, sizeof tp);
	snprintf(ip, sizeof ip, "%s/recipients.cdb", tmpdir_path);
	tap_is_long(rcptlist_open(tp, ip, &l, err, sizeof err), 1, "open builds the index");
	tap_ok(l && rcptlist_rebuilt(l) && rcptlist_fallback(l) == NULL,
	    "... rebuilt, not in memory");
	lookups(l, "index");
	tap_is_long(rcptlist_lookup(l, "bob-tag", "ourco.test", "+-"), 1,
	    "two delimiters: bob-tag is bob");
	tap_is_long(rcptlist_lookup(l, "bob-tag", "ourco.test", ""), 0,
	    "no delimiter: bob-tag is unknown");
	rcptlist_close(l);
	tap_is_long(rcptlist_open(tp, ip, &l, err, sizeof err), 1, "open again");
	tap_ok(l && !rcptlist_rebuilt(l), "... uses the index as it is");
	rcptlist_close(l);

	/* a builder killed midway left its temporary file: the next build
	 * (under the lock) removes it */
	{
		char stale[600];
		snprintf(stale, sizeof stale, "%s.tmp.99999", ip);
		tmpdir_write("recipients.cdb.tmp.99999", "half", 0, stale, sizeof stale);
		tap_is_long(rcptlist_build(tp, ip, err, sizeof err), 0, "a build");
		tap_ok(access(stale, F_OK) == -1, "... removes a killed builder's file");
	}

	/* the same size and a new time: rebuilt, even with an older time */
	tmpdir_write("recipients", "mallory@ourco.test\n", 0, tp, sizeof tp);
	ts[0].tv_sec = ts[1].tv_sec = 1000000;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(AT_FDCWD, tp, ts, 0);
	tap_is_long(rcptlist_open(tp, ip, &l, err, sizeof err), 1, "a changed text");
	tap_ok(l && rcptlist_rebuilt(l), "... rebuilds the index");
	tap_is_long(rcptlist_lookup(l, "mallory", "ourco.test", "+"), 1,
	    "... with the new entries");
	tap_is_long(rcptlist_lookup(l, "bob", "ourco.test", "+"), 0,
	    "... and without the old");
	rcptlist_close(l);

	/* an index that cannot be written: the text in memory */
	tmpdir_write("recipients", text, 0, tp, sizeof tp);
	snprintf(ip, sizeof ip, "%s/no-such-dir/recipients.cdb", tmpdir_path);
	tap_is_long(rcptlist_open(tp, ip, &l, err, sizeof err), 1,
	    "an unwritable index still opens");
	tap_ok(l && rcptlist_fallback(l) && strstr(rcptlist_fallback(l),
	    "no-such-dir"), "... in memory, and says why");
	lookups(l, "memory");
	rcptlist_close(l);

	/* a damaged index is rebuilt, not trusted */
	snprintf(ip, sizeof ip, "%s/recipients.cdb", tmpdir_path);
	{
		FILE *f = fopen(ip, "w");
		fputs("garbage", f);
		fclose(f);
	}
	tap_is_long(rcptlist_open(tp, ip, &l, err, sizeof err), 1,
	    "a damaged index");
	tap_ok(l && rcptlist_rebuilt(l), "... is rebuilt");
	rcptlist_close(l);

	tmpdir_write("recipients", "bob@ourco.test\nnot an address\n", 0, tp,
	    sizeof tp);
	tap_is_long(rcptlist_open(tp, ip, &l, err, sizeof err), -1,
	    "a bad line is an error");
	tap_ok(strstr(err, "line 2") != NULL, "... naming the line");
	snprintf(tp, sizeof tp, "%s/none", tmpdir_path);
	tap_is_long(rcptlist_open(tp, ip, &l, err, sizeof err), 0,
	    "no text: no list");
	tap_ok(access(ip, F_OK) == 0, "the old index stays until a good text");

	/* timed: a list of 200,000 addresses, built and looked up */
	{
		struct timespec a, b, c;
		char local[32];
		FILE *f;
		long found = 0, want = 0;

		snprintf(tp, sizeof tp, "%s/big", tmpdir_path);
		snprintf(ip, sizeof ip, "%s/big.cdb", tmpdir_path);
		f = fopen(tp, "w");
		for (i = 0; i < 200000; i++)
			fprintf(f, "user%zu@ourco.test\n", i);
		fclose(f);
		clock_gettime(CLOCK_MONOTONIC, &a);
		r = rcptlist_open(tp, ip, &l, err, sizeof err);
		clock_gettime(CLOCK_MONOTONIC, &b);
		tap_is_long(r, 1, "200,000 addresses indexed");
		for (i = 0; r == 1 && i < 200000; i++) {
			size_t v = (i * 7919) % 400000;   /* half of them listed */
			want += v < 200000;
			snprintf(local, sizeof local, "user%zu+x", v);
			found += rcptlist_lookup(l, local, "OurCo.Test", "+");
		}
		clock_gettime(CLOCK_MONOTONIC, &c);
		tap_is_long(found, want, "... 200,000 lookups, each right");
		printf("# index of 200,000 built in %ld ms; 200,000 lookups (with "
		    "+ext) in %ld ms\n", (long)((b.tv_sec - a.tv_sec) * 1000 +
		    (b.tv_nsec - a.tv_nsec) / 1000000), (long)((c.tv_sec - b.tv_sec) *
		    1000 + (c.tv_nsec - b.tv_nsec) / 1000000));
		rcptlist_close(l);
	}

	/* cdb: many keys, each found, none invented */
	{
		struct cdb_make m;
		struct cdb db;
		const void *d;
		size_t dl, bad = 0;
		char k[32];
		FILE *f;
		int fd;

		snprintf(ip, sizeof ip, "%s/t.cdb", tmpdir_path);
		f = fopen(ip, "w+");
		cdb_make_start(&m, f);
		for (i = 0; i < 50000; i++) {
			snprintf(k, sizeof k, "key%zu", i);
			cdb_make_add(&m, k, strlen(k), k + 3, strlen(k + 3));
		}
		tap_is_long(cdb_make_finish(&m), 0, "cdb: 50000 records written");
		cdb_make_free(&m);
		fclose(f);
		fd = open(ip, O_RDONLY);
		tap_is_long(cdb_open(&db, fd), 0, "cdb: opened");
		close(fd);
		for (i = 0; i < 50000; i++) {
			snprintf(k, sizeof k, "key%zu", i);
			if (cdb_find(&db, k, strlen(k), &d, &dl) != 1 ||
			    dl != strlen(k + 3) || memcmp(d, k + 3, dl) != 0)
				bad++;
		}
		tap_is_long((long)bad, 0, "cdb: every key found with its value");
		tap_is_long(cdb_find(&db, "key50000", 8, &d, &dl), 0,
		    "cdb: a missing key is not found");
		cdb_close(&db);
	}
	tmpdir_remove();
	return tap_done();
}
