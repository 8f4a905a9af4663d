/* qenv: read back an envelope file of the queue (portcullis-queue(5)),
 * the inverse of queue_env_format, and find a queued message's files.
 * The file was written by our own smtpd-accept or supervisor, but its
 * values came from strangers: they are kept as strings, never parsed
 * further here. */
#ifndef PORTCULLIS_QENV_H
#define PORTCULLIS_QENV_H
#include <stddef.h>
#include "env.h"

int qenv_parse(const char *, size_t, struct envelope *, unsigned *flags);
int qenv_read(const char *path, struct envelope *, unsigned *flags);

#endif
