/* Unit tests for lib/score*.c: the required-literal extraction and the
 * Aho-Corasick prefilter, HTML rendering, character references, link
 * hosts, text normalisation, rule lines (good and bad), meta expressions,
 * and whole messages scored by a small rule set. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "msg.h"
#include "score.h"
#include "score_html.h"
#include "tap.h"

static const struct {
	const char *pat, *want;   /* the literal set, comma separated */
	int ext;
} lits[] = {
	{ "hello world", "hello world", 0 },
	{ "\\bfree money\\b", "free money", 0 },
	{ "colou?r scheme", "r scheme", 0 },
	{ "foo|barbaz", "foo,barbaz", 0 },
	{ "fo|barbaz", "", 0 },
	{ "(?:foo|bar)bazquux", "bazquux", 0 },
	{ "\\b(?:make|earn) money\\b", " money", 0 },
	{ "\\b(?:viagra|cialis|levitra)\\b", "viagra,cialis,levitra", 0 },
	{ "x(?:ab|(?:cde|fgh)ij)y", "", 0 },
	{ "x(?:abc|(?:cde|fgh)ij)y", "abc,cde,fgh", 0 },
	{ "(?:abc)?defg", "defg", 0 },
	{ "(?=abcd)xy", "", 0 },
	{ "(?i:Remove)", "remove", 0 },
	{ "(?<n>word)", "word", 0 },
	{ "(?:abc|.)", "", 0 },
	{ "ab+cdef", "cdef", 0 },
	{ "x{2}yz", "", 0 },
	{ "abc[0-9]+defg", "defg", 0 },
	{ "\\$\\d+ per week", " per week", 0 },
	{ "\\x41\\x42\\x43D", "abcd", 0 },
	{ "literal words", "", 1 },
	{ "(?x) a b c d e", "", 0 },
	{ "[[:alpha:]]word", "word", 0 },
	{ "REMOVE", "remove", 0 },
	{ "a.b.c", "", 0 },
	{ "\\Qa+b\\E", "", 0 },
	{ "(unclosed", "", 0 },
	{ "trailing\\", "trailing", 0 },
	{ "[]abc]xyzw", "xyzw", 0 },
	{ "click here(?!x)", "click here", 0 },
};

static const struct {
	const char *html, *text, *uris;
	unsigned flags;
} html[] = {
	{ "<p>Hello <b>wor</b>ld</p>", "\nHello world\n", "", 0 },
	{ "a&amp;b &lt;c&gt; &#65;&#x42; &nbsp;x", "a&b <c> AB \xc2\xa0x", "", 0 },
	{ "<script>evil()</script>ok<style>p{}</style>", "ok", "", SCORE_HTML_SCRIPT },
	{ "x<!-- hidden -->y", "xy", "", 0 },
	{ "<a href=\"http://a.example/p?x=1&amp;y=2\">go</a>", "go",
	  "http://a.example/p?x=1&y=2\n", 0 },
	{ "<a href='http://evil.example/'>http://bank.example/</a>",
	  "http://bank.example/", "http://evil.example/\n", SCORE_HTML_MISMATCH },
	{ "<a href=\"http://www.bank.example/\">www.bank.example</a>",
	  "www.bank.example", "http://www.bank.example/\n", 0 },
	{ "<img src=http://i.example/x.gif>", "", "http://i.example/x.gif\n",
	  SCORE_HTML_IMG },
	{ "<form action=\"http://f.example/\"><input></form>", "\n\n",
	  "http://f.example/\n", SCORE_HTML_FORM },
	{ "<div style=\"display:none\">x</div>", "\nx\n", "", SCORE_HTML_HIDDEN },
	{ "<a href=\"\n http://sp\nlit.example/\">x", "x",
	  "http://split.example/\n", 0 },
	{ "1 < 2 and 3 > 2", "1 < 2 and 3 > 2", "", 0 },
	{ "<a href=\"x", "", "x\n", 0 },
	{ "<", "<", "", 0 },
	{ "&#0;&#xd800;", "\xef\xbf\xbd\xef\xbf\xbd", "", 0 },
	{ "<td>a</td><td>b</td>", " a  b ", "", 0 },
};

