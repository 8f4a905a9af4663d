/* rewriter: the frame the MIME rewriters' main() hands one message to
 * (add-disclaimer, link-defang): read it under the size cap, parse its
 * header under the limits, let the tool rewrite it in memory, write the
 * result (or the message as it came, when the tool changed nothing) and
 * log one line.  A message over the cap cannot be rewritten whole and
 * goes on as it came: these rewriters add or defang, they never guard.
 * Nothing reaches standard output unless the whole message is ready.
 * Prints its log lines on stderr through log.h; never exits. */
#ifndef PORTCULLIS_REWRITER_H
#define PORTCULLIS_REWRITER_H
#include <stddef.h>
#include "buf.h"
#include "hdr.h"
#include "msg.h"

struct rewriter {
	size_t            maxbytes;  /* control/databytes + slack */
	struct hdr_limits hlim;
	const char       *toobig;    /* the log's words for a message over
	                              * the cap ("disclaimer=too-big") */
	/* Rewrite m into out (left empty: unchanged) and write the log
	 * line's fields after "verdict=pass " into summary.  0, or -1 with
	 * errno. */
	int (*rewrite)(void *arg, const struct msg *, const struct hdr *,
	    struct buf *out, char *summary, size_t n);
	void             *arg;
};

int  rewriter_init(struct rewriter *);
int  rewriter_one(const struct rewriter *, const char *file, const char *qid);
void rewriter_qid(char *q, size_t n);

#endif
