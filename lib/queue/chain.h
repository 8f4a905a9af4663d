/* chain: the chain of one direction (control/chain.in, chain.out: one
 * command line per stage) run on one message, at the door by
 * smtpd-accept or after the queue by the supervisor's scan worker.  The
 * stages are strangers' parsers: their exit status is all we believe of
 * them; their stderr is only quoted, cleaned, in a reason.  Library code:
 * logs, never exits. */
#ifndef PORTCULLIS_CHAIN_H
#define PORTCULLIS_CHAIN_H
#include <stddef.h>
#include "ctl.h"
#include "verdict.h"

#define CHAIN_WHY_MAX 256

/* What a run of the chain decided. */
struct chain_result {
	enum verdict v;               /* the worst verdict of all stages */
	int  late;                    /* a stage ran out of time */
	char why[CHAIN_WHY_MAX];      /* "stage 2 (spam-score) exit 100" */
	char reason[VERDICT_TEXT_MAX + 1];  /* the deciding stage's own text */
};

/* The chain of a direction: the supervisor's chain in force when it
 * handed one over ($PORTCULLIS_CHAIN_IN, _OUT), else the control file,
 * else the built-in default (the filters that exist). */
int  chain_load(int outbound, struct ctl_list *);

/* Run the chain with the message on in (a file, read from its start)
 * into out (a file, emptied); every stage within timeout_ms of the
 * start.  serve[i] is the job socket of a resident copy of line i, or -1
 * (forked and executed); serve may be NULL.  The stages' stderr goes on to
 * ours; the reason of a reject or quarantine is taken from it.  0, or -1
 * when the chain could not be started at all (r says why). */
int  chain_run(const struct ctl_list *, int in, int out, unsigned timeout_ms,
	const int *serve, const char *tmpdir, struct chain_result *r);

/* The job sockets a supervisor handed to a process it started
 * ($PORTCULLIS_SERVE: lines "FD COMMAND LINE"), matched to the chain's
 * lines by their text; -1 where there is none. */
void chain_serve_from_env(const struct ctl_list *, int *serve, size_t n);

#endif
