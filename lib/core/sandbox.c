/* sandbox: uids, limits and a seccomp filter per child (see sandbox.h).
 * Runs in the supervisor (the configuration, giving root up) and in its
 * forked children between fork and exec, where the supervisor's one
 * thread makes malloc safe; trusts the control files it reads no more
 * than their bounds. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl.h"
#include "sandbox.h"

/* ASan reserves terabytes of address space for its shadow: a limit on
 * it would stop a sanitized build at its first allocation. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif

struct sandbox_conf sandbox_cf = { .memory_mb = SANDBOX_MEMORY_MB,
	.cpu_s = SANDBOX_CPU_S,
	.net = { "dnsbl-check", "virus-scan", "auth-check" }, .nnet = 3 };

/* Read control/stagememory (MB), control/stagecpu (seconds; 0: no
 * limit) and control/stagenet (the stage programs that may use the
 * network, one name a line; default dnsbl-check and auth-check, which
 * ask DNS, and virus-scan, which may reach clamd or an ICAP engine over
 * TCP) into
 * c, leaving its uids alone; nothing of c changes on an error. */
int
sandbox_config(struct sandbox_conf *c)
{
	struct sandbox_conf n = *c;
	struct ctl_list l;
	size_t i;

	memset(&l, 0, sizeof l);
	if (ctl_ulong("stagememory", SANDBOX_MEMORY_MB, 0, 1048576, &n.memory_mb) == -1 ||
	    ctl_ulong("stagecpu", SANDBOX_CPU_S, 0, 604800, &n.cpu_s) == -1 ||
	    ctl_lines("stagenet", &l) == -1)
		return -1;
	if (l.path[0] != '\0') {
		n.nnet = 0;
		for (i = 0; i < l.n; i++) {
			if (n.nnet == SANDBOX_MAX_NET || strchr(l.v[i], '/') ||
			    strlen(l.v[i]) >= sizeof n.net[0]) {
				ctl_free(&l);
				errno = EINVAL;
				return -1;
			}
			memcpy(n.net[n.nnet++], l.v[i], strlen(l.v[i]) + 1);
		}
	}
	ctl_free(&l);
	*c = n;
	return 0;
}

void
sandbox_set_user(enum sandbox_role r, uid_t u, gid_t g)
{
	sandbox_cf.uid[r] = u;
	sandbox_cf.gid[r] = g;
}

static const char *
base(const char *prog)
{
	const char *b = strrchr(prog, '/');

	return b ? b + 1 : prog;
}

/* The role of a program by its name: the door and delivery are ours;
 * every other program a chain names is a stage. */
enum sandbox_role
sandbox_role_of(const char *prog)
{
	const char *b = base(prog);

	if (strcmp(b, "smtpd-accept") == 0)
		return SANDBOX_DOOR;
	if (strcmp(b, "relay-out") == 0)
		return SANDBOX_DELIVERY;
	return SANDBOX_STAGE;
}

/* Set our capability sets to mask (effective and permitted; none
 * inheritable), by the raw system call: no libcap needed. */
