/* rewriter: one message through a MIME rewriter (see rewriter.h).  The
 * message is untrusted and read under the cap; the tool's callback does
 * the work.  Runs under any uid. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "emit.h"
#include "io.h"
#include "log.h"
#include "rewriter.h"
#include "verdict.h"

/* The size cap and header limits from the control files; fatal (the
 * caller exits 111) when one is unreadable. */
int
rewriter_init(struct rewriter *w)
{
	unsigned long db;

	if (ctl_databytes(&db, &w->maxbytes) == -1) {
		log_fatal(errno, "unable to read %s/databytes", ctl_dir());
		return -1;
	}
	if (ctl_hdr_limits(&w->hlim) == -1) {
		log_fatal(errno, "unable to read %s/headerfields or headerbytes",
		    ctl_dir());
		return -1;
	}
	return 0;
}

/* One message from file (stdin when NULL) to stdout; the exit status. */
int
rewriter_one(const struct rewriter *w, const char *file, const char *q)
{
	struct msg m;
	struct hdr h;
	struct buf out = BUF_INIT;
	char cf[256], sum[512] = "";
	int rc = EXIT_TEMP, r;

	memset(&h, 0, sizeof h);
	r = file ? msg_read_file(file, w->maxbytes, &m) :
	    msg_read_fd(0, w->maxbytes, &m);
	if (r == -1 && errno == EFBIG) {
		if (io_write_all(1, m.raw.p, m.raw.len) == -1 ||
		    (!file && emit_copy_rest(0, 1) == -1))
			log_fatal(errno, "unable to write the message");
		else {
			log_info("qid=%s verdict=pass %s", q, w->toobig);
			rc = EXIT_PASS;
		}
	} else if (r == -1) {
		if (file)
			log_clean(cf, sizeof cf, file, strlen(file));
		log_fatal(errno, "unable to read %s", file ? cf : "message");
	} else if (hdr_parse(&h, m.raw.p ? m.raw.p : "", m.hdr_off, m.hdr_len,
	    &w->hlim) == -1 ||
	    w->rewrite(w->arg, &m, &h, &out, sum, sizeof sum) == -1) {
		log_fatal(errno, "unable to rewrite the message");
	} else if (out.len ? io_write_all(1, out.p, out.len) == -1 :
	    io_write_all(1, m.raw.p ? m.raw.p : "", m.raw.len) == -1) {
		log_fatal(errno, "unable to write the message");
	} else {
		log_info("qid=%s verdict=pass %s", q, sum);
		rc = EXIT_PASS;
	}
	buf_free(&out);
	hdr_free(&h);
	msg_free(&m);
	return rc;
}

/* The queue id for the log lines: QUEUEID, made printable, or "-". */
void
rewriter_qid(char *q, size_t n)
{
	const char *qid = getenv("QUEUEID");

	if (qid)
		log_clean(q, n, qid, strlen(qid));
	else
		snprintf(q, n, "-");
}
