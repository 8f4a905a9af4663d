/* Unit tests for lib/message/uri.c and the link views built on it: each way a
 * sender hides a link's host (percent codes, case and a final dot, Unicode
 * labels and their A-labels, the IDNA full stops, a user part, IPv4 in
 * hex, octal or one number, backslashes, character references) against
 * the canonical link spam-score's URI rules see (score_text_uris,
 * score_html_render) and the registered domain dnsbl-check looks up
 * (uridom), with the written form kept beside the canonical one. */
#include <string.h>

#include "score_html.h"
#include "score_msg.h"
#include "show.h"
#include "tap.h"
#include "uri.h"
#include "uridom.h"

static const struct {
	const char *in, *want;   /* want NULL: not canonicalised */
	unsigned flags;
} canon[] = {
	{ "http://example.com/", "http://example.com/", 0 },
	{ "http://%65xample.com/", "http://example.com/", URI_F_PERCENT },
	{ "http://ex%41mple%2Ecom", "http://example.com", URI_F_PERCENT },
	{ "HTTP://EXAMPLE.com./", "http://example.com/", 0 },
	{ "http://example.com../x", "http://example.com/x", 0 },
	{ "http://ex\xc3\xa4mple.com/", "http://xn--exmple-cua.com/", URI_F_IDN },
	{ "http://EX\xc3\x84MPLE.com/", "http://xn--exmple-cua.com/", URI_F_IDN },
	{ "http://ex%C3%A4mple.com/", "http://xn--exmple-cua.com/",
	  URI_F_IDN | URI_F_PERCENT },
	{ "http://xn--exmple-cua.com/", "http://xn--exmple-cua.com/", 0 },
	{ "http://XN--EXMPLE-CUA.com/", "http://xn--exmple-cua.com/", 0 },
	{ "http://example\xe3\x80\x82" "com/", "http://example.com/", URI_F_IDN },
	{ "http://example\xef\xbc\x8e" "com/", "http://example.com/", URI_F_IDN },
	{ "http://example\xef\xbd\xa1" "com/", "http://example.com/", URI_F_IDN },
	{ "http://\xef\xbd\x85xample.com/", "http://example.com/", URI_F_IDN },
	{ "http://user@example.com/", "http://example.com/", URI_F_USERINFO },
	{ "http://www.bank.example:pw@example.com:8080/x",
	  "http://example.com:8080/x", URI_F_USERINFO },
	{ "http://a@b@example.com/", "http://example.com/", URI_F_USERINFO },
	{ "http://0x7f.1/", "http://127.0.0.1/", URI_F_NUMERIC },
	{ "http://2130706433/", "http://127.0.0.1/", URI_F_NUMERIC },
	{ "http://017700000001/", "http://127.0.0.1/", URI_F_NUMERIC },
	{ "http://0177.0.0.01/", "http://127.0.0.1/", URI_F_NUMERIC },
	{ "http://127.1/", "http://127.0.0.1/", URI_F_NUMERIC },
	{ "http://0X7F000001/", "http://127.0.0.1/", URI_F_NUMERIC },
	{ "http://192.168.0x1.0377/", "http://192.168.1.255/", URI_F_NUMERIC },
	{ "http://192.168.1.257/", NULL, 0 },
	{ "http://203.0.113.9/", "http://203.0.113.9/", 0 },
	{ "http://203.0.113.9./", "http://203.0.113.9/", 0 },
	{ "http://0x/", "http://0.0.0.0/", URI_F_NUMERIC },
	{ "http://256.1.1.1/", NULL, 0 },
	{ "http://1.2.3.4.5/", NULL, 0 },
	{ "http://0x100000000/", NULL, 0 },
	{ "http://4294967296/", NULL, 0 },
	{ "http://99999999999999999999999999/", NULL, 0 },
	{ "http://08.1.1.1/", NULL, 0 },
	{ "http://example.123/", NULL, 0 },
	{ "http://1.example/", "http://1.example/", 0 },
	{ "http:\\\\example.com\\path\\x", "http://example.com/path/x", URI_F_SLASH },
	{ "https:/\\example.com/", "https://example.com/", URI_F_SLASH },
	{ "http:example.com", "http://example.com", URI_F_SLASH },
	{ "http:////example.com", "http://example.com", URI_F_SLASH },
	{ "http://evil.example\\@good.example/", "http://evil.example/@good.example/",
	  URI_F_SLASH },
	{ "http://example.com:80/", "http://example.com/", 0 },
	{ "https://example.com:0443/", "https://example.com/", 0 },
	{ "https://example.com:80/", "https://example.com:80/", 0 },
	{ "ftp://example.com:21/f", "ftp://example.com/f", 0 },
	{ "http://example.com:/x", "http://example.com/x", 0 },
	{ "http://example.com:99999/", NULL, 0 },
	{ "http://example.com:8o/", NULL, 0 },
	{ "http://[2001:DB8::1]:8080/", "http://[2001:db8::1]:8080/", 0 },
	{ "http://[nonsense]/", NULL, 0 },
	{ "WWW.Ex%61mple.com/x", "www.example.com/x", URI_F_PERCENT },
	{ "www.b.example@evil.example/", NULL, 0 },
	{ "www../", NULL, 0 },
	{ "mailto:a@example.com", NULL, 0 },
	{ "javascript:alert(1)", NULL, 0 },
	{ "/relative/path", NULL, 0 },
	{ "http://%00example.com/", NULL, 0 },
	{ "http://exa mple.com/", "http://exa mple.com/", 0 },  /* never in a line */
	{ "http://ex\xe4mple.com/", NULL, 0 },            /* Latin-1, not UTF-8 */
	{ "http://ex%2fample.com/", NULL, 0 },
	{ "http://www.x.com%40www.evil.example/", NULL, 0 },
	{ "http://a..b.com/", NULL, 0 },
	{ "http://.example.com/", NULL, 0 },
	{ "http:///", NULL, 0 },
	{ "http://", NULL, 0 },
	{ "http://exa_mple.com/", "http://exa_mple.com/", 0 },
	{ "http://ex\xe2\x80\xaemple.com/", NULL, 0 },    /* a bidi override */
};