static int
caps_set(uint64_t mask)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof d);
	d[0].effective = d[0].permitted = (uint32_t)mask;
	d[1].effective = d[1].permitted = (uint32_t)(mask >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

/* In root, at the drop: become uid/gid and keep only what starting the
 * children under their own uids needs, CAP_SETUID and CAP_SETGID, and
 * CAP_KILL to stop a stage (another uid) at its time limit.  execve of
 * a program without file capabilities under a uid other than 0 clears
 * them, and sandbox_child clears them before that.  keep 0: keep none. */
int
sandbox_drop_root(uid_t u, gid_t g, int keep)
{
	uint64_t m = (1ULL << CAP_SETUID) | (1ULL << CAP_SETGID) |
	    (1ULL << CAP_KILL);

	int c;

	/* CAP_SETUID can always become root again: what that root could
	 * then gain is bounded here, while we still may (no capability
	 * outside the three, and none from exec as uid 0) */
	for (c = 0; keep && c < 64; c++)
		if (!(m >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1 &&
		    errno != EINVAL)
			return -1;
	if (keep && (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED,
	    0, 0, 0) == -1 || prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1))
		return -1;
	if (setgroups(0, NULL) == -1 || setresgid(g, g, g) == -1 ||
	    setresuid(u, u, u) == -1)
		return -1;
	if (keep && (caps_set(m) == -1 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1))
		return -1;
	if (!keep && caps_set(0) == -1)
		return -1;
	if (!keep && setuid(0) == 0) {
		errno = EPERM;
		return -1;
	}
	sandbox_cf.setuid = keep;
	return 0;
}

/* In a worker that has started the one child it will start (the
 * delivery worker, relay-out): what it reads back next comes from a
 * process that talked to strangers, so of the supervisor's capabilities
 * it keeps only CAP_KILL, to stop that child at its time limit.  A later
 * start under another uid in this process fails, loudly. */
int
sandbox_spawned(void)
{
	return sandbox_cf.setuid ? caps_set(1ULL << CAP_KILL) : 0;
}

/* A stage's filter: socket() of any family but AF_UNIX fails with
 * EACCES unless network, and the calls no parser needs (another
 * process's memory, the kernel's modules, mounts, namespaces, keys, BPF,
 * io_uring, which could open sockets past the socket() rule) fail with
 * EPERM.  execve stays allowed here: this filter is set before the exec
 * of the stage; our own tools forbid it themselves once started
 * (sandbox_no_exec). */
int
sandbox_stage_filter(int network)
{
	static const int deny[] = {
		SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
		SCMP_SYS(process_vm_writev), SCMP_SYS(kcmp),
		SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root),
		SCMP_SYS(chroot), SCMP_SYS(setns), SCMP_SYS(unshare),
		SCMP_SYS(init_module), SCMP_SYS(finit_module),
		SCMP_SYS(delete_module), SCMP_SYS(kexec_load),
		SCMP_SYS(kexec_file_load), SCMP_SYS(reboot), SCMP_SYS(swapon),
		SCMP_SYS(swapoff), SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
		SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
		SCMP_SYS(userfaultfd), SCMP_SYS(io_uring_setup),
		SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
		SCMP_SYS(acct), SCMP_SYS(quotactl), SCMP_SYS(syslog),
	};
	/* argument 0 (the family) other than AF_UNIX */
	const struct scmp_arg_cmp unix_only = { 0, SCMP_CMP_NE, AF_UNIX, 0 };
	scmp_filter_ctx ctx;
	size_t i;
	int rc = -1;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < sizeof deny / sizeof deny[0]; i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), deny[i], 0) < 0)
			goto out;
	if (!network && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
	    SCMP_SYS(socket), 1, unix_only) < 0)
		goto out;
	if (seccomp_load(ctx) < 0)
		goto out;
	rc = 0;
out:
	seccomp_release(ctx);
	if (rc == -1)
		errno = EPERM;
	return rc;
}

/* Once a tool has started (its rules read, its libraries loaded): no
 * other program, ever; a filter stacks on the stage's. */
int
sandbox_no_exec(void)
{
	scmp_filter_ctx ctx;
	int rc = -1;

	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	/* every thread (libunbound's resolver is one) */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) == 0 &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(execve), 0) == 0 &&
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(execveat), 0) == 0 &&
	    seccomp_load(ctx) == 0)
		rc = 0;
	seccomp_release(ctx);
	if (rc == -1)
		errno = EPERM;
	return rc;
}

/* A tool, after it started: under the supervisor (PORTCULLIS_SANDBOX=1)
 * it gives up exec, and becomes undumpable so that another stage under
 * the same uid cannot reach its memory through /proc (the stage filter
 * stops ptrace itself); run by hand it changes nothing. */
int
sandbox_tool(void)
{
	const char *s = getenv("PORTCULLIS_SANDBOX");

	if (s == NULL || strcmp(s, "1") != 0)
		return 0;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return -1;
	return sandbox_no_exec();
}

static int
limit(int res, unsigned long v, unsigned long slack)
{
	struct rlimit rl;

	if (v == 0)
		return 0;
	rl.rlim_cur = v;
	rl.rlim_max = v + slack;
	return setrlimit(res, &rl);
}

/* In a forked child, before it executes prog: its role's uid (started
 * as root), no capabilities, no new privileges; a stage also its limits
 * and its filter, and PORTCULLIS_SANDBOX=1 for the tool to take up. */
int
sandbox_child(const char *prog)
{
	enum sandbox_role r = sandbox_role_of(prog);
	size_t i;
	int net = 0;

	if (sandbox_cf.setuid && (setgroups(0, NULL) == -1 ||
	    setresgid(sandbox_cf.gid[r], sandbox_cf.gid[r], sandbox_cf.gid[r]) == -1 ||
	    setresuid(sandbox_cf.uid[r], sandbox_cf.uid[r], sandbox_cf.uid[r]) == -1))
		return -1;
	if ((sandbox_cf.setuid && caps_set(0) == -1) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	if (r != SANDBOX_STAGE)
		return 0;
#ifndef SANDBOX_ASAN
	if (limit(RLIMIT_AS, sandbox_cf.memory_mb * 1024 * 1024, 0) == -1)
		return -1;
#endif
	/* SIGXCPU at the limit, SIGKILL a little later if it is caught */
	if (limit(RLIMIT_CPU, sandbox_cf.cpu_s, 5) == -1 ||
	    setenv("PORTCULLIS_SANDBOX", "1", 1) == -1)
		return -1;
	for (i = 0; i < sandbox_cf.nnet; i++)
		if (strcmp(sandbox_cf.net[i], base(prog)) == 0)
			net = 1;
	return sandbox_stage_filter(net);
}
