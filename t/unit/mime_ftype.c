/* Unit tests for the names side of lib/content/ftype.c, lib/content/unpack.c and
 * lib/content/explode.c: extensions, double extensions, names that could act as
 * paths or fool a reader, their escaped and their safe forms, and the
 * container signatures. */
#include <string.h>

#include "explode.h"
#include "ftype.h"
#include "tap.h"
#include "unpack.h"

static const struct {
	const char *name, *ext;
	int         dbl, bad;
	const char *escaped, *safe;
} rows[] = {
	{ "report.pdf", "pdf", 0, 0, "report.pdf", "report.pdf" },
	{ "happy.doc.exe", "exe", 1, 0, "happy.doc.exe", "happy.doc.exe" },
	{ "invoice.pdf      .exe", "exe", 1, 0, "invoice.pdf      .exe",
	  "invoice.pdf______.exe" },
	{ "invoice.pdf...exe", "exe", 1, 0, "invoice.pdf...exe", "invoice.pdf...exe" },
	{ "setup.exe", "exe", 0, 0, "setup.exe", "setup.exe" },
	{ "archive.tar.gz", "gz", 0, 0, "archive.tar.gz", "archive.tar.gz" },
	{ "x.exe. . .", "exe", 0, 0, "x.exe. . .", "x.exe._._." },
	{ "photo.JPG.Js", "js", 1, 0, "photo.JPG.Js", "photo.JPG.Js" },
	{ "invoice\xe2\x80\xaegpj.exe", "exe", 0, 1, "invoice\\u202Egpj.exe",
	  "invoice___gpj.exe" },
	{ "../../etc/passwd", "", 0, 1, "../../etc/passwd", "_._.._etc_passwd" },
	{ "a/../b", "", 0, 1, "a/../b", "a_.._b" },
	{ "a..b", "b", 0, 0, "a..b", "a..b" },
	{ "/abs", "", 0, 1, "/abs", "_abs" },
	{ "C:\\win.ini", "ini", 0, 1, "C:\\x5cwin.ini", "C__win.ini" },
	{ "tab\tname", "", 0, 1, "tab\\x09name", "tab_name" },
	{ "bad\xff" "utf8", "", 0, 0, "bad\\xffutf8", "bad_utf8" },
	{ ".hidden", "", 0, 0, ".hidden", "_hidden" },
	{ "", "", 0, 0, "", "part" },
};

int
main(void)
{
	size_t i;
	char n[256], got[64], safe[200];

	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct buf e = BUF_INIT;
		ftype_ext(rows[i].name, got, sizeof got);
		snprintf(n, sizeof n, "ext of '%s'", rows[i].escaped);
		tap_is(got, rows[i].ext, n);
		snprintf(n, sizeof n, "double extension: '%s'", rows[i].escaped);
		tap_is_long(ftype_double_ext(rows[i].name), rows[i].dbl, n);
		snprintf(n, sizeof n, "bad name: '%s'", rows[i].escaped);
		tap_is_long(unpack_name_bad(rows[i].name, strlen(rows[i].name)),
		    rows[i].bad, n);
		explode_escape(rows[i].name, strlen(rows[i].name), &e);
		snprintf(n, sizeof n, "escaped: '%s'", rows[i].escaped);
		tap_is(e.p ? e.p : "", rows[i].escaped, n);
		explode_safe_name(rows[i].name, safe, sizeof safe);
		snprintf(n, sizeof n, "safe name: '%s'", rows[i].escaped);
		tap_is(safe, rows[i].safe, n);
		buf_free(&e);
	}
	/* a long path keeps its start and its end */
	{
		char longp[600];
		memset(longp, 'a', sizeof longp);
		memcpy(longp + sizeof longp - 5, ".exe", 5);
		explode_safe_name(longp, safe, sizeof safe);
		tap_ok(strlen(safe) < sizeof safe && strstr(safe, "~") &&
		    strcmp(safe + strlen(safe) - 4, ".exe") == 0,
		    "a long name is cut in its middle");
	}
	tap_is(unpack_sniff("PK\3\4xxxx", 8), "zip", "sniff: zip");
	tap_is(unpack_sniff("7z\274\257\047\034xx", 8), "7z", "sniff: 7z");
	tap_ok(unpack_sniff("hello world", 11) == NULL, "sniff: text is no container");
	tap_ok(ftype_cat_parse("executable") == FTYPE_EXECUTABLE, "category names");
	tap_ok(ftype_cat_parse("nonsense") == 0, "unknown category");
	tap_is(ftype_cat_name(FTYPE_DOUBLEEXT), "double-extension", "category name");
	return tap_done();
}
