/* maildir: delivery of one message into a maildir as qmail-local does
 * (maildir(5)): write tmp/NAME, fsync, rename into new/NAME, fsync new/.
 * Lines the caller puts on top (Return-Path, Delivered-To) come first.
 * Missing folders (the maildir and its tmp, new, cur) are created 0700. */
#ifndef PORTCULLIS_MAILDIR_H
#define PORTCULLIS_MAILDIR_H
#include <stddef.h>

int maildir_deliver(const char *dir, const char *top, size_t toplen,
	const char *msg, size_t n, char *name, size_t namesize);

#endif
