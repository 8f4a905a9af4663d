/* ftype_policy: the attachment policy of attachments(5), per direction:
 *
 *     DIRECTION  MATCH            ACTION
 *     both       category:macro   reject
 *     in         type:image/png   pass
 *     out        ext:mp3          quarantine
 *
 * For each part or member, the first rule (in file order) whose match
 * fits one of its facts (its categories, its true type, its extension)
 * decides; none: pass.  The rules are the administrator's; the facts
 * come from a stranger's bytes through ftype.h. */
#ifndef PORTCULLIS_FTYPE_POLICY_H
#define PORTCULLIS_FTYPE_POLICY_H
#include <stddef.h>
#include "ctl.h"
#include "ftype.h"
#include "verdict.h"

#define FTYPE_POLICY_RULES "attachments"
#define FTYPE_POLICY_IN    0x1
#define FTYPE_POLICY_OUT   0x2

enum ftype_match { FTYPE_M_CATEGORY, FTYPE_M_TYPE, FTYPE_M_EXT };

struct ftype_rule {
	unsigned         dir;      /* FTYPE_POLICY_IN, _OUT or both */
	enum ftype_match kind;
	unsigned         cat;      /* FTYPE_M_CATEGORY: the bit, ~0U for '*' */
	char             glob[128]; /* FTYPE_M_TYPE, FTYPE_M_EXT: lower case */
	enum verdict     action;
	unsigned         lineno;
};

struct ftype_policy {
	struct ftype_rule *r;
	size_t             n;
	char               path[4096];
};

int  ftype_policy_load(struct ftype_policy *, char *err, size_t errsize);
int  ftype_policy_parse(struct ftype_policy *, const struct ctl_list *,
	char *err, size_t errsize);
const struct ftype_rule *ftype_policy_match(const struct ftype_policy *,
	unsigned dir, const struct ftype_result *, unsigned *why);
void ftype_policy_free(struct ftype_policy *);

#endif
