/* avscan: the clients of the anti-virus engines virus-scan(8) asks:
 * ClamAV's clamd by its INSTREAM command (a unix socket or HOST:PORT, in
 * control/clamd) and any engine behind ICAP, RFC 3507 (RESPMOD or REQMOD,
 * icap://host:port/service lines in control/icap).  Every socket
 * operation runs against one deadline per scan, so that a stalled engine
 * costs control/virustimeout and no more.  The replies are a stranger's
 * bytes (an engine may be another vendor's box): parsed within fixed
 * caps, names cleaned to printable ASCII.  Never prints, never exits. */
#ifndef PORTCULLIS_AVSCAN_H
#define PORTCULLIS_AVSCAN_H
#include <stddef.h>
#include "buf.h"

#define AVSCAN_MAX_ENGINES   16
#define AVSCAN_CLAMD_DEFAULT "/run/clamav/clamd.ctl"  /* Debian's LocalSocket */
#define AVSCAN_TIMEOUT_S     60         /* control/virustimeout default */
#define AVSCAN_LEAFBYTES     (10UL * 1024 * 1024) /* control/virusleafbytes */
#define AVSCAN_REPLY_MAX     65536      /* bytes of a reply we read at most */
#define AVSCAN_NAME_MAX      127        /* a signature name, cleaned */

enum avscan_kind { AVSCAN_CLAMD_UNIX, AVSCAN_CLAMD_TCP, AVSCAN_ICAP };

struct avscan_engine {
	enum avscan_kind kind;
	char     path[108];      /* unix socket */
	char     host[256];      /* TCP: host name or address */
	char     port[8];
	char     service[256];   /* ICAP: the service path, without '/' */
	int      reqmod;         /* ICAP: REQMOD instead of RESPMOD */
	char     label[64];      /* "clamd", "icap/avscan": names the engine */
	char     where[300];     /* its address, for logs */
};

struct avscan_conf {
	struct avscan_engine e[AVSCAN_MAX_ENGINES];
	size_t   n;
	int      defaulted;      /* no control/clamd: clamd's default socket */
	unsigned timeout_ms;
	size_t   leafbytes;
};

enum avscan_status { AVSCAN_CLEAN, AVSCAN_FOUND, AVSCAN_UNSCANNED };

struct avscan_result {
	enum avscan_status st;
	char name[AVSCAN_NAME_MAX + 1];  /* FOUND: the signature */
	char why[200];                   /* UNSCANNED: what went wrong */
};

int avscan_engine_parse(const char *line, struct avscan_engine *, int icap,
	char *err, size_t);
int avscan_load(struct avscan_conf *, char *err, size_t);
int avscan_scan(const struct avscan_engine *, const char *data, size_t len,
	unsigned timeout_ms, int cancel, struct avscan_result *);

/* The reply parsers (fuzzed): clamd's one reply; an ICAP response's
 * head.  icap returns 1 when the reply is complete enough to judge, 0
 * when more bytes are needed (eof 0), and fills r. */
void avscan_clamd_reply(const char *, size_t, struct avscan_result *);
int  avscan_icap_reply(const char *, size_t, int eof, struct avscan_result *);

#endif
