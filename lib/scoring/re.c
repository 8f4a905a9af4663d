/* re: PCRE2 patterns from rule files matched against message bytes (see
 * re.h).  Patterns come from the administrator; subjects are untrusted,
 * so every match is bounded by RE_MATCH_LIMIT.  Runs under any uid. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "re.h"
#include "re_pcre2.h"

struct re {
	pcre2_code          *code;
	pcre2_match_data    *md;
	pcre2_match_context *mctx;
	int                  jit;
};

void
re_free(struct re *r)
{
	if (r == NULL)
		return;
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mctx);
	pcre2_code_free(r->code);
	free(r);
}

pcre2_code *
re_pcre2_compile(const char *pattern, unsigned flags, char *err,
    size_t errsize)
{
	uint32_t opt = 0;
	PCRE2_SIZE eoff;
	pcre2_code *code;
	int ecode;

	if (err && errsize)
		err[0] = '\0';
	if (flags & RE_ICASE)
		opt |= PCRE2_CASELESS;
	if (flags & RE_MULTILINE)
		opt |= PCRE2_MULTILINE;
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opt,
	    &ecode, &eoff, NULL);
	if (code == NULL) {
		if (err && errsize) {
			PCRE2_UCHAR msg[256];
			if (pcre2_get_error_message(ecode, msg, sizeof msg) < 0)
				snprintf((char *)msg, sizeof msg, "error %d", ecode);
			snprintf(err, errsize, "%s at offset %zu", (char *)msg,
			    (size_t)eoff);
		}
		errno = EINVAL;
	}
	return code;
}

int
re_pcre2_result(int rc)
{
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {	/* 0: a match whose groups did not fit the ovector */
		errno = rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
		    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ?
		    ERANGE : EINVAL;
		return -1;
	}
	return 1;
}

/* Compile pattern with RE_* flags.  Returns the pattern, or NULL with
 * errno: EINVAL when it does not compile (err then holds PCRE2's reason
 * and the offset), ENOMEM. */
struct re *
re_compile(const char *pattern, unsigned flags, char *err, size_t errsize)
{
	struct re *r;

	if (err && errsize)
		err[0] = '\0';
	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	if ((r->code = re_pcre2_compile(pattern, flags, err, errsize)) == NULL) {
		re_free(r);
		errno = EINVAL;
		return NULL;
	}
	/* JIT is an optimisation: a library built without it, or a CPU or
	 * sandbox that refuses executable memory, leaves the interpreter. */
	r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0;
	r->md = pcre2_match_data_create_from_pattern(r->code, NULL);
	r->mctx = pcre2_match_context_create(NULL);
	if (r->md == NULL || r->mctx == NULL) {
		re_free(r);
		errno = ENOMEM;
		return NULL;
	}
	pcre2_set_match_limit(r->mctx, RE_MATCH_LIMIT);
	return r;
}

/* Match s[0..n) from offset from.  1 and the match's bounds in *so, *eo
 * (either may be NULL), 0 for no match, -1 with errno ERANGE when a limit
 * stopped it (treat as "could not decide"), EINVAL for anything else. */
int
re_match(struct re *r, const char *s, size_t n, size_t from, size_t *so,
    size_t *eo)
{
	PCRE2_SIZE *ov;
	int rc;

	if (from > n) {
		errno = EINVAL;
		return -1;
	}
	rc = pcre2_match(r->code, (PCRE2_SPTR)(s ? s : ""), n, from, 0, r->md,
	    r->mctx);
	if ((rc = re_pcre2_result(rc)) != 1)
		return rc;
	ov = pcre2_get_ovector_pointer(r->md);
	if (so)
		*so = ov[0];
	if (eo)
		*eo = ov[1];
	return 1;
}

/* Did JIT compilation succeed (for tests and --lint output)? */
int
re_jitted(const struct re *r)
{
	return r->jit;
}
