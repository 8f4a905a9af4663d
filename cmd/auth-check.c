/* auth-check: sender authentication of inbound mail, SPF, DKIM and DMARC
 * (auth-check(8)): one Authentication-Results field with every result,
 * and the verdict the sender domain's DMARC policy asks for, softened by
 * control/dmarcpolicy.  The message and every DNS answer are strangers'
 * bytes.  Runs under the caller's uid, with the network (control/stagenet). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "checker.h"
#include "log.h"

static struct auth_conf conf;

static int
init(struct checker_ctx *ctx)
{
	char err[512];

	if (auth_load(&conf, ctx->me, err, sizeof err) == -1) {
		log_fatal(errno == EINVAL ? 0 : errno, "%s", err);
		return -1;
	}
	if (conf.dns == NULL)
		log_warn(0, "no resolver (%s): every result is temperror",
		    conf.dns_err);
	ctx->tool = &conf;
	return 0;
}

static int
judge(struct checker_ctx *ctx, const struct msg *m, const struct hdr *h,
    const struct envelope *e, struct verdict_result *r, struct buf *hdrs)
{
	return auth_judge(ctx->tool, m, h, e, r, hdrs);
}

/* Ours to replace: an Authentication-Results claiming our authserv-id. */
static int
own_header(struct checker_ctx *ctx, const struct hdr *h, size_t i)
{
	return auth_header_ours(h, i, ctx->me);
}

int
main(int argc, char **argv)
{
	static const struct checker c = {
		"auth-check", init, judge, own_header, NULL
	};
	int rc;

	rc = checker_main(&c, argc, argv);
	auth_free(&conf);
	return rc;
}
