/* Unit tests for lib/core/ctl.c: control files as qmail reads them (missing
 * means the default, unreadable means a temporary error), numbers that
 * must not silently become defaults, and where rule files are found. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "ip.h"
#include "show.h"
#include "tap.h"
#include "tmpdir.h"

static const struct {
	const char *name, *in;
	const char *want;   /* values joined by '|', each with ":lineno" */
} files[] = {
	{ "one value", "mx.example.com\n", "mx.example.com:1" },
	{ "no final newline", "a\nb", "a:1|b:2" },
	{ "comments and blank lines", "# header\n\na # trailing\n  \n\tb\n#c\n", "a:3|b:5" },
	{ "hash inside a word is data", "a#b\n", "a#b:1" },
	{ "CRLF file", "a\r\nb \r\n\r\n", "a:1|b:2" },
	{ "white space trimmed", "  a b  \t\n", "a b:1" },
	{ "empty file", "", "" },
	{ "only comments", "# x\n# y\n", "" },
	{ "hash after a tab", "a\t#c\n", "a:1" },
};

static void
test_read(void)
{
	struct buf got = BUF_INIT;
	size_t i, k;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[256], name[160];
		struct ctl_list l;

		tmpdir_write("f", files[i].in, 0, path, sizeof path);
		snprintf(name, sizeof name, "read: %s: found", files[i].name);
		tap_is_long(ctl_read_path(path, &l), 1, name);
		buf_reset(&got);
		buf_adds(&got, "");
		for (k = 0; k < l.n; k++)
			buf_printf(&got, "%s%s:%u", k ? "|" : "", l.v[k], l.lineno[k]);
		snprintf(name, sizeof name, "read: %s", files[i].name);
		tap_is(buf_cstr(&got), files[i].want, name);
		snprintf(name, sizeof name, "read: %s: path kept", files[i].name);
		tap_is(l.path, path, name);
		ctl_free(&l);
	}
	buf_free(&got);
}

static void
test_errors(void)
{
	char path[256], big[1024];
	struct ctl_list l;
	FILE *f;
	size_t i;

	snprintf(path, sizeof path, "%s/missing", tmpdir_path);
	tap_is_long(ctl_read_path(path, &l), 0, "missing file: 0");
	tap_is_long((long)l.n, 0, "missing file: no values");
	tap_is(l.path, "", "missing file: no path");

	snprintf(path, sizeof path, "%s/adir", tmpdir_path);
	mkdir(path, 0755);
	errno = 0;
	tap_is_long(ctl_read_path(path, &l), -1, "a directory in place of the file: -1");
	tap_is_long(errno, EISDIR, "a directory: EISDIR");

	snprintf(path, sizeof path, "%s/nodir/x", tmpdir_path);
	tap_is_long(ctl_read_path(path, &l), 0, "missing directory: default");

	snprintf(path, sizeof path, "%s/notadir/x", tmpdir_path);
	tmpdir_write("notadir", "x\n", 0, big, sizeof big);
	tap_is_long(ctl_read_path(path, &l), -1, "a file in place of the directory: -1");

	/* over CTL_MAX_BYTES: refused, not cut */
	snprintf(path, sizeof path, "%s/huge", tmpdir_path);
	f = fopen(path, "w");
	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = '\n';
	for (i = 0; i <= CTL_MAX_BYTES / sizeof big; i++)
		fwrite(big, 1, sizeof big, f);
	fclose(f);
	errno = 0;
	tap_is_long(ctl_read_path(path, &l), -1, "over the cap: -1");
	tap_is_long(errno, EFBIG, "over the cap: EFBIG");

	/* unreadable (only meaningful when not root) */
	if (geteuid() != 0) {
		tmpdir_write("noperm", "x\n", 0, path, sizeof path);
		chmod(path, 0);
		tap_is_long(ctl_read_path(path, &l), -1, "unreadable file: -1");
	}
}