static const struct {
	const char *text, *want;   /* the uris view */
} text[] = {
	{ "plain http://example.com/a.", "http://example.com/a\n" },
	{ "visit http://%65xample.com/x today",
	  "http://example.com/x\nhttp://%65xample.com/x\n" },
	{ "see http://ex\xc3\xa4mple.com/ ok",
	  "http://xn--exmple-cua.com/\nhttp://ex\xc3\xa4mple.com/\n" },
	{ "http://example\xe3\x80\x82" "com/x",
	  "http://example.com/x\nhttp://example\xe3\x80\x82" "com/x\n" },
	{ "\xe8\xae\xbf\xe9\x97\xae http://example.com\xe3\x80\x82 ok",
	  "http://example.com\n" },
	{ "http://example.com\xe3\x80\x82\xe8\xb0\xa2\xe8\xb0\xa2",
	  "http://example.com\n" },
	{ "http://www.e-dowell.com\xe6\xac\xa2\xe8\xbf\x8e", "http://www.e-dowell.com\n" },
	{ "http://example.com\xe2\x80\x9d said", "http://example.com\n" },
	{ "go to HTTP://EXAMPLE.COM. now",
	  "http://example.com\nHTTP://EXAMPLE.COM\n" },
	{ "go to http://0x7f.1/ now", "http://127.0.0.1/\nhttp://0x7f.1/\n" },
	{ "go to http://2130706433/x now", "http://127.0.0.1/x\nhttp://2130706433/x\n" },
	{ "http:\\\\example.com\\x", "http://example.com/x\nhttp:\\\\example.com\\x\n" },
	{ "http://paypal.example@evil.example/",
	  "http://evil.example/\nhttp://paypal.example@evil.example/\n" },
	{ "http:example.com http:/x", "" },
	{ "(http://example.com/)", "http://example.com/\n" },
};

static const struct {
	const char *html, *uris;
	unsigned flags;
} html[] = {
	{ "<a href=\"&#104;ttp://EXAMPLE.com./\">x</a>",
	  "http://example.com/\nhttp://EXAMPLE.com./\n", 0 },
	{ "<a href=\"http:example.com\">x</a>",
	  "http://example.com\nhttp:example.com\n", 0 },
	{ "<a href=\"http://ex&#xE4;mple.com/\">x</a>",
	  "http://xn--exmple-cua.com/\nhttp://ex\xc3\xa4mple.com/\n", 0 },
	{ "<a href=\"http://xn--exmple-cua.com/\">http://ex\xc3\xa4mple.com/</a>",
	  "http://xn--exmple-cua.com/\n", 0 },
	{ "<a href=\"http://%65vil.example/\">http://evil.example/</a>",
	  "http://evil.example/\nhttp://%65vil.example/\n", 0 },
	{ "<a href=\"http://0x7f.1/\">http://127.0.0.1/</a>",
	  "http://127.0.0.1/\nhttp://0x7f.1/\n", 0 },
	{ "<a href=\"http://evil.example/\">http://b&#x61;nk.example/</a>",
	  "http://evil.example/\n", SCORE_HTML_MISMATCH },
	{ "<a href=\"mailto:a@example.com\">x</a>", "mailto:a@example.com\n", 0 },
};

