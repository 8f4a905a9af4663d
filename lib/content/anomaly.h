/* anomaly: the policy for structural MIME anomalies (mime-explode(8),
 * control/mimeanomalies in portcullis-control(5)).  Each anomaly the
 * walker can find (a mime.h flag) has a name and an action: pass, flag,
 * quarantine or reject.  The defaults hold what makes readers disagree
 * about the attachments (a multipart without a usable boundary, junk in
 * base64, a part hidden in a text body, an item only another reading
 * finds) and only flag what readers agree on (a missing close
 * delimiter).  The control file is the administrator's; the flags come
 * from a stranger's message.  Library code: never prints, never exits. */
#ifndef PORTCULLIS_ANOMALY_H
#define PORTCULLIS_ANOMALY_H
#include <stddef.h>
#include "verdict.h"

#define ANOMALY_CTL "mimeanomalies"
#define ANOMALY_MAX 32

struct anomaly_policy {
	enum verdict act[ANOMALY_MAX];   /* by flag bit */
};

void anomaly_default(struct anomaly_policy *);
int  anomaly_load(struct anomaly_policy *, char *err, size_t errsize);
enum verdict anomaly_judge(const struct anomaly_policy *, unsigned flags,
	char *name, size_t namesize);

#endif
