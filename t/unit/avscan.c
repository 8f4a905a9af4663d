/* Unit tests for lib/content/avscan.c, avleaves.c and crypted.c: engine lines, the
 * answers of clamd and ICAP engines as bytes, the leaf archive. */
#include <stdio.h>
#include <string.h>

#include "avleaves.h"
#include "avscan.h"
#include "crypted.h"
#include "tap.h"

static const struct {
	const char *line;
	int icap;
	const char *want;   /* "label where" or NULL: refused */
} lines[] = {
	{ "/run/clamav/clamd.ctl", 0, "clamd /run/clamav/clamd.ctl" },
	{ "127.0.0.1:3310", 0, "clamd 127.0.0.1:3310" },
	{ "localhost:3310", 0, "clamd localhost:3310" },
	{ "[::1]:3310", 0, "clamd ::1:3310" },
	{ "127.0.0.1", 0, NULL },
	{ "127.0.0.1:0", 0, NULL },
	{ "127.0.0.1:65536", 0, NULL },
	{ "127.0.0.1:33x", 0, NULL },
	{ "/a/sock trailing", 0, NULL },
	{ "icap://127.0.0.1:1344/avscan", 1, "icap/avscan icap://127.0.0.1:1344/avscan" },
	{ "icap://av.example/srv_clamav", 1, "icap/srv_clamav icap://av.example:1344/srv_clamav" },
	{ "ICAP://[::1]:1345/x reqmod", 1, "icap/x icap://::1:1345/x" },
	{ "icap://h:1/x respmod", 1, "icap/x icap://h:1/x" },
	{ "icap://h:1/x sideways", 1, NULL },
	{ "icap://h:1/", 1, NULL },
	{ "icap://h:1", 1, NULL },
	{ "http://h:1/x", 1, NULL },
	{ "icap://h:1/x<y", 1, NULL },
};

static void
test_lines(void)
{
	struct avscan_engine e;
	char err[128], got[400], name[200];
	size_t i;

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		snprintf(name, sizeof name, "engine line '%s'", lines[i].line);
		if (avscan_engine_parse(lines[i].line, &e, lines[i].icap, err,
		    sizeof err) == -1)
			tap_is(NULL, lines[i].want, name);
		else {
			snprintf(got, sizeof got, "%s %s", e.label, e.where);
			tap_is(got, lines[i].want, name);
		}
	}
	avscan_engine_parse("ICAP://[::1]:1345/x reqmod", &e, 1, err, sizeof err);
	tap_ok(e.reqmod == 1, "reqmod is taken");
}

static const struct {
	const char *in;
	size_t len;         /* 0: strlen */
	const char *want;   /* "clean", "found NAME", "unscanned WHY" */
} clamd[] = {
	{ "stream: OK", 11, "clean" },
	{ "stream: OK\n", 0, "clean" },
	{ "stream: Win.Test.EICAR_HDB-1 FOUND", 35, "found Win.Test.EICAR_HDB-1" },
	{ "stream: Eicar Test Sig FOUND\n", 0, "found Eicar Test Sig" },
	{ "stream: a\001b FOUND", 0, "found a?b" },
	{ "INSTREAM size limit exceeded. ERROR", 36, "unscanned over its StreamMaxLength" },
	{ "stream: Can't allocate memory ERROR", 0, "unscanned answered: stream: Can't allocate memory ERROR" },
	{ "", 0, "unscanned no answer" },
	{ "stream:  FOUND", 0, "unscanned answered: stream:  FOUND" },
	{ "stream: OKAY", 0, "unscanned answered: stream: OKAY" },
	{ "1: stream: OK", 0, "unscanned answered: 1: stream: OK" },
};

static void
show(const struct avscan_result *r, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s", r->st == AVSCAN_CLEAN ? "clean" :
	    r->st == AVSCAN_FOUND ? "found " : "unscanned ",
	    r->st == AVSCAN_FOUND ? r->name : "",
	    r->st == AVSCAN_UNSCANNED ? r->why : "");
}

static void
test_clamd(void)
{
	struct avscan_result r;
	char got[400], name[200];
	size_t i;

	for (i = 0; i < sizeof clamd / sizeof clamd[0]; i++) {
		avscan_clamd_reply(clamd[i].in, clamd[i].len ? clamd[i].len :
		    strlen(clamd[i].in), &r);
		show(&r, got, sizeof got);
		snprintf(name, sizeof name, "clamd answer %zu", i);
		tap_is(got, clamd[i].want, name);
	}
}

