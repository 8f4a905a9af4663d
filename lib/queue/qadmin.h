/* qadmin: what an administrator does to the queue (portcullis-queue(8)):
 * find, read, delete, flush, hold and release queued messages, and count
 * them.  Every change takes the message's lock first (queue_lock), so it
 * never pulls a message from under a running worker, and goes through
 * tmp/, fsync, rename and an fsync of the directory, so that a crash
 * leaves the old state or the new one.  No file is opened through a
 * symbolic link.  The envelope and header values read here came from
 * strangers: kept as bytes, never interpreted.  Library code: never
 * prints, never exits; -1 with errno on failure. */
#ifndef PORTCULLIS_QADMIN_H
#define PORTCULLIS_QADMIN_H
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "env.h"
#include "queue.h"
#include "sched.h"

#define QADMIN_REASON_MAX 512
#define QADMIN_HDR_MAX    (1024 * 1024)   /* a header section shown or rewritten */

/* The stages an administrator sees, in the order a message goes. */
extern const char *const qadmin_stages[];

struct qadmin_msg {
	char            id[QUEUE_ID_MAX];
	char            stage[32];
	off_t           size;
	time_t          arrived;      /* the message file's mtime */
	struct envelope env;          /* empty unless have_env */
	unsigned        flags;        /* QUEUE_* of the envelope */
	int             have_env;
	struct sched    sched;        /* the retry schedule, if have_sched */
	int             have_sched;
	char            reason[QADMIN_REASON_MAX];  /* X-Portcullis-Quarantine */
};

struct qadmin_stats {
	size_t             n;
	unsigned long long bytes;
	time_t             oldest;    /* 0: empty */
	char               oldest_id[QUEUE_ID_MAX];
};

int  qadmin_id_ok(const char *id);
int  qadmin_stage_ok(const char *stage);
int  qadmin_ids(const char *dir, const char *stage, char ***ids, size_t *n);
void qadmin_ids_free(char **ids, size_t n);
int  qadmin_find(const char *dir, const char *id, char *stage, size_t n);
int  qadmin_read(const char *dir, const char *stage, const char *id,
	struct qadmin_msg *);
void qadmin_msg_free(struct qadmin_msg *);
int  qadmin_open(const char *dir, const char *stage, const char *id);
int  qadmin_headers(const char *dir, const char *stage, const char *id,
	struct buf *);
int  qadmin_delete(const char *dir, const char *stage, const char *id);
int  qadmin_flush(const char *dir, const char *stage, const char *id);
int  qadmin_hold(const char *dir, const char *id);
int  qadmin_release(const char *dir, const char *stage, const char *id);
int  qadmin_stats(const char *dir, const char *stage, struct qadmin_stats *);
int  qadmin_drop_root(const char *dir, uid_t *uid);

#endif
