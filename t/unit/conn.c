/* Unit tests for lib/door/conn.c: the clock on every wait for a peer.
 * The peer is the other end of a socketpair that this test drives: it
 * reads nothing, writes nothing, or a little. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "tap.h"

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* conn_poll: which clock ran out, and when. */
static void
test_poll(void)
{
	static const struct {
		const char *name;
		int ms, end_ms;   /* end_ms -1: no deadline */
		int want;         /* ETIMEDOUT or ETIME */
	} rows[] = {
		{ "idle limit first: ETIMEDOUT", 100, 1000, ETIMEDOUT },
		{ "deadline first: ETIME", 1000, 100, ETIME },
		{ "no deadline: ETIMEDOUT", 100, -1, ETIMEDOUT },
		{ "no limit of its own, a deadline: ETIME", -1, 100, ETIME },
		{ "deadline already past: ETIME at once", 1000, 0, ETIME },
	};
	struct timespec end;
	int sv[2];
	size_t i;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		tap_ok(0, "socketpair");
		return;
	}
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		double t0 = now(), took;
		int r, lim = rows[i].ms >= 0 && (rows[i].end_ms < 0 ||
		    rows[i].ms < rows[i].end_ms) ? rows[i].ms : rows[i].end_ms;
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_nsec += (long)(rows[i].end_ms > 0 ? rows[i].end_ms : 0) * 1000000L;
		end.tv_sec += end.tv_nsec / 1000000000L;
		end.tv_nsec %= 1000000000L;
		errno = 0;
		r = conn_poll(sv[0], POLLIN, rows[i].ms, rows[i].end_ms < 0 ? NULL : &end);
		took = (now() - t0) * 1000;
		tap_ok(r == -1 && errno == rows[i].want, rows[i].name);
		tap_ok(took >= lim - 5 && took < lim + 500, "... after its time");
	}
	(void)!write(sv[1], "x", 1);
	tap_is_long(conn_poll(sv[0], POLLIN, 1000, NULL), 0, "conn_poll: ready at once");
	close(sv[0]);
	close(sv[1]);
}

/* A peer that never reads: the write ends after the idle limit, not
 * never; one that trickles ends at the deadline. */
static void
test_io(void)
{
	static char big[1 << 20];
	struct conn c;
	char b[16];
	int sv[2], fl;
	double t0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		tap_ok(0, "socketpair");
		return;
	}
	tap_is_long(conn_open(&c, sv[0], sv[0], 1, 3), 0, "conn_open");
	tap_ok((fcntl(sv[0], F_GETFL) & O_NONBLOCK) != 0, "... makes it non-blocking");
	t0 = now();
	errno = 0;
	tap_is_long(conn_write(&c, big, sizeof big), -1,
	    "conn_write: 1 MiB to a peer that never reads fails");
	tap_ok(errno == ETIMEDOUT, "... with ETIMEDOUT");
	tap_ok(now() - t0 >= 0.9 && now() - t0 < 2, "... after the idle limit (1 s)");
	errno = 0;
	tap_is_long(conn_read(&c, b, sizeof b, 200), -1, "conn_read: nothing in 200 ms");
	tap_ok(errno == ETIMEDOUT, "... ETIMEDOUT");
	(void)!write(sv[1], "hi", 2);
	tap_is_long(conn_read(&c, b, sizeof b, 200), 2, "conn_read: what is there");
	sleep(2);
	(void)!write(sv[1], "late", 4);
	errno = 0;
	tap_is_long(conn_read(&c, b, sizeof b, 1000), -1,
	    "conn_read past the session's deadline: nothing, though bytes wait");
	tap_ok(errno == ETIME, "... ETIME");
	conn_close(&c);
	fl = fcntl(sv[0], F_GETFL);
	tap_ok(fl != -1 && !(fl & O_NONBLOCK), "conn_close: the flags as they were");
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	test_poll();
	test_io();
	return tap_done();
}
