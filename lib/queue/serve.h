/* serve: resident stages.  A stage the supervisor would otherwise fork and
 * exec for every message can instead be started once with --serve and
 * judge message after message, as the batch mode of every checker already
 * does: its control files, rules, compiled patterns and open databases
 * stay loaded, so a message costs only its own work.
 *
 * The job socket is fd 3, one end of a SOCK_SEQPACKET socketpair shared by
 * every resident copy of one stage command line; the kernel hands each
 * job packet to exactly one reader.  A job is one packet:
 *
 *   data:    "portcullis-job 1" NUL, then "NAME=value" NUL for each
 *            envelope variable set, "NAME" NUL for each one unset
 *   fds:     (SCM_RIGHTS) the message in, the output, the log, the reply
 *
 * The resident puts in, out and log on fds 0, 1 and 2, sets the
 * variables, runs the tool's code for one message and writes on the reply
 * descriptor "P<pid>\n" when it starts and "X<status>\n" when done, the
 * status being what the program would have exited with.  A reply that
 * ends without "X" means the resident died on the job: 111 to the caller.
 *
 * A resident leaves (exit 0; the supervisor starts a fresh one) after
 * control/stagemaxuse jobs (default 1000), after an hour, on SIGTERM once
 * no job is waiting, when the socket's other end is gone, and as soon as
 * a control, rule or list file it read has changed (ctl_changed), so that
 * an edit takes effect within a second without a reload. */
#ifndef PORTCULLIS_SERVE_H
#define PORTCULLIS_SERVE_H
#include <stddef.h>
#include <sys/types.h>

#define SERVE_FD        3
#define SERVE_MAGIC     "portcullis-job 1"
#define SERVE_MAX_DATA  32768    /* a job's variables; beyond: fork and exec */
#define SERVE_MAX_AGE   3600     /* seconds a resident lives at most */

/* The tool's side: serve jobs on SERVE_FD, calling run(arg) for each with
 * the job's fds on 0, 1 and 2 and its variables in the environment; run
 * returns the exit status for the job.  Returns the resident's own exit
 * status. */
int serve_loop(int (*run)(void *), void *arg);

/* The envelope variables a job carries (DESIGN.md), NULL-terminated. */
extern const char *const serve_vars[];

/* The supervisor's side: send one job for a stage over sock with the
 * current values of serve_vars; *reply gets the descriptor to read the
 * replies from.  0, or -1 (errno; E2BIG when the variables do not fit). */
int serve_send(int sock, int in, int out, int err, int *reply);

/* Read what has arrived on a reply descriptor (non-blocking) into
 * *pid and *status.  1: the job is over (*status set: an exit code, or
 * -1 when it ended without one); 0: not yet. */
int serve_reply(int fd, char *buf, size_t *len, size_t cap, pid_t *pid,
	int *status);

#endif
