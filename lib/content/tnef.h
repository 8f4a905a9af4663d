/* tnef: the attachments inside a TNEF stream (winmail.dat, MS-OXTNEF),
 * which Outlook sends and other clients unpack: each attachment's title
 * and bytes, pointing into the stream, nothing copied.  Debian's libytnef
 * was left aside: its history of memory-safety bugs on hostile input is
 * long, and the few attributes needed here fit in a bounded loop.  Input
 * is a stranger's; every length is checked against what is left.  Library
 * code: never prints, never exits. */
#ifndef PORTCULLIS_TNEF_H
#define PORTCULLIS_TNEF_H
#include <stddef.h>

#define TNEF_NAME_MAX 256

/* 0 go on, 1 stop, -1 error. */
typedef int (*tnef_fn)(void *arg, const char *name, const char *data,
	size_t len);

int tnef_is(const char *, size_t);
int tnef_walk(const char *, size_t, size_t maxparts, tnef_fn, void *arg,
	int *corrupt);

#endif
