/* super: what the supervisor's parts share (cmd/portcullis.c wires them):
 * its settings, read once from the control files, and the table of the
 * processes it started.  The supervisor is one process with one thread;
 * its workers are forked copies that read this state and never write it
 * back.  Library code: it logs, but never exits but in a forked child. */
#ifndef PORTCULLIS_SUPER_H
#define PORTCULLIS_SUPER_H
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "ctl.h"
#include "env.h"
#include "queue.h"

#define SUPER_MAX_LISTEN 16
/* relay-out's command line, for its resident pool (stages.c) */
#define SUPER_RELAY "relay-out"

struct super_conf {
	char me[256], user[64], qdir[PATH_MAX];
	struct ctl_list listen, chain_in, chain_out;
	unsigned long maxconn, maxperip, scanconc, delconc, lifetime;
	unsigned long maxperip4, maxperip6;   /* prefix lengths maxperip counts */
	unsigned long sessiontimeout;         /* smtpd-accept's timeoutsession */
	unsigned long smtpdspare, smtpdmaxuse, smtpdidle, stageworkers;
	unsigned long deliveryworkers;        /* resident relay-outs */
	unsigned long stagetimeout, retrymin, retrymax, deliverytimeout;
	unsigned long databytes;
};

/* SUPER_DWORK, SUPER_SWORK: a resident delivery or scan worker, handed
 * message after message (children.c); its ctl, busy, id and uses as a
 * SUPER_CONN's */
enum super_kind { SUPER_CONN = 1, SUPER_SCAN, SUPER_DELIVER, SUPER_STAGE,
	SUPER_DWORK, SUPER_SWORK };
#define SUPER_MAX_POOLS 64   /* resident pools a worker's job can name */

struct super_child {
	pid_t pid;
	enum super_kind kind;
	char  id[QUEUE_ID_MAX];
	char  ip[64];       /* SUPER_CONN: the client of the session it serves */
	int   ctl;          /* SUPER_CONN: our end of its socketpair, or -1 */
	int   busy;         /* SUPER_CONN: serving a session */
	unsigned long uses; /* SUPER_CONN: sessions handed to it */
	time_t idle;        /* SUPER_CONN: idle, or busy, since; SUPER_STAGE: started at */
	time_t started;     /* when it was forked */
	size_t pool;        /* SUPER_STAGE: its pool */
};

extern struct super_conf super_cf;
extern struct super_child *super_kids;
extern size_t super_nkids;
extern int super_lfd[SUPER_MAX_LISTEN];
extern size_t super_nlfd;

/* children.c: the table of the processes we started */
int    super_kid_add(pid_t, enum super_kind, const char *id, const char *ip);
size_t super_kid_count(enum super_kind, const char *id, const char *ip);
void   super_reap(void);
void   super_start_worker(enum super_kind, const char *id);
void   super_run_stage(const char *stage, enum super_kind, unsigned long limit);
void   super_close_inherited(void);
void   super_from_dworker(int fd);
void   super_dwork_retire(void);

/* super.c: the envelope as a stage's or relay-out's environment
 * (DESIGN.md's variables); what happens to a message after a temporary
 * failure (super_after_tempfail, the one rule); a bounce (RFC 3464) for
 * failed recipients; a streamed copy into the quarantine */
enum super_fate { SUPER_LATER, SUPER_GIVE_UP, SUPER_STUCK };
struct dsn_rcpt;
void   super_setenv(const char *name, const char *v);
int    super_export_env(const struct envelope *);
enum super_fate super_after_tempfail(const char *stage, const char *id,
	const char *msgpath, int force);
int    super_quarantine(const struct envelope *, unsigned flags,
	const char *why, int fd, char *oid, size_t oidn);
int    super_bounce(const struct envelope *, const char *msgpath,
	const struct dsn_rcpt *, size_t n, const char *reason);

/* scan.c and deliver.c: one message each, in a forked worker; the exit
 * status of the worker: 0 when the message was moved on, scheduled or
 * given up; 111 only when not even its schedule could be written (the
 * supervisor then holds it back in memory, children.c) */
int    super_scan_one(const char *id);
int    super_deliver_one(const char *id);

/* stages.c: the resident copies of our stages (lib/queue/serve.h) */
void   super_pools_init(void);
void   super_tend_stages(void);
int    super_pool_socket(const char *line);
int    super_pool_alive_mask(char *out, size_t n);
void   super_pool_alive_set(const char *mask);
void   super_pool_close_jobs(void);
void   super_stage_gone(const struct super_child *, int status);
void   super_stages_stop(void);
void   super_pool_export(void);
void   super_pools_reset(void);

/* smtpd.c: the listeners and the pool of smtpd-accept workers */
struct addrinfo;
int    super_listen_parse(const char *line, unsigned lineno,
	struct addrinfo **);
int    super_listen_all(void);
void   super_tend_pool(void);
void   super_from_worker(int fd);
void   super_accept_one(int l);
void   super_smtpd_retire(void);

/* priv.c: what the root part does before it gives root up */
int    super_drop_root(void);
int    super_user_of(const char *file, uid_t *, gid_t *);

#endif
