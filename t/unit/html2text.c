/* Unit tests for lib/content/html2text.c, lib/content/defang.c and
 * lib/message/mtree.c: HTML rendered as a reader sees it (blocks, lists,
 * tables, hidden and script content dropped, link targets shown when the
 * text does not show them), links defanged once and only once, and a
 * message's MIME tree with the places a rewriter copies. */
#include <string.h>

#include "defang.h"
#include "html2text.h"
#include "mtree.h"
#include "show.h"
#include "tap.h"

static const struct {
	const char *name, *in, *want;
} html[] = {
	{ "paragraphs", "<p>one</p><p>two</p>", "one\n\ntwo\n" },
	{ "white space collapses", "  a \n\t b  ", "a b\n" },
	{ "br", "a<br>b<br/>c", "a\nb\nc\n" },
	{ "pre keeps lines", "<pre>a  b\n c</pre>", "a  b\n c\n" },
	{ "entities", "&lt;x&gt; &amp; &#233;&#x41;&euro;", "<x> & \xc3\xa9" "A\xe2\x82\xac\n" },
	{ "unknown entity stays", "a &bogus; b", "a &bogus; b\n" },
	{ "script, style, title, comment",
	  "<title>T</title><style>p{}</style>a<script>x<y</script>b<!-- c -->d",
	  "abd\n" },
	{ "unclosed script eats the rest", "a<script>b", "a\n" },
	{ "hidden by style: no box, no line", "a<div style=\"DISPLAY: none\">b<div>c</div>d</div>e",
	  "ae\n" },
	{ "hidden attribute", "a<span hidden>b</span>c", "ac\n" },
	{ "font-size 0", "a<span style='font-size:0px'>b</span>c", "ac\n" },
	{ "visible style", "a<span style='font-size:10px'>b</span>c", "abc\n" },
	{ "ul", "<ul><li>x</li><li>y</li></ul>", "* x\n* y\n" },
	{ "ol nested", "<ol><li>a<ol><li>b</li></ol></li><li>c</li></ol>",
	  "1. a\n  1. b\n2. c\n" },
	{ "table", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
	  "a | b\nc\n" },
	{ "empty cells make no bars", "<table><tr><td></td><td>b</td></tr></table>",
	  "b\n" },
	{ "img alt", "<img src=x alt=\"Logo &amp; co\">", "[Logo & co]\n" },
	{ "img without alt", "a<img src=x>b", "ab\n" },
	{ "hr", "a<hr>b", "a\n----------\nb\n" },
	{ "link shown", "<a href=\"https://x.example/p\">here</a>",
	  "here <https://x.example/p>\n" },
	{ "link text is the target", "<a href=\"https://x.example/\">https://X.example</a>",
	  "https://X.example\n" },
	{ "lying link", "<a href='http://evil.example/'>http://bank.example/</a>",
	  "http://bank.example/ <http://evil.example/>\n" },
	{ "mailto shown once", "<a href=\"mailto:a@b.example\">a@b.example</a>",
	  "a@b.example\n" },
	{ "fragment not shown", "<a href=\"#top\">top</a>", "top\n" },
	{ "href entities and spaces", "<a href=\" http://a.example/?x=1&amp;y=2 \">t</a>",
	  "t <http://a.example/?x=1&y=2>\n" },
	{ "unclosed link at the end", "<a href=\"http://a.example/\">t", "t <http://a.example/>\n" },
	{ "link inside hidden", "<div hidden><a href=\"http://a.example/\">t</a></div>", "" },
	{ "a lone <", "1 < 2 <3", "1 < 2 <3\n" },
	{ "doctype", "<!DOCTYPE html><?xml x?>a", "a\n" },
	{ "nbsp collapses", "a&nbsp;&nbsp; b", "a b\n" },
	{ "unterminated tag", "a<b", "a\n" },
	{ "unterminated attribute", "a<a href=\"x", "a <x>\n" },
	{ "headings", "<h1>T</h1>text", "T\n\ntext\n" },
};

