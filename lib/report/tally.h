/* tally: what a day's log says, counted (log-report(8)): messages by
 * direction and hour, the door's refusals, every stage's verdicts by
 * reason, the top senders, clients, recipients and rules, deliveries,
 * deferrals, bounces and the delays from the door to delivery.  Fed one
 * parsed line at a time (logline.h) in the order of the log, which is
 * not the order of events: a delivery may be logged before the door's
 * line of its message, so what depends on a message's direction or
 * arrival is settled by tally_finish.  Memory grows with the distinct
 * names and queue ids seen, not with the lines. */
#ifndef PORTCULLIS_TALLY_H
#define PORTCULLIS_TALLY_H
#include <stddef.h>
#include <time.h>

#include "logline.h"

enum { TALLY_IN, TALLY_OUT, TALLY_OTHER, TALLY_NDIR };

struct tally_ent {
	char              *key;
	unsigned long      n[2];
	unsigned long long bytes;
	time_t             t;       /* a queue id: when the door took it */
	time_t             tdone;   /* ... when its delivery was done */
	int                dir;     /* ... its direction, or -1 */
	unsigned long      deliv, failed, deferred;   /* ... its recipients */
	size_t            *list;    /* a door worker: its messages waiting */
	size_t             nlist;   /* for the end of their session */
};

struct tally_map {
	struct tally_ent *e;
	size_t  n, cap;
	size_t *idx;                /* open addressing: entry + 1, or 0 */
	size_t  icap;
};

/* one message at the door, counted once its session says the direction */
struct tally_door {
	char          verdict;      /* a accepted, q quarantined, r refused, t tempfail */
	int           hour;         /* 0-23 UTC, -1 unknown */
	unsigned long bytes;
	size_t        qid;          /* into qids, or (size_t)-1 */
};

struct tally {
	time_t        first, last;
	unsigned long lines, other;  /* read; not a line of ours */
	unsigned long recv[TALLY_NDIR], quar[TALLY_NDIR], refused[TALLY_NDIR],
	              tempfail[TALLY_NDIR], deliv[TALLY_NDIR], failed[TALLY_NDIR],
	              deferred[TALLY_NDIR];
	unsigned long long bytes[TALLY_NDIR];
	unsigned long hour[24][TALLY_NDIR];
	unsigned long deferrals, bounces, held, sessions, connrefused;
	struct tally_map ends, verdicts, senders, clients, rcpts, rules,
	                 deferwhy, failwhy, junk, qids, workers;
	struct tally_door *door;
	size_t        ndoor, capdoor;
	long         *delay;        /* seconds from the door to delivery */
	size_t        ndelay, capdelay;
};

void   tally_init(struct tally *);
int    tally_line(struct tally *, const struct logline *);
int    tally_finish(struct tally *);
void   tally_free(struct tally *);
struct tally_ent *tally_get(struct tally_map *, const char *key, int create);
/* the entries of a map sorted by n[0] (then n[1]) descending, then key */
size_t tally_sorted(const struct tally_map *, const struct tally_ent ***out);
void   tally_norm(const char *in, char *out, size_t n);

#endif
