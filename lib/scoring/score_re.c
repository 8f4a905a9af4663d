/* score_re: rule patterns with JIT on demand (see score_re.h).  Patterns
 * come from rule files; subjects from strangers, so every match runs
 * under RE_MATCH_LIMIT.  Runs under any uid. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>

#include "re.h"
#include "re_pcre2.h"
#include "score_re.h"

/* A pattern run on this many messages in one process is worth its JIT;
 * runs within one message (a header rule over each field, a uri rule over
 * each link) count once, so that a process started for one message never
 * pays for JIT. */
#define JIT_AFTER 2

struct score_re {
	pcre2_code          *code;
	unsigned             runs;  /* messages it ran on */
	unsigned long        epoch; /* the message it last ran on */
	int                  jit;   /* 1 compiled, -1 refused, 0 not yet */
};

/* One match data and one match context for every pattern: a rule only
 * asks whether it matches (one ovector pair is enough: a match returns
 * 0 then), and the interpreter's frame heap, kept in the match data, is
 * allocated once rather than once per rule; the process runs one match
 * at a time.  Counted, so that the last pattern freed frees them. */
static pcre2_match_data    *md;
static pcre2_match_context *mctx;
static size_t               users;

static void
shared_release(void)
{
	if (users > 0 && --users == 0) {
		pcre2_match_data_free(md);
		pcre2_match_context_free(mctx);
		md = NULL;
		mctx = NULL;
	}
}

static int
shared_get(void)
{
	if (users == 0) {
		md = pcre2_match_data_create(1, NULL);
		mctx = pcre2_match_context_create(NULL);
		if (md == NULL || mctx == NULL) {
			pcre2_match_data_free(md);
			pcre2_match_context_free(mctx);
			md = NULL;
			mctx = NULL;
			return -1;
		}
		pcre2_set_match_limit(mctx, RE_MATCH_LIMIT);
	}
	users++;
	return 0;
}

void
score_re_free(struct score_re *r)
{
	if (r == NULL)
		return;
	if (r->code != NULL)
		shared_release();
	pcre2_code_free(r->code);
	free(r);
}

/* Compile pattern with RE_* flags; NULL with errno EINVAL (err: PCRE2's
 * reason and offset) or ENOMEM. */
struct score_re *
score_re_compile(const char *pattern, unsigned flags, char *err, size_t es)
{
	struct score_re *r;

	if (err && es)
		err[0] = '\0';
	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	if ((r->code = re_pcre2_compile(pattern, flags, err, es)) == NULL) {
		free(r);
		errno = EINVAL;
		return NULL;
	}
	if (shared_get() == -1) {
		pcre2_code_free(r->code);
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

/* Match s[0..n), a text of message number epoch (a new number for each
 * message scored): 1, 0, or -1 with errno ERANGE when a limit stopped it
 * (the caller counts that as no hit), EINVAL for anything else. */
int
score_re_match(struct score_re *r, const char *s, size_t n,
    unsigned long epoch)
{
	int rc;

	if (epoch != r->epoch) {
		r->epoch = epoch;
		r->runs++;
	}

	/* JIT is an optimisation: a library without it, or a CPU or a
	 * sandbox that refuses executable memory, keeps the interpreter */
	if (r->jit == 0 && r->runs >= JIT_AFTER)
		r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0 ? 1 : -1;
	/* 0 from PCRE2: a match, its groups left out of the ovector */
	rc = pcre2_match(r->code, (PCRE2_SPTR)(s ? s : ""), n, 0, 0, md, mctx);
	return re_pcre2_result(rc);
}

/* Has this pattern been JIT-compiled (it runs on demand)? */
int
score_re_jitted(const struct score_re *r)
{
	return r->jit == 1;
}
