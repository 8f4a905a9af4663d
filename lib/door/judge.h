/* judge: the chain of a message's direction run on it at the door, after
 * it is written and before the reply to the end of DATA (DESIGN.md, "the
 * flow"; smtpd-accept(8), "Verdicts at the door").  A pass replaces the
 * written message with the chain's output and marks the envelope
 * (QUEUE_JUDGED), a quarantine the same with a header on top (QUEUE_HOLD);
 * a reject or a tempfail is a reply for the client and nothing is kept.
 * A message held in memory (*mem) is judged from there, and the chain's
 * output becomes the message file itself: a passed message is written to
 * the queue's disk once, a refused one never.
 * Library code: logs, never exits. */
#ifndef PORTCULLIS_JUDGE_H
#define PORTCULLIS_JUDGE_H
#include "ctl.h"
#include "env.h"
#include "queue.h"
#include "smtp_session.h"

struct door_judge {
	const struct queue    *q;           /* incoming */
	struct queue_msg      *qm;          /* the message written so far */
	const struct ctl_list *chain_in, *chain_out;
	unsigned long          timeout;     /* control/doortimeout; 0: off */
	int                   *mem;         /* the message in memory (a memfd:
	                                       qm has only its id), or -1 */
};

/* As smtp_io.msg_judge: 0 commit (flags may gain QUEUE_JUDGED or
 * QUEUE_HOLD), 1 refuse with j->reply, -1 could not judge (451). */
int  door_judge(const struct door_judge *, const struct envelope *,
	unsigned *flags, struct smtp_judgement *);

/* The residents' job sockets a supervisor handed over ($PORTCULLIS_SERVE)
 * are not for the stages the door forks: close-on-exec. */
void door_serve_cloexec(void);

#endif