static void
test_values(void)
{
	char path[256], out[64], small[4];
	unsigned long v;
	struct ctl_list l;

	ctl_set_dir(tmpdir_path);
	tap_is(ctl_dir(), tmpdir_path, "ctl_set_dir wins");

	tap_is_long(ctl_string("me", "dflt", out, sizeof out), 0, "string: missing");
	tap_is(out, "dflt", "string: missing gives the default");
	tap_is_long(ctl_string("me", NULL, out, sizeof out), 0, "string: no default");
	tap_is(out, "", "string: no default gives empty");
	tmpdir_write("me", "# our name\n  gw.example.com  \nsecond\n", 0, path, sizeof path);
	ctl_string("me", "dflt", out, sizeof out);
	tap_is(out, "gw.example.com", "string: first value, trimmed");
	tap_is_long(ctl_string("me", "", small, sizeof small), -1, "string: too long is -1");
	tmpdir_write("me", "# only a comment\n", 0, path, sizeof path);
	ctl_string("me", "dflt", out, sizeof out);
	tap_is(out, "dflt", "string: empty file gives the default");

	static const struct {
		const char *in;
		int         rc;
		unsigned long want;
	} nums[] = {
		{ NULL, 0, 777 },          /* missing: default */
		{ "# nothing\n", 0, 777 }, /* empty: default */
		{ "1000\n", 0, 1000 },
		{ "  2048  \n", 0, 2048 },
		{ "10\n", -1, 0 },         /* below min */
		{ "5000000\n", -1, 0 },    /* above max */
		{ "-1\n", -1, 0 },
		{ "+5000\n", -1, 0 },
		{ "12k\n", -1, 0 },
		{ "0x400\n", -1, 0 },
		{ "1e6\n", -1, 0 },
		{ "one thousand\n", -1, 0 },
		{ "99999999999999999999999\n", -1, 0 },
		{ "1024 # one K\n", 0, 1024 },
		{ "1 024\n", -1, 0 },
	};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		char name[128];
		int r;
		unlink(path);
		if (nums[i].in)
			tmpdir_write("databytes", nums[i].in, 0, path, sizeof path);
		else
			snprintf(path, sizeof path, "%s/databytes", tmpdir_path);
		v = 0;
		errno = 0;
		r = ctl_ulong("databytes", 777, 1000, 4000000, &v);
		snprintf(name, sizeof name, "ulong '%s'", nums[i].in ? nums[i].in : "(missing)");
		name[strcspn(name, "\n")] = '\0';
		tap_is_long(r, nums[i].rc, name);
		if (r == 0)
			tap_is_long((long)v, (long)nums[i].want, name);
		else
			tap_is_long(errno, EINVAL, name);
	}

	/* sizes: ctl_bytes takes K, M and G (times 1024); ctl_ulong none */
	struct { const char *in; int rc; unsigned long want; } sizes[] = {
		{ "2048\n", 0, 2048 },
		{ "4K\n", 0, 4096 },
		{ "4k\n", 0, 4096 },
		{ "3M\n", 0, 3UL << 20 },
		{ "1G\n", -1, 0 },        /* above max */
		{ "0K\n", -1, 0 },        /* below min */
		{ "4KB\n", -1, 0 },
		{ "K\n", -1, 0 },
		{ "4 K\n", -1, 0 },
		{ "4T\n", -1, 0 },
		{ "18014398509481984K\n", -1, 0 },   /* 2^54 K: overflows */
	};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char name[128];
		int r;
		tmpdir_write("databytes", sizes[i].in, 0, path, sizeof path);
		v = 0;
		r = ctl_bytes("databytes", 777, 1000, 4000000, &v);
		snprintf(name, sizeof name, "bytes '%s'", sizes[i].in);
		name[strcspn(name, "\n")] = '\0';
		tap_is_long(r, sizes[i].rc, name);
		if (r == 0)
			tap_is_long((long)v, (long)sizes[i].want, name);
	}
	unlink(path);

	/* networks: every line parsed; one bad line fails the file */
	struct { const char *in; int rc; size_t n; } nets[] = {
		{ "10.0.0.0/8\n# office\n2001:db8::/32\n192.0.2.1\n", 0, 3 },
		{ "", 0, 0 },
		{ "10.0.0.0/8\noffice-router\n", -1, 0 },
		{ "10.0.0.0/33\n", -1, 0 },
		{ "2001:db8::/129\n", -1, 0 },
		{ "10.0.0.0/8 192.0.2.0/24\n", -1, 0 },
	};
	for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
		struct ip_net *net = NULL;
		size_t n = 99;
		char name[128];
		int r;
		tmpdir_write("relayclients", nets[i].in, 0, path, sizeof path);
		r = ctl_nets("relayclients", &net, &n);
		snprintf(name, sizeof name, "nets '%s'", nets[i].in);
		for (char *c = name; *c; c++)
			if (*c == '\n')
				*c = '|';
		tap_is_long(r, nets[i].rc, name);
		tap_is_long((long)n, (long)nets[i].n, name);
		if (r == -1)
			tap_is_long(errno, EINVAL, name);
		free(net);
	}
	unlink(path);
	{
		struct ip_net *net = NULL;
		size_t n = 99;
		tap_is_long(ctl_nets("relayclients", &net, &n), 0, "nets: missing file");
		tap_is_long((long)n, 0, "nets: missing file: none");
	}

	/* lines of a named control file */
	tmpdir_write("relayclients", "10.0.0.0/8\n192.168.0.0/16\n", 0, path, sizeof path);
	tap_is_long(ctl_lines("relayclients", &l), 1, "ctl_lines: found in the set dir");
	tap_is_long((long)l.n, 2, "ctl_lines: two values");
	ctl_free(&l);

	/* PORTCULLIS_CONTROL when no -C */
	ctl_set_dir(NULL);
	setenv("PORTCULLIS_CONTROL", tmpdir_path, 1);
	tap_is(ctl_dir(), tmpdir_path, "PORTCULLIS_CONTROL read");
	setenv("PORTCULLIS_CONTROL", "", 1);
	tap_is(ctl_dir(), CTL_DEFAULT_DIR, "empty PORTCULLIS_CONTROL: the default");
	unsetenv("PORTCULLIS_CONTROL");
	tap_is(ctl_dir(), CTL_DEFAULT_DIR, "no PORTCULLIS_CONTROL: the default");
	ctl_set_dir("");
	tap_is(ctl_dir(), CTL_DEFAULT_DIR, "empty -C: the default");
}

