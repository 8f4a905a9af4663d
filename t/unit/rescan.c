/* Unit tests for lib/queue/rescan.c: the state of maildir-rescan (names
 * judged under a fingerprint) and the fingerprint itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "rescan.h"
#include "tap.h"
#include "tmpdir.h"

int
main(void)
{
	struct rescan_names s = { 0 }, r = { 0 };
	char *lines[] = { "spam-score -a" }, *other[] = { "filetype-check -a" };
	unsigned ln[] = { 1 };
	struct ctl_list ch = { lines, ln, 1, "" }, ch2 = { other, ln, 1, "" };
	char fp1[RESCAN_FP_MAX], fp2[RESCAN_FP_MAX], fp3[RESCAN_FP_MAX], path[256],
	    state[300];
	const char *extra[1];
	char *key = "1002.A3.host";

	tmpdir_make();
	ctl_set_dir(tmpdir_path);
	tmpdir_write("databytes", "10M\n", 0, path, sizeof path);
	tap_is_long(rescan_fingerprint(&ch, NULL, 0, fp1, sizeof fp1), 0, "fingerprint");
	tap_is_long((long)strlen(fp1), 64, "fingerprint: SHA-256 in hex");
	tap_is_long(rescan_fingerprint(&ch, NULL, 0, fp2, sizeof fp2), 0, "fingerprint again");
	tap_is(fp2, fp1, "fingerprint: the same when nothing changed");
	tap_is_long(rescan_fingerprint(&ch2, NULL, 0, fp2, sizeof fp2), 0, "another chain");
	tap_ok(strcmp(fp1, fp2) != 0, "fingerprint: another chain, another print");
	extra[0] = path;
	rescan_fingerprint(&ch, extra, 1, fp2, sizeof fp2);
	tap_ok(strcmp(fp1, fp2) != 0, "fingerprint: a -V file counts");
	tmpdir_write("databytes", "10m\n", 0, path, sizeof path);
	rescan_fingerprint(&ch, NULL, 0, fp3, sizeof fp3);
	tap_ok(strcmp(fp1, fp3) != 0, "fingerprint: a control file changed (same size, maybe same time)");

	snprintf(state, sizeof state, "%s/state", tmpdir_path);
	tap_is_long(rescan_state_read(state, fp1, &r), 0, "state: missing is none");
	tap_is_long((long)r.n, 0, "state: none");
	rescan_names_add(&s, "1000.A1.host:2,S", 12);
	rescan_names_add(&s, "1002.A3.host", 12);
	tap_is_long(rescan_state_write(state, fp1, &s), 0, "state: written");
	tap_is_long(rescan_state_read(state, fp1, &r), 0, "state: read");
	tap_is_long((long)r.n, 2, "state: two names");
	tap_ok(bsearch(&key, r.v, r.n, sizeof *r.v, rescan_cmp) != NULL,
	    "state: a name found");
	rescan_names_free(&r);
	tap_is_long(rescan_state_read(state, fp3, &r), 0, "state: another print");
	tap_is_long((long)r.n, 0, "state: ... nothing judged under it");
	rescan_names_free(&s);
	unlink(state);
	tmpdir_remove();
	return tap_done();
}
