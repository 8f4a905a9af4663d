/* qlist: a queued message as portcullis-queue(8) lists it, one line for
 * people or one JSON object for scripts.  Every value from the envelope
 * and the message came from strangers: printable ASCII only in the line
 * for people, valid JSON in the other.  Library code: never prints. */
#ifndef PORTCULLIS_QLIST_H
#define PORTCULLIS_QLIST_H
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "qadmin.h"

const char *qlist_span(time_t, char *, size_t);
int         qlist_tried(const char *stage);
int         qlist_line(const struct qadmin_msg *, time_t now, int json,
	struct buf *);

#endif
