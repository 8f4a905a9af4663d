/* Unit tests for lib/door/verify.c: the cache (answers kept until they
 * expire, case-insensitive keys, a damaged record ignored) and probes
 * against a scripted server in a child process (the reply classes, a
 * refusal before RCPT, a server that closes, one that says nothing). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "tmpdir.h"
#include "verify.h"

/* A server on a free loopback port that answers each line it reads with
 * the next reply of script (NULL: close), the first one as a greeting
 * ("" says nothing).  Its port goes into port; the child's pid back. */
static char heard[600];   /* where the server writes what it read */

static pid_t
server(const char *const *script, char *port, size_t n)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int ls = socket(AF_INET, SOCK_STREAM, 0), c;
	pid_t pid;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&sa, sizeof sa) == -1 || listen(ls, 1) == -1 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) == -1) {
		perror("server");
		exit(1);
	}
	snprintf(port, n, "%u", ntohs(sa.sin_port));
	if ((pid = fork()) != 0) {
		close(ls);
		return pid;
	}
	c = accept(ls, NULL, NULL);
	for (; *script; script++) {
		char buf[1024];
		ssize_t got;
		FILE *f;
		if (**script == '\0') {
			sleep(10);
			_exit(0);
		}
		if (write(c, *script, strlen(*script)) < 0)
			_exit(0);
		if (script[1] == NULL || (got = read(c, buf, sizeof buf)) <= 0)
			break;
		if (heard[0] && (f = fopen(heard, "a")) != NULL) {
			fwrite(buf, 1, (size_t)got, f);
			fclose(f);
		}
	}
	_exit(0);
}

static const char *const ok_script[] = { "220 hi\r\n", "250 hello\r\n",
	"250 ok\r\n", "250 2.1.5 ok\r\n", "250 reset\r\n", NULL };
static const char *const reject_script[] = { "220 hi\r\n", "250-hello\r\n250 SIZE\r\n",
	"250 ok\r\n", "550-5.1.1 no such\r\n550 5.1.1 user\r\n", NULL };
static const char *const temp_script[] = { "220 hi\r\n", "250 hello\r\n",
	"250 ok\r\n", "451 4.3.0 later\r\n", NULL };
static const char *const busy_script[] = { "421 4.3.2 busy\r\n", NULL };
static const char *const mailno_script[] = { "220 hi\r\n", "250 hello\r\n",
	"553 5.1.8 no null sender\r\n", NULL };
static const char *const close_script[] = { "220 hi\r\n", NULL };
static const char *const silent_script[] = { "", NULL };

static const struct {
	const char *name;
	const char *const *script;
	int want;
	const char *text;
} probes[] = {
	{ "250 to RCPT: ok", ok_script, VERIFY_OK, "said: 250 2.1.5 ok (in reply to RCPT TO)" },
	{ "550 to RCPT: refused", reject_script, VERIFY_REJECT, "said: 550 5.1.1 no such / 5.1.1 user" },
	{ "451 to RCPT: temporary", temp_script, VERIFY_TEMP, "said: 451 4.3.0 later" },
	{ "421 greeting: temporary", busy_script, VERIFY_TEMP, "(in reply to the greeting)" },
	{ "553 to MAIL FROM:<>: temporary, not the address's fault", mailno_script,
	  VERIFY_TEMP, "(in reply to MAIL FROM)" },
	{ "closed after the greeting: no answer", close_script, VERIFY_DOWN, "lost connection" },
	{ "silent: no answer within the time", silent_script, VERIFY_DOWN, "before the greeting" },
};

