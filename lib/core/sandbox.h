/* sandbox: what a child of the supervisor becomes before it runs a
 * program, and what a tool gives up after it started.  qmail's manner:
 * the door (smtpd-accept), the stages (every chain program) and delivery
 * (relay-out) each run under a uid of their own, chosen by the program's
 * name; a stage also runs under RLIMIT_AS and RLIMIT_CPU and a seccomp
 * filter that refuses sockets other than AF_UNIX (but for the programs of
 * control/stagenet), ptrace and the calls that reach into the kernel or
 * other processes.  portcullis(7), PRIVILEGES, says why.
 * Library code: never prints, never exits; -1 with errno. */
#ifndef PORTCULLIS_SANDBOX_H
#define PORTCULLIS_SANDBOX_H
#include <stddef.h>
#include <sys/types.h>

enum sandbox_role { SANDBOX_DOOR, SANDBOX_STAGE, SANDBOX_DELIVERY,
	SANDBOX_NROLES };

#define SANDBOX_MEMORY_MB 2048UL   /* control/stagememory default */
#define SANDBOX_CPU_S     600UL    /* control/stagecpu default */
#define SANDBOX_MAX_NET   32       /* programs in control/stagenet */

struct sandbox_conf {
	int           setuid;                   /* children change uid */
	uid_t         uid[SANDBOX_NROLES];
	gid_t         gid[SANDBOX_NROLES];
	unsigned long memory_mb, cpu_s;         /* 0: no limit */
	char          net[SANDBOX_MAX_NET][64]; /* stages allowed the network */
	size_t        nnet;
};

extern struct sandbox_conf sandbox_cf;

int  sandbox_config(struct sandbox_conf *);
void sandbox_set_user(enum sandbox_role, uid_t, gid_t);
enum sandbox_role sandbox_role_of(const char *prog);
int  sandbox_drop_root(uid_t, gid_t, int keep);
int  sandbox_child(const char *prog);
int  sandbox_spawned(void);
int  sandbox_stage_filter(int network);
int  sandbox_no_exec(void);
int  sandbox_tool(void);

#endif