static const struct {
	const char *uri, *host;
} hosts[] = {
	{ "http://Example.COM/path", "example.com" },
	{ "https://user:pw@evil.example:8080/x", "evil.example" },
	{ "www.x.example", "www.x.example" },
	{ "mailto:a@b.example", NULL },
	{ "http://bank.example@198.51.100.1/", "198.51.100.1" },
	{ "http:///", NULL },
	{ "ftp://files.example./", "files.example" },
};

static const struct {
	const char *in, *want;
} norm[] = {
	{ "a  b\t\tc", "a b c" },
	{ "para one\n\npara two", "para one\npara two" },
	{ "  lead and trail  ", "lead and trail " },
	{ "V\xe2\x80\x8bi\xc2\xad" "agra", "Viagra" },
	{ "no\xc2\xa0" "break", "no break" },
	{ "nul\0byte", "nul byte" },
};

static const struct {
	const char *line, *err;   /* err NULL: accepted */
} lines[] = {
	{ "body A /x/ 1", NULL },
	{ "body A2 /x/i 1.5", NULL },
	{ "header B Subject /a b/ -2", NULL },
	{ "uri C /^http:\\/\\// 0", NULL },
	{ "test D html_only 1", NULL },
	{ "test E upper_ratio(70) 1", NULL },
	{ "bayes F 0.9 1 2", NULL },
	{ "meta G A && !Q 1", NULL },
	{ "body EMPTY // 0", NULL },
	{ "describe A a description", NULL },
	{ "score A 3", NULL },
	{ "body A /x/ 1", "A: defined twice" },
	{ "body H /x/ one", "H: the last word must be the score, not 'one'" },
	{ "body H x 1", "H: expected /regex/flags" },
	{ "body H /(x/ 1", "H: bad regex: missing closing parenthesis at offset 2" },
	{ "body H /x/z 1", "H: unknown regex flag 'z'" },
	{ "body 9H /x/ 1", "body rule without a valid name (letters, digits, _)" },
	{ "frob H /x/ 1", "unknown rule type 'frob'" },
	{ "test H nothing 1", "H: unknown built-in test 'nothing'" },
	{ "test H upper_ratio(x) 1", "H: test argument must be (number)" },
	{ "bayes H 1 0 1", "H: bayes needs LOW HIGH SCORE with 0 <= LOW < HIGH <= 1" },
	{ "body H /x/ 1e9", "H: the last word must be the score, not '1e9'" },
	{ "describe Z text", "describe of an unknown rule 'Z'" },
	{ "notice A ../../etc/passwd", "A: notice needs a file name under notices/" },
	{ "score Z 1", "score of an unknown rule 'Z'" },
	{ "header H /x/ 1", "H: expected /regex/flags" },
	{ "header H Sub:j /x/ 1", "H: header rule needs a field name" },
};

static const struct {
	const char *expr;
	int hit;
} metas[] = {
	{ "M_A", 1 }, { "!M_A", 0 }, { "M_A && M_B", 0 }, { "M_A || M_B", 1 },
	{ "M_A + M_B + M_C >= 2", 1 }, { "M_A + M_B + M_C > 2", 0 },
	{ "(M_A || M_B) && !(M_B)", 1 }, { "M_A * 3 == 3", 1 },
	{ "M_B / 0", 0 }, { "2 - M_A", 1 }, { "!!M_C", 1 },
};

static const char spam_msg[] =
	"From: x@spam.example\n"
	"Subject: =?utf-8?q?Cheap_PILLS?=\n"
	"Content-Type: text/html\n"
	"\n"
	"<p>Buy cheap <b>pi</b>lls at <a href=\"http://192.0.2.1/\">our shop</a></p>\n";

static int
scored(struct score_set *s, const char *m, struct score_result *res)
{
	struct msg msg;
	struct hdr h;
	struct score_msg sm;
	int rc;

	memset(&h, 0, sizeof h);
	if (msg_from_mem(m, strlen(m), &msg) == -1)
		return -1;
	if (hdr_parse(&h, msg.raw.p, msg.hdr_off, msg.hdr_len, NULL) == -1 ||
	    score_msg_build(&sm, &msg, &h, NULL) == -1) {
		msg_free(&msg);
		return -1;
	}
	rc = score_eval(s, &sm, -1, res);
	score_msg_free(&sm);
	hdr_free(&h);
	msg_free(&msg);
	return rc;
}