static const struct {
	const char *text, *want;   /* the registered domains, space-separated */
	int html;
} dom[] = {
	{ "http://%65xample.com/ http://EXAMPLE.com. http://ex\xc3\xa4mple.com/ "
	  "http://xn--exmple-cua.com/", "example.com xn--exmple-cua.com", 0 },
	{ "http://a.example\xe3\x80\x82" "com/ http://b.example\xef\xbc\x8e" "com/ "
	  "http://c.example\xef\xbd\xa1" "com/", "example.com", 0 },
	{ "http://user@www.example.com/", "example.com", 0 },
	{ "http://0x7f.1/ http://2130706433/ http://0177.0.0.1/ http://127.1/",
	  "127.0.0.1", 0 },
	{ "http:\\\\www.example.com\\x https:/\\example.org", "example.com example.org", 0 },
	{ "text http://example.com\xe3\x80\x82 and http://shop.example.net\xe6\xac\xa2",
	  "example.com example.net", 0 },
	{ "<a href=\"&#104;ttp://ex&#228;mple.com/\">x</a>", "xn--exmple-cua.com", 1 },
	{ "<a href=\"http://ex&auml;mple.com/\">", "", 1 },
	{ "<a href='http://%65xample%2Ecom'>", "example.com", 1 },
};

int
main(void)
{
	char name[400];
	size_t i, k;

	for (i = 0; i < sizeof canon / sizeof canon[0]; i++) {
		struct buf out = BUF_INIT, nm = BUF_INIT;
		unsigned fl = 0;
		int rc = uri_canon(canon[i].in, strlen(canon[i].in), &out, &fl);
		buf_adds(&nm, "canonical ");
		show_add(&nm, canon[i].in, strlen(canon[i].in));
		if (rc == 0 && buf_addc(&out, '\0') == -1)
			rc = -1;
		tap_is(rc == 0 ? out.p : NULL, canon[i].want, nm.p);
		if (canon[i].want)
			tap_is_long(fl, canon[i].flags, "  what it hid");
		buf_free(&out);
		buf_free(&nm);
	}
	{
		char host[URI_HOST_MAX + 2], in[400];
		unsigned fl = 0;
		memset(in, 'a', sizeof in - 5);
		memcpy(in + sizeof in - 5, ".com", 5);
		tap_ok(uri_host(in, strlen(in), host, sizeof host, &fl) == -1,
		    "a host past 253 bytes is none");
		memset(in, 'a', 63);
		memcpy(in + 63, ".com", 5);
		tap_ok(uri_host(in, strlen(in), host, 10, &fl) == -1,
		    "a host past the caller's buffer is none");
		tap_ok(uri_host(in, 67, host, sizeof host, &fl) == URI_NAME,
		    "a 63-byte label is a name");
	}
	{
		static char big[URI_AUTH_MAX * 40];
		struct buf u = BUF_INIT;
		size_t n = 0;
		for (k = 0; k + 9 < sizeof big; k += 9)
			memcpy(big + k, "http://a\"", 9);
		memset(big + k, 'x', sizeof big - k);
		tap_ok(score_text_uris(big, sizeof big, &u, &n) == 0 &&
		    n == SCORE_HTML_MAXURI, "links glued together: capped, no error");
		buf_free(&u);
	}

	for (i = 0; i < sizeof text / sizeof text[0]; i++) {
		struct buf u = BUF_INIT, nm = BUF_INIT;
		size_t n = 0;
		buf_adds(&nm, "text links in ");
		show_add(&nm, text[i].text, strlen(text[i].text));
		(void)score_text_uris(text[i].text, strlen(text[i].text), &u, &n);
		tap_is(u.p ? u.p : "", text[i].want, nm.p);
		buf_free(&u);
		buf_free(&nm);
	}

	for (i = 0; i < sizeof html / sizeof html[0]; i++) {
		struct buf t = BUF_INIT, u = BUF_INIT;
		size_t n = 0;
		unsigned fl = 0;
		snprintf(name, sizeof name, "HTML links, row %zu", i);
		(void)score_html_render(html[i].html, strlen(html[i].html), &t, &u,
		    &n, &fl);
		tap_is(u.p ? u.p : "", html[i].uris, name);
		tap_is_long(fl & SCORE_HTML_MISMATCH, html[i].flags, "  shown host mismatch");
		buf_free(&t);
		buf_free(&u);
	}

	for (i = 0; i < sizeof dom / sizeof dom[0]; i++) {
		struct uridom u;
		struct buf got = BUF_INIT, nm = BUF_INIT;
		uridom_init(&u, 10);
		if (dom[i].html)
			(void)uridom_scan_html(&u, dom[i].text, strlen(dom[i].text));
		else
			(void)uridom_scan(&u, dom[i].text, strlen(dom[i].text));
		for (k = 0; k < u.n; k++)
			buf_printf(&got, "%s%s", k ? " " : "", u.v[k]);
		buf_adds(&nm, "registered domains in ");
		show_add(&nm, dom[i].text, strlen(dom[i].text));
		tap_is(got.p ? got.p : "", dom[i].want, nm.p);
		uridom_free(&u);
		buf_free(&got);
		buf_free(&nm);
	}
	return tap_done();
}
