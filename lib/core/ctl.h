/* ctl: control files in qmail's manner and the rule files in share/rules.
 * The control directory is $PORTCULLIS_CONTROL, or -C DIR, or
 * /etc/portcullis.  One setting per file, one value per line, '#' starts a
 * comment.  A missing file means the documented default; a file that exists
 * but cannot be read is an error the caller turns into exit 111, so that a
 * broken install makes mail wait instead of passing it unchecked. */
#ifndef PORTCULLIS_CTL_H
#define PORTCULLIS_CTL_H
#include <stddef.h>

struct hdr_limits;
struct ip_net;

#define CTL_DEFAULT_DIR "/etc/portcullis"
#define CTL_MAX_BYTES   (4 * 1024 * 1024)   /* any one control or rule file */
#define CTL_DATABYTES   52428800UL          /* control/databytes default: 50 MiB */
#define CTL_FILTER_SLACK 1048576UL          /* headers later stages may add */

struct ctl_list {
	char    **v;       /* the values, comments and blank lines removed */
	unsigned *lineno;  /* line number of each value, for error messages */
	size_t    n;
	char      path[4096];  /* where it was read from ("" if missing) */
};

void        ctl_set_dir(const char *);
const char *ctl_dir(void);
int         ctl_read_path(const char *path, struct ctl_list *);
int         ctl_lines(const char *name, struct ctl_list *);
int         ctl_string(const char *name, const char *def, char *out, size_t);
int         ctl_ulong(const char *name, unsigned long def, unsigned long min,
	unsigned long max, unsigned long *out);
int         ctl_bytes(const char *name, unsigned long def, unsigned long min,
	unsigned long max, unsigned long *out);
int         ctl_rules(const char *name, struct ctl_list *);
int         ctl_nets(const char *name, struct ip_net **, size_t *n);
int         ctl_rules_dir(char *path, size_t n);
void        ctl_free(struct ctl_list *);
int         ctl_me(char *out, size_t);
int         ctl_databytes(unsigned long *db, size_t *filter_max);
int         ctl_hdr_limits(struct hdr_limits *);
void        ctl_watch(const char *path);
int         ctl_changed(void);
void        ctl_watch_reset(void);

#endif
