/* queue: the maildir-shaped queue of DESIGN.md.  A message is written into
 * STAGE/tmp/ID, synced, its envelope written and synced as STAGE/env/ID,
 * and only then renamed into STAGE/new/ID and the directory synced: a
 * message visible in new/ is whole and has its envelope.  The queue
 * directory is -Q DIR, else $PORTCULLIS_QUEUE, else /var/spool/portcullis;
 * missing directories are created 0700 on first use.  Library code: never
 * prints, never exits; -1 with errno on failure. */
#ifndef PORTCULLIS_QUEUE_H
#define PORTCULLIS_QUEUE_H
#include <limits.h>
#include <stddef.h>
#include <time.h>
#include "buf.h"
#include "env.h"

#define QUEUE_DEFAULT_DIR "/var/spool/portcullis"
#define QUEUE_ID_MAX      64

/* What the message needs of the next hop, for the envelope file. */
#define QUEUE_8BITMIME    0x01  /* BODY=8BITMIME (RFC 6152) */
#define QUEUE_SMTPUTF8    0x02  /* SMTPUTF8 (RFC 6531) */
/* What the door's chain decided (envelope line J), so that the queue
 * does not judge the message again: passed, or to be held. */
#define QUEUE_JUDGED      0x04  /* J pass: the chain ran at the door */
#define QUEUE_HOLD        0x08  /* J quarantine: into quarantine/ */

struct queue {
	char dir[PATH_MAX];     /* the queue's top directory */
	char stage[32];         /* "incoming", "outgoing", ... */
};

struct queue_msg {
	const struct queue *q;
	int    fd;                    /* tmp/ID open for writing, or -1 */
	char   id[QUEUE_ID_MAX];
	size_t bytes;                 /* written so far */
};

const char *queue_dir_default(const char *override);
int  queue_init(struct queue *, const char *dir, const char *stage);
int  queue_new_id(char *out, size_t n);
int  queue_open(const struct queue *, struct queue_msg *);
int  queue_open_as(const struct queue *, struct queue_msg *, const char *id);
int  queue_write(struct queue_msg *, const void *, size_t);
int  queue_commit(struct queue_msg *, const struct envelope *, unsigned);
int  queue_commit_into(struct queue_msg *, const char *stage,
	const struct envelope *, unsigned);
void queue_abort(struct queue_msg *);
int  queue_env_format(const struct envelope *, const char *id, unsigned,
	struct buf *);

/* The whole queue's layout (DIR/STAGE/{tmp,new,cur,env,sched}/ID), for
 * the supervisor: every path, folder and envelope file goes through these. */
int    queue_path(char *out, size_t n, const char *dir, const char *stage,
	const char *sub, const char *id);
int    queue_sync_dir(const char *dir, const char *stage, const char *sub);
int    queue_mkstage(const char *dir, const char *stage);
extern const char *const queue_sub[];   /* a stage's folders, NULL-ended */
void   queue_remove(const char *dir, const char *stage, const char *id);
int    queue_lock(const char *msgpath);
int    queue_held(const char *dir, const char *stage, const char *id);
int    queue_put(const char *dir, const char *stage, const struct envelope *,
	unsigned flags, const char *top, size_t toplen, const char *p, size_t n,
	char *id, size_t idn);
int    queue_env_replace(const char *dir, const char *stage, const char *id,
	const struct envelope *, unsigned flags);
int    queue_move(const char *dir, const char *from, const char *to,
	const char *id, const struct envelope *, unsigned flags);
size_t queue_clean(const char *dir, const char *stage, const char *sub,
	time_t age, int orphan_env);

#endif
