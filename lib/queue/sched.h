/* sched: the retry schedule of a queued message, kept beside it as
 * STAGE/sched/ID ("FIRST NEXT TRIES", seconds since the epoch), written
 * atomically so that a crash leaves the old or the new schedule, never a
 * torn one.  A message without a schedule is due now. */
#ifndef PORTCULLIS_SCHED_H
#define PORTCULLIS_SCHED_H
#include <time.h>

struct sched {
	time_t   first;   /* first attempt: queuelifetime counts from it */
	time_t   next;    /* not before this */
	unsigned tries;
};

int    sched_read(const char *path, struct sched *);
int    sched_write(const char *path, const struct sched *);
time_t sched_backoff(unsigned tries, unsigned long min, unsigned long max);

#endif