static const struct {
	const char *in;
	int eof;
	const char *want;   /* NULL: needs more */
} icap[] = {
	{ "ICAP/1.0 204 No Content\r\nISTag: \"x\"\r\n\r\n", 0, "clean" },
	{ "ICAP/1.0 204 No Content\r\n", 0, NULL },
	{ "ICAP/1.0 204 No Content\r\n", 1, "unscanned unparsable answer: ICAP/1.0 204 No Content" },
	{ "", 1, "unscanned no answer" },
	{ "ICAP/1.0 200 OK\r\nX-Infection-Found: Type=0; Resolution=2; Threat=Eicar-Test;\r\n"
	  "Encapsulated: res-hdr=0, res-body=30\r\n\r\n", 0, "found Eicar-Test" },
	{ "ICAP/1.0 200 OK\r\nX-Virus-ID: EICAR\r\nEncapsulated: null-body=0\r\n\r\n", 0, "found EICAR" },
	{ "ICAP/1.0 200 OK\r\nX-Infection-Found: Type=0; Threat=;\r\n\r\n", 0, "found unnamed" },
	{ "ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, res-body=45\r\n\r\n"
	  "HTTP/1.1 403 Forbidden\r\nContent-Length: 8\r\n\r\n", 0, "found blocked (HTTP 403)" },
	{ "ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, res-body=19\r\n\r\n"
	  "HTTP/1.1 200 OK\r\n\r\n", 0, "clean" },
	{ "ICAP/1.0 200 OK\r\nEncapsulated: res-hdr=0, res-body=19\r\n\r\nHTTP/1.1 2", 0, NULL },
	{ "ICAP/1.0 200 OK\r\nEncapsulated: null-body=0\r\n\r\n", 0, "unscanned answered 200 without a verdict" },
	{ "ICAP/1.0 500 Server Error\r\n\r\n", 0, "unscanned answered: ICAP/1.0 500 Server Error" },
	{ "ICAP/1.0 404 ICAP Service not found\r\n\r\n", 0, "unscanned answered: ICAP/1.0 404 ICAP Service not found" },
	{ "HTTP/1.1 200 OK\r\n\r\n", 0, "unscanned unparsable answer: HTTP/1.1 200 OK" },
	{ "ICAP/1.0 2040 x\r\n\r\n", 0, "unscanned unparsable answer: ICAP/1.0 2040 x" },
};

static void
test_icap(void)
{
	struct avscan_result r;
	char got[400], name[200];
	size_t i;
	int rc;

	for (i = 0; i < sizeof icap / sizeof icap[0]; i++) {
		rc = avscan_icap_reply(icap[i].in, strlen(icap[i].in), icap[i].eof, &r);
		show(&r, got, sizeof got);
		snprintf(name, sizeof name, "ICAP answer %zu", i);
		tap_is(rc == 0 ? NULL : got, icap[i].want, name);
	}
}

static void
test_tar(void)
{
	struct buf t = BUF_INIT;
	unsigned sum = 0;
	size_t i;
	char want[16];

	tap_ok(avleaves_tar_add(&t, 0, "hello", 5) == 0 && avleaves_tar_add(&t, 1,
	    "", 0) == 0 && avleaves_tar_end(&t) == 0, "an archive of two leaves");
	tap_is_long((long)t.len, 512 + 512 + 512 + 1024, "blocks of 512");
	tap_is(t.p, "leaf-0", "the first member's name is ours");
	tap_ok(memcmp(t.p + 257, "ustar", 6) == 0, "ustar magic");
	tap_ok(memcmp(t.p + 124, "00000000005", 12) == 0, "its size in octal");
	for (i = 0; i < 512; i++)
		sum += (unsigned char)(i >= 148 && i < 156 ? ' ' : t.p[i]);
	snprintf(want, sizeof want, "%06o", sum);
	tap_ok(memcmp(t.p + 148, want, 6) == 0 && t.p[154] == '\0',
	    "its checksum");
	tap_ok(memcmp(t.p + 512, "hello", 5) == 0, "the data follows");
	buf_free(&t);
}

static void
test_crypted(void)
{
	struct explode_item it;
	const char *k;

	memset(&it, 0, sizeof it);
	it.path = "1";
	it.name = "";
	it.type = "application/pgp-encrypted";
	k = crypted_kind(&it);
	tap_is(k, "PGP/MIME", "application/pgp-encrypted is PGP/MIME");
	it.type = "application/pkcs7-mime";
	it.name = "smime.p7m";
	tap_is(crypted_kind(&it), "S/MIME enveloped-data",
	    "a p7m without smime-type is taken as enveloped");
	it.name = "smime.p7s";
	tap_is(crypted_kind(&it), NULL, "a p7s without smime-type is a signature");
	it.type = "text/plain";
	it.data = "hi\n-----BEGIN PGP MESSAGE-----\n\nabc\n";
	it.len = strlen(it.data);
	tap_is(crypted_kind(&it), "inline PGP", "armour in a text part");
	it.data = "-----BEGIN PGP SIGNED MESSAGE-----\n";
	it.len = strlen(it.data);
	tap_is(crypted_kind(&it), NULL, "a clear-signed text is not encrypted");
	it.data = NULL;
	it.flags = 0x20000;
	tap_is(crypted_kind(&it), "an encrypted archive", "an encrypted member");
}

int
main(void)
{
	test_lines();
	test_clamd();
	test_icap();
	test_tar();
	test_crypted();
	return tap_done();
}