static const struct {
	const char *in, *want;
	size_t links;
} fang[] = {
	{ "see https://www.example.com/a.b?c", "see hxxps://www[.]example[.]com/a.b?c", 1 },
	{ "HTTP://EX.COM", "HXXP://EX[.]COM", 1 },
	{ "ftp://f.example/x", "fxp://f[.]example/x", 1 },
	{ "www.example.org.", "www[.]example[.]org.", 1 },
	{ "(http://a.example)", "(hxxp://a[.]example)", 1 },
	{ "<http://a.example/>", "<hxxp://a[.]example/>", 1 },
	{ "http://user@a.example:8080/", "hxxp://user@a[.]example:8080/", 1 },
	{ "xhttp://a.example awww.b.example", "xhttp://a.example awww.b.example", 0 },
	{ "http://r.example/go/http://live.example/",
	  "hxxp://r[.]example/go/hxxp://live[.]example/", 2 },
	{ "ftp://https://www.b.example/", "fxp://hxxps://www[.]b[.]example/", 2 },
	{ "hxxps://a[.]example www[.]b[.]c", "hxxps://a[.]example www[.]b[.]c", 0 },
	{ "http://", "http://", 0 },
	{ "www.", "www.", 0 },
	{ "plain text", "plain text", 0 },
};

static void
tree(void)
{
	static const char m[] =
	    "From: a@b\nContent-Type: multipart/mixed; boundary=\"b1\"\n\npre\n"
	    "--b1\nContent-Type: text/plain; charset=ISO-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\ncaf=E9\n"
	    "--b1\nContent-Type: application/pdf; name=x.pdf\n\n%PDF\n"
	    "--b1--\nepilogue\n";
	struct mtree t;
	struct buf d = BUF_INIT;
	size_t hlen = (size_t)(strstr(m, "\n\n") - m) + 1;

	tap_ok(mtree_parse(&t, m, 0, sizeof m - 1, hlen, hlen + 1) == 0, "mtree: parses");
	tap_ok(t.nkid == 2 && mtree_is(&t, "multipart/") && strcmp(t.boundary, "b1") == 0,
	    "mtree: a multipart of two parts");
	if (t.nkid == 2) {
		tap_is(t.kid[0].charset, "iso-8859-1", "mtree: charset lower case");
		tap_ok(t.kid[0].cte == DECODE_QP && mtree_textual(&t.kid[0]), "mtree: QP text");
		tap_ok(t.kid[1].attach && !mtree_textual(&t.kid[1]), "mtree: named part is an attachment");
		tap_ok(memcmp(m + t.kid[1].off + t.kid[1].len, "\n--b1--", 7) == 0,
		    "mtree: a part ends before its delimiter's line end");
		mtree_decode(m, &t.kid[0], &d, 100);
		tap_is(d.p, "caf\xe9", "mtree: the part decodes");
		buf_reset(&d);
		tap_ok(mtree_decode(m, &t.kid[0], &d, 2) == -1, "mtree: over the cap is an error");
	}
	buf_free(&d);
	mtree_free(&t);
	{
		static const char s[] = "Content-Type: multipart/signed; boundary=x\n\n--x\n\na\n--x--\n";
		tap_ok(mtree_parse(&t, s, 0, sizeof s - 1, 43, 44) == 0 && mtree_signed(&t),
		    "mtree: multipart/signed is signed");
		mtree_free(&t);
	}
	{
		static const char s[] = "Content-Type: multipart/mixed; boundary=zz\n\nno parts\n";
		tap_ok(mtree_parse(&t, s, 0, sizeof s - 1, 43, 44) == 0 && t.opaque &&
		    t.nkid == 0, "mtree: a boundary that never occurs: opaque");
		mtree_free(&t);
	}
}

int
main(void)
{
	struct buf o = BUF_INIT;
	struct html2text_stats st;
	size_t i, n;

	for (i = 0; i < sizeof html / sizeof html[0]; i++) {
		buf_reset(&o);
		html2text(html[i].in, strlen(html[i].in), &o, &st);
		tap_is(o.p ? o.p : "", html[i].want, html[i].name);
	}
	buf_reset(&o);
	html2text("<a href=x>t</a><a href=y>y</a><div hidden>h</div>", 50, &o, &st);
	tap_ok(st.links == 2 && st.shown == 1 && st.hidden == 1, "html2text: its counts");
	for (i = 0; i < sizeof fang / sizeof fang[0]; i++) {
		buf_reset(&o);
		defang_text(fang[i].in, strlen(fang[i].in), &o, &n);
		tap_is(o.p ? o.p : "", fang[i].want, fang[i].in);
		tap_is_long((long)n, (long)fang[i].links, "... its links");
		tap_is_long((long)defang_count(fang[i].in, strlen(fang[i].in)),
		    (long)fang[i].links, "... counted alike");
	}
	tree();
	buf_free(&o);
	return tap_done();
}
