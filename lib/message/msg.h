/* msg: one message read whole into memory under a size cap, with the
 * places of its parts.  LF and CRLF line ends are both accepted and kept,
 * a leading mbox "From " line (procmail hands messages over with one) is
 * kept and skipped for parsing, and NUL bytes survive.  Nothing here
 * changes a byte of the input. */
#ifndef PORTCULLIS_MSG_H
#define PORTCULLIS_MSG_H
#include <stddef.h>
#include "buf.h"


struct msg {
	struct buf raw;      /* every byte read, unchanged */
	size_t from_len;     /* leading mbox "From " line, with its line end */
	size_t hdr_off;      /* start of the header section (= from_len) */
	size_t hdr_len;      /* header section, without the blank line */
	size_t body_off;     /* first byte of the body; raw.len when none */
	int    has_sep;      /* a blank line ended the header section */
	int    crlf;         /* the first line ends in CRLF */
	int    truncated;    /* the cap was reached: raw holds only a prefix,
	                      * its first max + 1 bytes */
};

int  msg_read_fd(int fd, size_t max, struct msg *);
int  msg_read_file(const char *path, size_t max, struct msg *);
int  msg_from_mem(const void *, size_t, struct msg *);
void msg_split(struct msg *);
const char *msg_eol(const struct msg *);
void msg_free(struct msg *);

#endif
