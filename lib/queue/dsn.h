/* dsn: delivery status notifications (RFC 3464, RFC 3462's
 * multipart/report): the bounce the supervisor sends to the envelope
 * sender for recipients that failed for good, with a human part, the
 * machine-readable status of each recipient, and the original headers
 * (never the body: a bounce must not carry the content that was refused
 * back out, nor become a spam relay). */
#ifndef PORTCULLIS_DSN_H
#define PORTCULLIS_DSN_H
#include <stddef.h>
#include <time.h>
#include "buf.h"

struct dsn_rcpt {
	const char *addr;
	const char *status;   /* RFC 3463, "5.1.1" */
	const char *diag;     /* the remote reply, "550 5.1.1 no such user" */
	const char *mta;      /* remote host; NULL when unknown */
};

struct dsn {
	const char *me;        /* Reporting-MTA */
	const char *to;        /* the envelope sender we write to */
	const char *qid;
	const char *reason;    /* one human sentence for the first part */
	time_t      arrival;
	const char *hdr;       /* the original header section */
	size_t      hdrlen;
	const struct dsn_rcpt *r;
	size_t      n;
	int         hdr_cut;   /* hdr is only the first DSN_HDR_MAX bytes */
};

/* The most of the original header section a bounce carries (RFC 6522's
 * text/rfc822-headers): a bounce never depends on the message's size. */
#define DSN_HDR_MAX 65536

int dsn_status_of(const char *reply, char *status, size_t n);
int dsn_stage_reason(const char *log, size_t n, const char *verdict,
	char *out, size_t outn);
size_t dsn_header_len(const char *p, size_t n, int more, int *cut);
int dsn_format(const struct dsn *, time_t now, struct buf *out);

#endif
