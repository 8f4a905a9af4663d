/* Unit tests for super_after_tempfail (lib/super/super.c), the one rule
 * after a temporary failure: a schedule with backoff while the queue
 * lifetime lasts, give up after it, force past it, and a loud STUCK when
 * not even a schedule can be written. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "queue.h"
#include "sched.h"
#include "super.h"
#include "tap.h"
#include "tmpdir.h"

static int
sched_of(const char *id, struct sched *s)
{
	char p[PATH_MAX];

	queue_path(p, sizeof p, super_cf.qdir, "incoming", "sched", id);
	return sched_read(p, s);
}

int
main(void)
{
	char mp[PATH_MAX], sp[PATH_MAX];
	struct sched s;
	struct timespec old[2] = { { 0, 0 }, { 0, 0 } };
	time_t now = time(NULL);

	log_init("super_retry");
	snprintf(super_cf.qdir, sizeof super_cf.qdir, "%s", tmpdir_make());
	super_cf.retrymin = 10;
	super_cf.retrymax = 25;
	super_cf.lifetime = 100;
	tap_ok(queue_mkstage(super_cf.qdir, "incoming") == 0, "a queue");
	queue_path(mp, sizeof mp, super_cf.qdir, "incoming", "new", "m1");
	close(open(mp, O_WRONLY | O_CREAT, 0600));

	tap_is_long(super_after_tempfail("incoming", "m1", mp, 0), SUPER_LATER,
	    "a first failure: later");
	tap_ok(sched_of("m1", &s) == 0 && s.tries == 1 && s.next >= now + 10 &&
	    s.next <= now + 11, "... retrymin from now");
	super_after_tempfail("incoming", "m1", mp, 0);
	tap_ok(sched_of("m1", &s) == 0 && s.tries == 2 && s.next >= now + 20 &&
	    s.next <= now + 21, "... doubled");
	super_after_tempfail("incoming", "m1", mp, 0);
	tap_ok(sched_of("m1", &s) == 0 && s.tries == 3 && s.next <= now + 26,
	    "... at most retrymax");

	/* a message first tried longer ago than the queue lifetime */
	queue_path(mp, sizeof mp, super_cf.qdir, "incoming", "new", "m2");
	close(open(mp, O_WRONLY | O_CREAT, 0600));
	old[0].tv_sec = old[1].tv_sec = now - 200;
	utimensat(AT_FDCWD, mp, old, 0);
	tap_is_long(super_after_tempfail("incoming", "m2", mp, 0), SUPER_GIVE_UP,
	    "past queuelifetime: give up");
	tap_is_long(sched_of("m2", &s), 1, "... and no schedule written");
	tap_is_long(super_after_tempfail("incoming", "m2", mp, 1), SUPER_LATER,
	    "a give-up that failed: later all the same (force)");
	tap_ok(sched_of("m2", &s) == 0 && s.next > now, "... with a schedule");

	/* no schedule can be written: sched/ is not a directory */
	queue_path(sp, sizeof sp, super_cf.qdir, "incoming", "sched", "m1");
	unlink(sp);
	queue_path(sp, sizeof sp, super_cf.qdir, "incoming", "sched", "m2");
	unlink(sp);
	queue_path(sp, sizeof sp, super_cf.qdir, "incoming", "sched", NULL);
	tap_ok(rmdir(sp) == 0, "sched/ taken away");
	close(open(sp, O_WRONLY | O_CREAT, 0600));
	queue_path(mp, sizeof mp, super_cf.qdir, "incoming", "new", "m1");
	tap_is_long(super_after_tempfail("incoming", "m1", mp, 0), SUPER_STUCK,
	    "no schedule can be written: stuck, said loudly");
	tmpdir_remove();
	return tap_done();
}
