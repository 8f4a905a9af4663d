/* env: the envelope of the message being judged.  From the environment as
 * qmail and tcpserver set it (SENDER, RECIPIENT one per line, TCPREMOTEIP,
 * TCPREMOTEHOST) plus ours (HELO, DIRECTION, TLS, QUEUEID), overridden by
 * a tool's flags; with neither, from the message's own trace headers
 * (Return-Path, and the topmost Received header written "by" our own name,
 * control/me), so that a cron rescan of a delivered maildir still works. */
#ifndef PORTCULLIS_ENV_H
#define PORTCULLIS_ENV_H
#include <stddef.h>
#include "hdr.h"

enum env_dir { ENV_DIR_UNKNOWN = 0, ENV_DIR_IN, ENV_DIR_OUT };

struct envelope {
	char        *sender;     /* NULL: unknown; "": the null sender <> */
	char       **rcpt;
	size_t       nrcpt;
	char        *ip, *host, *helo, *tls, *qid;
	enum env_dir dir;
	int          dir_given;  /* from DIRECTION or --direction */
};

int  env_from_environ(struct envelope *);
int  env_export(const struct envelope *);
int  env_set(char **field, const char *value);
int  env_add_rcpt(struct envelope *, const char *, size_t);
int  env_dir_parse(const char *, enum env_dir *);
const char *env_dir_name(enum env_dir);
int  env_from_trace(struct envelope *, const struct hdr *, const char *me);
int  env_guess_dir(struct envelope *);
void env_free(struct envelope *);

#endif