int
main(void)
{
	struct verify_cache *vc;
	struct route rt;
	char path[512], err[600], text[VERIFY_TEXT_MAX + 1], name[200];
	size_t i;
	int res = 0, st;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	tmpdir_make();
	snprintf(path, sizeof path, "%s/verify.db", tmpdir_path);
	tap_is_long(verify_cache_open(path, &vc, err, sizeof err), 0, "cache: created");
	tap_is_long(verify_cache_get(vc, "a@b.test", 1000, &res, text, sizeof text), 0,
	    "cache: nothing at first");
	tap_is_long(verify_cache_put(vc, "Bob@B.Test", VERIFY_OK, "250 ok", 2000), 0,
	    "cache: an answer kept");
	tap_is_long(verify_cache_get(vc, "bob@b.test", 1000, &res, text, sizeof text), 1,
	    "cache: found, case-insensitive");
	tap_is_long(res, VERIFY_OK, "... with its result");
	tap_is(text, "250 ok", "... and its text");
	tap_is_long(verify_cache_get(vc, "bob@b.test", 2000, &res, text, sizeof text), 0,
	    "cache: gone when it expires");
	verify_cache_close(vc);
	tap_is_long(verify_cache_open(path, &vc, err, sizeof err), 0, "cache: opened again");
	tap_is_long(verify_cache_get(vc, "bob@b.test", 1500, &res, text, sizeof text), 1,
	    "... still has the answer");
	verify_cache_close(vc);
	snprintf(path, sizeof path, "%s/no/such/verify.db", tmpdir_path);
	tap_is_long(verify_cache_open(path, &vc, err, sizeof err), -1,
	    "cache: an unwritable place is an error");
	tap_ok(strstr(err, "no/such") != NULL, "... that names it");
	tap_is_long(verify_cache_get(NULL, "bob@b.test", 1, &res, text, sizeof text), 0,
	    "no cache: nothing found");

	for (i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		memset(&rt, 0, sizeof rt);
		rt.kind = ROUTE_SMTP;
		snprintf(rt.host, sizeof rt.host, "[127.0.0.1]");
		pid = server(probes[i].script, rt.port, sizeof rt.port);
		res = verify_probe(&rt, "gw.test", "x@y.test", 700, text, sizeof text);
		snprintf(name, sizeof name, "probe: %s", probes[i].name);
		tap_is_long(res, probes[i].want, name);
		tap_ok(strstr(text, probes[i].text) != NULL, "... and says so");
		if (strstr(text, probes[i].text) == NULL)
			printf("#   text: %s\n", text);
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
	}
	/* an address in UTF-8 to a server offering SMTPUTF8: MAIL says it */
	{
		static const char *const utf8_script[] = { "220 hi\r\n",
			"250-hello\r\n250 SMTPUTF8\r\n", "250 ok\r\n", "250 ok\r\n",
			"250 reset\r\n", NULL };
		char got[1024] = "";
		FILE *f;

		snprintf(heard, sizeof heard, "%s/heard", tmpdir_path);
		memset(&rt, 0, sizeof rt);
		rt.kind = ROUTE_SMTP;
		snprintf(rt.host, sizeof rt.host, "[127.0.0.1]");
		pid = server(utf8_script, rt.port, sizeof rt.port);
		res = verify_probe(&rt, "gw.test", "j\xc3\xb6rg@y.test", 2000, text,
		    sizeof text);
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
		tap_is_long(res, VERIFY_OK, "probe: a UTF-8 address");
		if ((f = fopen(heard, "r")) != NULL) {
			got[fread(got, 1, sizeof got - 1, f)] = '\0';
			fclose(f);
		}
		tap_ok(strstr(got, "MAIL FROM:<> SMTPUTF8\r\n") != NULL,
		    "... MAIL FROM:<> SMTPUTF8 (RFC 6531)");
		tap_ok(strstr(got, "RCPT TO:<j\xc3\xb6rg@y.test>\r\n") != NULL,
		    "... RCPT with the address as it is");
		heard[0] = '\0';
	}
	memset(&rt, 0, sizeof rt);
	rt.kind = ROUTE_MAILDIR;
	tap_is_long(verify_probe(&rt, "gw.test", "x@y.test", 700, text, sizeof text),
	    VERIFY_TEMP, "probe: a maildir route cannot verify");
	tmpdir_remove();
	return tap_done();
}
