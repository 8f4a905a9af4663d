/* fuzz_score_rules: a rule file from the fuzzer, line by line through
 * score_set_line (as ctl_read_path hands lines over: cut at a NUL), then
 * score_set_finish, and when the set is complete, one small message scored
 * by it, so that meta expressions, the literal extraction and the
 * prefilter run on what the parser accepted.  Properties beyond "no
 * crash, no leak, no UB": a rule set that finished has an evaluation
 * order naming every rule once, and a regex rule's literals are in the
 * automaton. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "msg.h"
#include "score.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char message[] =
	"From: Sales <sales12345@offers.example>\n"
	"Subject: =?utf-8?q?FREE_money?=\n"
	"Content-Type: multipart/alternative; boundary=b\n"
	"\n"
	"--b\n"
	"Content-Type: text/plain\n"
	"\n"
	"Make money fast, click here: http://192.0.2.7/x\n"
	"--b\n"
	"Content-Type: text/html\n"
	"\n"
	"<p>Make <b>money</b> <a href=\"http://evil.example/\">http://bank.example</a></p>\n"
	"--b--\n";

static void
check(struct score_set *s)
{
	struct msg m;
	struct hdr h;
	struct score_msg sm;
	struct score_result res;
	struct buf t = BUF_INIT;
	unsigned char *seen;
	size_t i, k;

	if ((seen = calloc(s->n + 1, 1)) == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		if (s->order[i] >= s->n || seen[s->order[i]])
			abort();
		seen[s->order[i]] = 1;
		for (k = 0; k < s->r[i].nlit; k++)
			if (s->r[i].lit[k] < 0 || (size_t)s->r[i].lit[k] >= s->ac.nlit)
				abort();
	}
	free(seen);
	memset(&h, 0, sizeof h);
	if (msg_from_mem(message, sizeof message - 1, &m) == -1)
		return;
	if (hdr_parse(&h, m.raw.p, m.hdr_off, m.hdr_len, NULL) == 0 &&
	    score_msg_build(&sm, &m, &h, NULL) == 0) {
		if (score_eval(s, &sm, 0.97, &res) == 0) {
			(void)score_tests(s, &res, &t);
			score_result_free(&res);
		}
		score_msg_free(&sm);
	}
	buf_free(&t);
	hdr_free(&h);
	msg_free(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct score_set s;
	char err[512], *line;
	size_t i, start = 0;
	unsigned lineno = 0;

	score_set_init(&s);
	if (size % 2)
		memcpy(s.orgname, "Our.Co", 7);
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		lineno++;
		if ((line = strndup((const char *)data + start, i - start)) == NULL)
			break;
		(void)score_set_line(&s, line, lineno, err, sizeof err);
		free(line);
		start = i + 1;
	}
	if (score_set_finish(&s, err, sizeof err) == 0)
		check(&s);
	score_set_free(&s);
	return 0;
}
