/* Unit tests for lib/core/sandbox.c: the role of a program by its name,
 * and in forked children what each filter refuses and what it leaves. */
#include <errno.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"
#include "tap.h"

enum { T_INET, T_INET6, T_UNIX, T_PTRACE, T_EXEC, T_EXEC_AFTER };

/* In a child: 0 when the call does what the case wants, else 1. */
static int
probe(int what)
{
	char *argv[] = { "/bin/true", NULL };
	int fd;

	switch (what) {
	case T_INET:
		return !(socket(AF_INET, SOCK_STREAM, 0) == -1 && errno == EACCES);
	case T_INET6:
		return !(socket(AF_INET6, SOCK_DGRAM, 0) == -1 && errno == EACCES);
	case T_UNIX:
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		return fd == -1;
	case T_PTRACE:
		return !(ptrace(PTRACE_TRACEME, 0, NULL, NULL) == -1 && errno == EPERM);
	case T_EXEC:
		if (sandbox_no_exec() == -1)
			return 1;
		execve(argv[0], argv, NULL);
		return errno != EPERM;
	case T_EXEC_AFTER:
		/* the stage filter alone leaves exec to the program it starts */
		execve(argv[0], argv, NULL);
		return 1;
	}
	return 1;
}

static int
in_child(int network, int what)
{
	pid_t pid = fork();
	int w;

	if (pid == 0)
		_exit(sandbox_stage_filter(network) == -1 ? 2 : probe(what));
	if (pid == -1 || waitpid(pid, &w, 0) == -1)
		return -1;
	return WIFEXITED(w) ? WEXITSTATUS(w) : -1;
}

int
main(void)
{
	static const struct {
		const char *prog;
		enum sandbox_role want;
	} roles[] = {
		{ "smtpd-accept", SANDBOX_DOOR },
		{ "/usr/bin/smtpd-accept", SANDBOX_DOOR },
		{ "relay-out", SANDBOX_DELIVERY },
		{ "spam-score", SANDBOX_STAGE },
		{ "/usr/bin/python3", SANDBOX_STAGE },
		{ "relay-out-not", SANDBOX_STAGE },
	};
	size_t i;

	for (i = 0; i < sizeof roles / sizeof roles[0]; i++)
		tap_is_long(sandbox_role_of(roles[i].prog), roles[i].want, roles[i].prog);
	tap_is_long(in_child(0, T_INET), 0, "a stage: socket(AF_INET) fails with EACCES");
	tap_is_long(in_child(0, T_INET6), 0, "a stage: socket(AF_INET6) too");
	tap_is_long(in_child(0, T_UNIX), 0, "a stage: socket(AF_UNIX) works");
	tap_is_long(in_child(1, T_INET), 1, "a stage of control/stagenet: AF_INET works");
	tap_is_long(in_child(1, T_PTRACE), 0, "a stage: ptrace fails with EPERM");
	tap_is_long(in_child(0, T_EXEC), 0, "a started tool: execve fails with EPERM");
	tap_is_long(in_child(0, T_EXEC_AFTER), 0, "the stage filter alone: execve works");
	return tap_done();
}