static void
test_rules(void)
{
	char path[256], rules[256], ctl[256];
	struct ctl_list l;

	snprintf(rules, sizeof rules, "%s/rules", tmpdir_path);
	snprintf(ctl, sizeof ctl, "%s/ctl", tmpdir_path);
	mkdir(rules, 0755);
	mkdir(ctl, 0755);
	setenv("PORTCULLIS_RULES", rules, 1);
	ctl_set_dir(ctl);

	tap_is_long(ctl_rules("spam", &l), 0, "rules: in neither place: 0");
	tmpdir_write("rules/spam", "shipped 1\n", 0, path, sizeof path);
	tap_is_long(ctl_rules("spam", &l), 1, "rules: shipped found");
	tap_ok(l.n == 1 && strcmp(l.v[0], "shipped 1") == 0, "rules: shipped read");
	tap_is(l.path, path, "rules: from PORTCULLIS_RULES");
	ctl_free(&l);
	tmpdir_write("ctl/spam", "local 1\nlocal 2\n", 0, path, sizeof path);
	tap_is_long(ctl_rules("spam", &l), 1, "rules: override found");
	tap_ok(l.n == 2 && strcmp(l.v[0], "local 1") == 0,
	    "rules: the control directory's copy wins");
	ctl_free(&l);
	snprintf(path, sizeof path, "%s/ctl/bad", tmpdir_path);
	mkdir(path, 0755);
	tmpdir_write("rules/bad", "shipped\n", 0, path, sizeof path);
	tap_is_long(ctl_rules("bad", &l), -1,
	    "rules: unreadable override is an error, not the shipped file");
	unsetenv("PORTCULLIS_RULES");
	ctl_set_dir(NULL);
}

int
main(void)
{
	tmpdir_make();
	test_read();
	test_errors();
	test_values();
	test_rules();
	tmpdir_remove();
	return tap_done();
}