int
main(void)
{
	char out[128], name[256], err[512];
	size_t i;

	for (i = 0; i < sizeof lits / sizeof lits[0]; i++) {
		struct score_litset ls;
		size_t n = score_literals(lits[i].pat, lits[i].ext, &ls), k;
		out[0] = '\0';
		for (k = 0; k < n; k++)
			snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s",
			    k ? "," : "", ls.lit[k]);
		snprintf(name, sizeof name, "literals of /%s/", lits[i].pat);
		tap_is(out, lits[i].want, name);
	}

	{
		struct score_ac ac;
		unsigned char found[8] = { 0 };
		long a, b, c, d;
		score_ac_init(&ac);
		a = score_ac_add(&ac, "he", 2);
		b = score_ac_add(&ac, "she", 3);
		c = score_ac_add(&ac, "hers", 4);
		d = score_ac_add(&ac, "He", 2);
		tap_ok(a == d, "the same literal twice is one id");
		tap_ok(score_ac_build(&ac) == 0, "the automaton builds");
		score_ac_scan(&ac, "uSHErS", 6, found);
		tap_ok(found[a] && found[b] && found[c], "overlapping literals, any case");
		memset(found, 0, sizeof found);
		score_ac_scan(&ac, "hxsxe", 5, found);
		tap_ok(!found[a] && !found[b] && !found[c], "no false find");
		score_ac_free(&ac);
	}

	for (i = 0; i < sizeof html / sizeof html[0]; i++) {
		struct buf t = BUF_INIT, u = BUF_INIT;
		size_t nu = 0;
		unsigned fl = 0;
		snprintf(name, sizeof name, "html row %zu renders", i);
		tap_ok(score_html_render(html[i].html, strlen(html[i].html), &t, &u,
		    &nu, &fl) == 0, name);
		tap_is(t.p ? t.p : "", html[i].text, "  its text");
		tap_is(u.p ? u.p : "", html[i].uris, "  its links");
		tap_is_long(fl, html[i].flags, "  its flags");
		buf_free(&t);
		buf_free(&u);
	}

	for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		char h[64];
		int r = score_uri_host(hosts[i].uri, strlen(hosts[i].uri), h, sizeof h);
		snprintf(name, sizeof name, "host of %s", hosts[i].uri);
		tap_is(r == 0 ? h : NULL, hosts[i].host, name);
	}

	for (i = 0; i < sizeof norm / sizeof norm[0]; i++) {
		struct buf o = BUF_INIT;
		size_t n = strlen(norm[i].in);
		if (i == sizeof norm / sizeof norm[0] - 1)
			n = 8;
		score_text_normalise(norm[i].in, n, &o, 100);
		snprintf(name, sizeof name, "normalise %zu", i);
		tap_is(o.p ? o.p : "", norm[i].want, name);
		buf_free(&o);
	}
	{
		struct buf o = BUF_INIT;
		score_text_normalise("abcdefgh", 8, &o, 4);
		tap_is_long((long)o.len, 4, "normalise stops at max");
		buf_free(&o);
	}

	{
		struct score_set s;
		score_set_init(&s);
		s.eager = 1;   /* as --lint: a bad regex is an error of its line */
		for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
			int r = score_set_line(&s, lines[i].line, (unsigned)i + 1, err,
			    sizeof err);
			snprintf(name, sizeof name, "rule line: %s", lines[i].line);
			tap_is(r == 0 ? NULL : err, lines[i].err, name);
		}
		tap_is_long((long)s.n, 9, "nine rules defined");
		tap_ok(s.r[score_set_find(&s, "A")].score == 3, "score line changes A");
		tap_is(s.r[score_set_find(&s, "A")].describe, "a description",
		    "describe line");
		tap_ok(score_set_finish(&s, err, sizeof err) == -1, "meta on an unknown rule");
		tap_is(err, "G: meta uses an unknown rule 'Q'", "  the reason");
		score_set_free(&s);
	}

	for (i = 0; i < sizeof metas / sizeof metas[0]; i++) {
		struct score_set s;
		struct score_result res;
		char line[256];
		long k;
		score_set_init(&s);
		score_set_line(&s, "body M_A /cheap/ 0", 1, err, sizeof err);
		score_set_line(&s, "body M_B /expensive/ 0", 2, err, sizeof err);
		score_set_line(&s, "uri M_C /192\\.0\\.2\\.1/ 0", 3, err, sizeof err);
		snprintf(line, sizeof line, "meta M %s 1", metas[i].expr);
		snprintf(name, sizeof name, "meta %s", metas[i].expr);
		if (score_set_line(&s, line, 4, err, sizeof err) == -1 ||
		    score_set_finish(&s, err, sizeof err) == -1 ||
		    scored(&s, spam_msg, &res) == -1) {
			tap_ok(0, name);
			printf("# %s\n", err);
			score_set_free(&s);
			continue;
		}
		k = score_set_find(&s, "M");
		tap_is_long(res.hit[k], metas[i].hit, name);
		score_result_free(&res);
		score_set_free(&s);
	}

	{
		/* a meta's value is its count, for the metas that use it */
		struct score_set s;
		struct score_result res;
		score_set_init(&s);
		score_set_line(&s, "body M_A /cheap/ 0", 1, err, sizeof err);
		score_set_line(&s, "body M_B /expensive/ 0", 2, err, sizeof err);
		score_set_line(&s, "uri M_C /192\\.0\\.2\\.1/ 0", 3, err, sizeof err);
		score_set_line(&s, "meta __N M_A + M_B + M_C 0", 4, err, sizeof err);
		score_set_line(&s, "meta M2 __N >= 2 1", 5, err, sizeof err);
		score_set_line(&s, "meta M3 __N >= 3 1", 6, err, sizeof err);
		if (score_set_finish(&s, err, sizeof err) == 0 &&
		    scored(&s, spam_msg, &res) == 0) {
			tap_is_long(res.hit[score_set_find(&s, "__N")], 2,
			    "a meta summing rules keeps its count");
			tap_is_long(res.hit[score_set_find(&s, "M2")], 1,
			    "  a meta asking >= 2 of it hits");
			tap_is_long(res.hit[score_set_find(&s, "M3")], 0,
			    "  one asking >= 3 does not");
			score_result_free(&res);
		} else
			tap_ok(0, "a meta of a meta's count");
		score_set_free(&s);
	}

	{
		/* the sender's own domain: in the links, in List-Unsubscribe */
		static const struct {
			const char *msg;
			int inlinks, unsub;
		} snd[] = {
			{ "From: News <news@mail.shop.example>\n\n"
			  "see http://www.shop.example/offer\n", 1, 0 },
			{ "From: a@shop.example\nList-Unsubscribe: "
			  "<mailto:leave@lists.shop.example>\n\nhttp://other.example/\n", 0, 1 },
			{ "From: a@shop.example\nList-Unsubscribe: "
			  "<https://u.shop.example/x?y=1>\n\nhi\n", 0, 1 },
			{ "From: a@shop.example\nList-Unsubscribe: "
			  "<https://esp.example/x?shop.example>\n\nhi\n", 0, 0 },
			{ "From: a@bbc.co.uk\n\nhttp://news.bbc.co.uk/\n", 1, 0 },
			{ "From: a@bbc.co.uk\n\nhttp://evil.co.uk/\n", 0, 0 },
			{ "From: a@shop.example\n\nhttp://notshop.example/\n", 0, 0 },
			{ "From: a@shop.example\n\nhttp://shop.example.evil.test/\n", 0, 0 },
			{ "From: nobody\n\nhttp://shop.example/\n", 0, 0 },
			{ "From: a@\n\nhttp://shop.example/\n", 0, 0 },
		};
		int tl = score_test_lookup("from_in_links");
		int tu = score_test_lookup("unsub_from");
		for (i = 0; i < sizeof snd / sizeof snd[0]; i++) {
			struct msg msg;
			struct hdr h;
			struct score_msg sm;
			memset(&h, 0, sizeof h);
			if (msg_from_mem(snd[i].msg, strlen(snd[i].msg), &msg) == -1 ||
			    hdr_parse(&h, msg.raw.p, msg.hdr_off, msg.hdr_len, NULL) == -1 ||
			    score_msg_build(&sm, &msg, &h, NULL) == -1) {
				tap_ok(0, "a sender's message is built");
				continue;
			}
			snprintf(name, sizeof name, "from_in_links, message %zu", i);
			tap_is_long(score_test_run(tl, 0, &sm), snd[i].inlinks, name);
			snprintf(name, sizeof name, "unsub_from, message %zu", i);
			tap_is_long(score_test_run(tu, 0, &sm), snd[i].unsub, name);
			score_msg_free(&sm);
			hdr_free(&h);
			msg_free(&msg);
		}
	}

	{
		static const char *const rules[] = {
			"header S_SUBJ Subject /cheap pills/i 1",
			"body S_BODY /cheap pills at our shop/ 2",
			"rawbody S_RAW /<b>pi<\\/b>lls/ 0.5",
			"uri S_URI /^http:\\/\\/192\\./ 1",
			"full S_FULL /^Content-Type: text\\/html/m 0.25",
			"test S_IP uri_ip 1",
			"test S_HTML html_only 0.5",
			"test S_NOID msgid_missing 0.5",
			"body S_MISS /not in this message/ 100",
			"meta S_META S_SUBJ && S_URI 1",
		};
		struct score_set s;
		struct score_result res;
		struct buf t = BUF_INIT;
		score_set_init(&s);
		for (i = 0; i < sizeof rules / sizeof rules[0]; i++)
			if (score_set_line(&s, rules[i], (unsigned)i, err, sizeof err) == -1)
				printf("# %s\n", err);
		tap_ok(score_set_finish(&s, err, sizeof err) == 0, "rule set finishes");
		tap_ok(scored(&s, spam_msg, &res) == 0, "a message is scored");
		tap_ok(res.score > 7.74 && res.score < 7.76, "its score is 7.75");
		score_tests(&s, &res, &t);
		tap_is(t.p, "S_BODY,S_FULL,S_HTML,S_IP,S_META,S_NOID,S_RAW,S_SUBJ,S_URI",
		    "the tests, sorted");
		tap_ok(res.regex_run < 8, "the prefilter skipped the regex of S_MISS");
		tap_ok(s.r[score_set_find(&s, "S_MISS")].re == NULL,
		    "  and never compiled it");
		tap_ok(s.r[score_set_find(&s, "S_BODY")].re != NULL,
		    "a regex is compiled when it first runs");
		buf_free(&t);
		score_result_free(&res);
		score_set_free(&s);
	}

	{
		/* lazy (the default): a bad regex is found when it first has
		 * to run, and fails that message with its line */
		struct score_set s;
		struct score_result res;
		score_set_init(&s);
		tap_ok(score_set_line(&s, "body OK /cheap/ 1", 1, err, sizeof err) == 0 &&
		    score_set_line(&s, "header HBAD Subject /unseen(/ 1", 2, err,
		    sizeof err) == 0 &&
		    score_set_line(&s, "body BAD /(cheap/ 1", 3, err, sizeof err) == 0,
		    "a lazy set takes a bad regex at its line");
		tap_ok(score_set_finish(&s, err, sizeof err) == 0, "  and finishes");
		errno = 0;
		tap_ok(scored(&s, spam_msg, &res) == -1 && errno == EINVAL,
		    "scoring a message that needs it fails with EINVAL");
		tap_is(s.err, "BAD: bad regex: missing closing parenthesis at offset 6",
		    "  the reason");
		tap_is_long(s.errline, 3, "  its line");
		score_set_free(&s);
		score_set_init(&s);
		score_set_line(&s, "body OK /cheap/ 1", 1, err, sizeof err);
		score_set_line(&s, "body BAD /not here(/ 1", 2, err, sizeof err);
		score_set_finish(&s, err, sizeof err);
		tap_ok(scored(&s, spam_msg, &res) == 0 && res.score == 1,
		    "a bad regex the prefilter rules out is not compiled");
		score_result_free(&res);
		score_set_free(&s);
	}
	return tap_done();
}
