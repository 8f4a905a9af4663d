/* checker: the frame every checker's main() hands its work to.  It owns
 * what DESIGN.md makes common to all of them: the options (-a, -t, -C, the
 * envelope flags), reading each message with the size cap, the envelope,
 * the verdict line or the annotated message, the log line, and the exit
 * status.  A tool supplies init (control files and rules, once per process)
 * and judge (one message). */
#ifndef PORTCULLIS_CHECKER_H
#define PORTCULLIS_CHECKER_H
#include <stddef.h>
#include "buf.h"
#include "env.h"
#include "hdr.h"
#include "msg.h"
#include "verdict.h"

struct checker_ctx {
	int    annotate;       /* -a */
	int    tagonly;        /* -t */
	char   me[256];        /* control/me: our host name and authserv-id */
	size_t maxbytes;       /* message cap from control/databytes */
	struct hdr_limits hlim; /* control/headerfields, headerbytes */
	void  *tool;           /* the tool's own state from init */
};

struct checker {
	const char *name;
	/* 0, or -1 after logging why (the frame exits 111). */
	int (*init)(struct checker_ctx *);
	/* Judge one message into r; in annotate mode, the header lines to
	 * add go into hdrs ("Name: value\n" each; empty: the frame writes
	 * X-Portcullis-<Tool>).  0, or -1 for an error that makes r a
	 * tempfail. */
	int (*judge)(struct checker_ctx *, const struct msg *, const struct hdr *,
	    const struct envelope *, struct verdict_result *r, struct buf *hdrs);
	/* Is field i a header of our own kind, which -a replaces instead of
	 * trusting?  NULL: only X-Portcullis-<Tool>. */
	int (*own_header)(struct checker_ctx *, const struct hdr *, size_t i);
	/* After each message of a resident (--serve, serve.h): forget what
	 * must not outlive one message.  NULL: nothing. */
	void (*next)(struct checker_ctx *);
};

int checker_main(const struct checker *, int argc, char **argv);
int checker_lint_common(void);

#endif
