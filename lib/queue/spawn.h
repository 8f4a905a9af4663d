/* spawn: running other programs as the supervisor does: a command line
 * split into words (no shell: a control file line never meets sh), a
 * child with chosen fds 0 and 1, and a pipeline of stages joined by pipes
 * under a time limit per stage.  The child side only calls async-signal-
 * safe functions between fork and exec. */
#ifndef PORTCULLIS_SPAWN_H
#define PORTCULLIS_SPAWN_H
#include <stddef.h>
#include <sys/types.h>

#define SPAWN_MAX_ARGS   64
#define SPAWN_MAX_STAGES 32
#define SPAWN_TIMEDOUT   -2   /* a stage's status when it was killed for time */
#define SPAWN_LOST       -3   /* a resident stage ended without a status */

struct spawn_argv {
	char  *buf;
	char  *v[SPAWN_MAX_ARGS + 1];
	size_t n;
};

int   spawn_split(const char *line, struct spawn_argv *);
void  spawn_argv_free(struct spawn_argv *);
pid_t spawn_child(char *const argv[], int in, int out);
int   spawn_pipeline(struct spawn_argv *stages, size_t n, int in, int out,
	unsigned timeout_ms, const int *serve, int *status);
int   spawn_exit_code(int status);
void  spawn_path_self(void);
int   spawn_runnable(const char *prog);

#endif
