/* smtp_data: the DATA state machine (RFC 5321 4.1.1.4, 4.5.2).  Bytes
 * from the wire go in, in chunks of any size; out come the message's bytes
 * with dot-stuffing undone and LF line ends (the queue's form, as qmail
 * and maildir keep mail), the header section held apart until it ends,
 * and flags for every limit crossed.  End of data is only <CRLF>.<CRLF>:
 * a bare LF or bare CR anywhere stops the machine (SMTP smuggling,
 * CVE-2023-51764/51765/51766), so that text a next hop could read as the
 * end of the message is never passed on. */
#ifndef PORTCULLIS_SMTP_DATA_H
#define PORTCULLIS_SMTP_DATA_H
#include <stddef.h>
#include "buf.h"

/* Error flags, all but BARE reported after the end of data. */
#define SMTP_DATA_TOOBIG   0x01  /* over maxbytes: 552 5.3.4 */
#define SMTP_DATA_HDRBIG   0x02  /* header section over maxhdr: 552 5.3.4 */
#define SMTP_DATA_LONGLINE 0x04  /* a line over maxline: 554 5.6.0 */
#define SMTP_DATA_NUL      0x08  /* a NUL byte: 554 5.6.0 */
#define SMTP_DATA_BARELF   0x10  /* LF without CR: 554 5.6.0, disconnect */
#define SMTP_DATA_BARECR   0x20  /* CR without LF: 554 5.6.0, disconnect */

/* Results of smtp_data_feed. */
#define SMTP_DATA_MORE  0
#define SMTP_DATA_END   1
#define SMTP_DATA_BAD  -1

struct smtp_data_limits {
	size_t maxbytes;  /* message size, counted with CRLF line ends */
	size_t maxline;   /* a text line with its CRLF (RFC 5321 4.5.3.1.6) */
	size_t maxhdr;    /* header section */
};

struct smtp_data {
	struct smtp_data_limits lim;
	int      st;
	unsigned err;
	size_t   line;       /* wire bytes of the current line */
	size_t   linechars;  /* message bytes of the current line */
	size_t   size;       /* message bytes so far, CRLF counted as 2 */
	int      inhdr;      /* still in the header section */
	int      hdr_done;   /* the header section is complete in hdr */
	int      hdr_sep;    /* it ended with an empty line */
	struct buf hdr;      /* the header section, LF line ends */
	struct buf out;      /* body bytes the caller has not taken yet */
};

void smtp_data_begin(struct smtp_data *, const struct smtp_data_limits *);
int  smtp_data_feed(struct smtp_data *, const char *, size_t, size_t *used);
void smtp_data_free(struct smtp_data *);
int  smtp_data_filter(const char *hdr, size_t n, const char *me,
	struct buf *out, size_t *hops);

#endif
