/* rescan: the state of maildir-rescan(8) (see rescan.c). */
#ifndef PORTCULLIS_RESCAN_H
#define PORTCULLIS_RESCAN_H
#include <stddef.h>
#include "ctl.h"

#define RESCAN_FP_MAX 129   /* a SHA-256 in hex, and more */

struct rescan_names {        /* unique names, sorted for bsearch */
	char  **v;
	size_t  n, cap;
};

int  rescan_names_add(struct rescan_names *, const char *name, size_t len);
void rescan_names_free(struct rescan_names *);
int  rescan_cmp(const void *, const void *);
int  rescan_fingerprint(const struct ctl_list *chain, const char *const *extra,
	size_t nextra, char *out, size_t n);
int  rescan_state_read(const char *path, const char *fp, struct rescan_names *);
int  rescan_state_write(const char *path, const char *fp,
	const struct rescan_names *);

#endif
