/* logline: one line of the gateway's log, as every program writes it
 * (lib/core/log.h):
 *   [TIME ]PROG[PID]: key=value key=value ... reason=free text
 * where TIME is the supervisor's UTC stamp (2026-12-02T11:47:15Z) or a
 * journal's ISO time with an offset and a host name before the program
 * (journalctl -o short-iso).  The fields are split at spaces; reason= and
 * reply= take the rest of the line, as the last field of every line
 * protocol of the project holds its free text.  The line is untrusted in
 * part (a client's HELO, a sender's address, a remote server's reply,
 * cleaned to printable ASCII by the writer, but a log file can hold
 * anything), so the parser bounds everything and never fails on bytes. */
#ifndef PORTCULLIS_LOGLINE_H
#define PORTCULLIS_LOGLINE_H
#include <stddef.h>
#include <time.h>

#define LOGLINE_MAX_FIELDS 32
#define LOGLINE_MAX 4096       /* longer lines are cut there */

struct logline_field {
	const char *key, *val;   /* NUL-terminated, into the line's copy */
};

struct logline {
	time_t t;                /* -1: the line has no time */
	char   prog[48];         /* "smtpd-accept" */
	char   pid[16];          /* "2917", or "" */
	struct logline_field f[LOGLINE_MAX_FIELDS];
	size_t nf;
	char   text[LOGLINE_MAX + 1];  /* everything after "PROG: ", whole */
	char   buf[LOGLINE_MAX + 1];   /* the line, cut into the fields */
};

int         logline_parse(const char *s, size_t n, struct logline *);
const char *logline_get(const struct logline *, const char *key);
time_t      logline_time(const char *s, size_t n, size_t *used);

#endif
