/* score_test: spam-score's built-in tests, for what a regex cannot see:
 * the shape of the MIME tree, dates, ratios, obfuscated words, clients
 * that claim to be what they are not (spam-score(5) lists them).  Each
 * reads the views of score_msg.h only.  Runs under any uid. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "score.h"
#include "score_html.h"

enum {
	T_HTML_ONLY, T_IMAGE_ONLY, T_NO_TEXT, T_DATE_MISSING, T_DATE_INVALID,
	T_DATE_FUTURE, T_DATE_PAST, T_MSGID_MISSING, T_MSGID_BAD, T_UPPER_RATIO,
	T_SUBJECT_UPPER, T_OBFUSCATED, T_FORGED_OE, T_MIME_BAD, T_LINK_MISMATCH,
	T_HTML_HIDDEN, T_HTML_FORM, T_HTML_SCRIPT, T_URI_IP, T_URI_COUNT,
	T_FROM_IN_LINKS, T_UNSUB_FROM
};

static const char *const names[] = {
	"html_only", "image_only", "no_text", "date_missing", "date_invalid",
	"date_future", "date_past", "msgid_missing", "msgid_bad", "upper_ratio",
	"subject_upper", "obfuscated", "forged_outlook", "mime_bad",
	"link_mismatch", "html_hidden", "html_form", "html_script", "uri_ip",
	"uri_count", "from_in_links", "unsub_from"
};

int
score_test_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

/* RFC 5322 3.3 date-time, read as leniently as mail clients do (day name
 * optional, two-digit years, zone names of RFC 822); seconds since the
 * epoch, or -1 when it is not a date. */
static long long
parse_date(const char *s)
{
	static const char mon[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	struct tm tm;
	int d, y, hh, mm, ss = 0, n, sign;
	long off = 0;
	char m[4], z[8];
	const char *p;
	time_t t;

	while (*s == ' ' || *s == '\t')
		s++;
	if (isalpha((unsigned char)*s)) {
		if ((s = strchr(s, ',')) == NULL)
			return -1;
		s++;
	}
	n = 0;
	if (sscanf(s, " %2d %3s %4d %2d:%2d%n", &d, m, &y, &hh, &mm, &n) != 5 ||
	    n == 0)
		return -1;
	s += n;
	if (*s == ':') {
		n = 0;
		if (sscanf(s, ":%2d%n", &ss, &n) != 1)
			return -1;
		s += n;
	}
	if ((p = strcasestr(mon, m)) == NULL || strlen(m) != 3 || (p - mon) % 3)
		return -1;
	if (y < 50)
		y += 2000;
	else if (y < 1000)
		y += 1900;
	if (d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || y < 1970 ||
	    y > 9999)
		return -1;
	while (*s == ' ')
		s++;
	if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		if (!isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]) ||
		    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
			return -1;
		off = sign * (((s[1] - '0') * 10 + s[2] - '0') * 3600L +
		    ((s[3] - '0') * 10 + s[4] - '0') * 60L);
		if (labs(off) > 14 * 3600L)
			return -1;
	} else if (sscanf(s, "%7[A-Za-z]", z) == 1) {
		static const struct { const char *n; int h; } zones[] = {
			{ "UT", 0 }, { "GMT", 0 }, { "UTC", 0 }, { "Z", 0 },
			{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
			{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 },
		};
		size_t k;
		for (k = 0; k < sizeof zones / sizeof zones[0]; k++)
			if (strcasecmp(z, zones[k].n) == 0)
				off = zones[k].h * 3600L;
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = (int)((p - mon) / 3);
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	return (long long)t - off;
}

/* The time a date is compared with: the message's own newest Received
 * time when it has one (a rescan of old mail must not find every date in
 * the past), else now; -1 for none when past is set (a message without
 * trace fields has not arrived yet, so nothing is late). */
static long long
reference_time(const struct score_msg *sm, int past)
{
	struct buf v = BUF_INIT;
	long long t = -1;
	int i;

	if ((i = score_msg_field(sm, "Received", 0, &v)) >= 0 && v.p) {
		const char *semi = strrchr(v.p, ';');
		if (semi)
			t = parse_date(semi + 1);
	}
	buf_free(&v);
	return t >= 0 ? t : past ? -1 : (long long)time(NULL);
}

static int
date_test(int test, double arg, const struct score_msg *sm)
{
	struct buf v = BUF_INIT;
	long long t, ref;
	int r = 0;

	if (score_msg_field(sm, "Date", 0, &v) < 0) {
		buf_free(&v);
		return test == T_DATE_MISSING;
	}
	if (test == T_DATE_MISSING) {
		buf_free(&v);
		return 0;
	}
	t = parse_date(v.p ? v.p : "");
	buf_free(&v);
	if (test == T_DATE_INVALID)
		return t < 0;
	if (t < 0)
		return 0;
	if ((ref = reference_time(sm, test == T_DATE_PAST)) < 0)
		return 0;
	if (test == T_DATE_FUTURE)
		r = t > ref + (long long)((arg > 0 ? arg : 24) * 3600);
	else
		r = t < ref - (long long)((arg > 0 ? arg : 96) * 3600);
	return r;
}

/* Words spelt so that filters miss them: letters one by one with the
 * same separator between ("V.I.A.G.R.A"), or a word with digits and signs
 * for letters ("v1agra", "c@sino") that reads as one of the words spam
 * sells with. */
static int
obfuscated(const struct score_msg *sm)
{
	static const char *const words[] = {
		"viagra", "cialis", "valium", "xanax", "levitra", "vicodin",
		"pharmacy", "casino", "mortgage", "porn", "penis", "enlarge",
		"replica", "rolex", "medication", "prescription", "pills",
		"weightloss", "refinance", "lottery", "bitcoin", "unsubscribe",
		"sex", "free", "cash", "money", "credit", "loan", "offer",
		"million", "winner", "password", "account", "verify", "paypal",
	};
	const char *s = sm->text.p;
	size_t n = sm->text.len, i, k;

	for (i = 0; i + 8 < n; i++) {
		unsigned char sep = (unsigned char)s[i + 1];
		size_t letters = 1;
		if (!isalpha((unsigned char)s[i]) ||
		    (i > 0 && isalnum((unsigned char)s[i - 1])) ||
		    isalnum(sep) || sep == '\n' || sep >= 0x80)
			continue;
		for (k = i; k + 2 < n && (unsigned char)s[k + 1] == sep &&
		    isalpha((unsigned char)s[k + 2]); k += 2)
			letters++;
		if (letters >= 5 && (k + 1 >= n || !isalnum((unsigned char)s[k + 1])))
			return 1;
	}
	for (i = 0; i < n; ) {
		char w[24];
		size_t l = 0, alpha = 0, subst = 0;
		while (i < n && !isalnum((unsigned char)s[i]) && !strchr("@$|", s[i]))
			i++;
		while (i < n && (isalnum((unsigned char)s[i]) || strchr("@$|", s[i]))) {
			unsigned char c = (unsigned char)tolower((unsigned char)s[i]);
			if (isalpha(c))
				alpha++;
			else {
				subst++;
				c = c == '0' ? 'o' : c == '1' || c == '|' ? 'i' : c == '3' ?
				    'e' : c == '4' || c == '@' ? 'a' : c == '5' || c == '$' ?
				    's' : c == '7' ? 't' : c;
			}
			if (l + 1 < sizeof w)
				w[l] = (char)c;
			l++;
			i++;
		}
		if (subst == 0 || alpha < 2 || l < 3 || l >= sizeof w || subst > 2)
			continue;
		w[l] = '\0';
		for (k = 0; k < sizeof words / sizeof words[0]; k++)
			if (strcmp(w, words[k]) == 0)
				return 1;
	}
	return 0;
}

static int
upper_ratio(const char *s, size_t n, double pct, size_t min)
{
	size_t i, letters = 0, upper = 0;

	for (i = 0; i < n; i++)
		if (isalpha((unsigned char)s[i])) {
			letters++;
			upper += isupper((unsigned char)s[i]) != 0;
		}
	return letters >= min && (double)upper * 100 >= pct * (double)letters;
}

static int
uri_ip(const struct score_msg *sm)
{
	const char *p = sm->uris.p, *e = p + sm->uris.len;
	char host[256];

	while (p && p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t l = (size_t)((nl ? nl : e) - p);
		unsigned a, b, c, d;
		char x;
		if (score_uri_host(p, l, host, sizeof host) == 0 &&
		    (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &x) == 4 ||
		    (strspn(host, "0123456789") == strlen(host) && strlen(host) > 6)))
			return 1;
		p = (nl ? nl : e) + 1;
	}
	return 0;
}

/* The organisation's domain of a host or address: its last two labels,
 * or three under a two-letter country code whose second level is short
 * (co.uk, com.au), lower-case, into d; 0, or -1 when there is none.  An
 * approximation of the public suffix list, enough to tell one sender's
 * hosts from another's (uridom_registered asks libpsl, whose list a
 * process per message would load each time). */
static int
org_domain(const char *s, size_t n, char *d, size_t ds)
{
	size_t dot[3], nd = 0, i, a;

	while (n > 0 && s[n - 1] == '.')
		n--;
	for (i = n; i > 0 && nd < 3; i--)
		if (s[i - 1] == '.')
			dot[nd++] = i - 1;
	if (nd == 0)
		return -1;
	a = dot[0] + 1;
	/* a two-letter top-level domain under a short second level */
	if (nd >= 2 && n - a == 2 && dot[0] - dot[1] - 1 <= 3)
		a = dot[1] + 1;
	a = a == dot[0] + 1 ? (nd >= 2 ? dot[1] + 1 : 0) :
	    (nd >= 3 ? dot[2] + 1 : 0);
	if (n - a + 1 > ds || dot[0] == a)
		return -1;
	for (i = a; i < n; i++)
		d[i - a] = (char)tolower((unsigned char)s[i]);
	d[n - a] = '\0';
	return 0;
}

/* The organisation's domain of the From address into d; 0, or -1. */
static int
from_domain(const struct score_msg *sm, char *d, size_t ds)
{
	struct buf v = BUF_INIT;
	const char *at, *e;
	int r = -1;

	if (score_msg_field(sm, "From", 0, &v) >= 0 && v.p &&
	    (at = memchr(v.p, '@', v.len)) != NULL) {
		for (e = at + 1; e < v.p + v.len && (isalnum((unsigned char)*e) ||
		    *e == '-' || *e == '.'); e++)
			;
		r = org_domain(at + 1, (size_t)(e - at - 1), d, ds);
	}
	buf_free(&v);
	return r;
}

/* Is dom (an organisation's domain) the host h or a parent of it? */
static int
host_in(const char *h, const char *dom)
{
	size_t lh = strlen(h), ld = strlen(dom);

	return lh >= ld && strcmp(h + lh - ld, dom) == 0 &&
	    (lh == ld || h[lh - ld - 1] == '.');
}

/* Does a link of the message go to the From address's domain?  Mail from
 * a real sender links to its own site; spam's From is borrowed or made
 * up, and its links go to whoever is paid. */
static int
from_in_links(const struct score_msg *sm)
{
	const char *p = sm->uris.p, *e = p + sm->uris.len;
	char dom[256], host[256];

	if (p == NULL || from_domain(sm, dom, sizeof dom) == -1)
		return 0;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t l = (size_t)((nl ? nl : e) - p);
		if (score_uri_host(p, l, host, sizeof host) == 0 &&
		    host_in(host, dom))
			return 1;
		p = (nl ? nl : e) + 1;
	}
	return 0;
}

/* Does List-Unsubscribe (RFC 2369) name the From address's domain, in a
 * mailto: address or a link's host?  A list run by the sender itself. */
static int
unsub_from(const struct score_msg *sm)
{
	struct buf v = BUF_INIT;
	char dom[256], host[256];
	const char *p, *e;
	int r = 0;

	if (from_domain(sm, dom, sizeof dom) == -1 ||
	    score_msg_field(sm, "List-Unsubscribe", 0, &v) < 0 || v.p == NULL) {
		buf_free(&v);
		return 0;
	}
	for (p = v.p, e = v.p + v.len; p < e && !r; p++) {
		const char *q = p;
		size_t l;
		if (*p == '@') {
			for (q = p + 1; q < e && (isalnum((unsigned char)*q) ||
			    *q == '-' || *q == '.'); q++)
				;
			l = (size_t)(q - p - 1);
			if (l < sizeof host) {
				memcpy(host, p + 1, l);
				host[l] = '\0';
				while (l > 0 && host[l - 1] == '.')
					host[--l] = '\0';
				r = host_in(host, dom);
			}
		} else if (*p == '/' && p + 1 < e && p[1] == '/' && p > v.p &&
		    p[-1] == ':') {
			for (q = p; q > v.p && q[-1] != '<' && q[-1] != ' ' &&
			    q[-1] != ','; q--)
				;
			if (score_uri_host(q, (size_t)(e - q), host, sizeof host) == 0)
				r = host_in(host, dom);
		}
	}
	buf_free(&v);
	return r;
}

/* Run built-in test on sm with its argument (0: the default); 1 hit, 0 not. */
int
score_test_run(int test, double arg, const struct score_msg *sm)
{
	struct buf v = BUF_INIT;
	int r = 0;

	switch (test) {
	case T_HTML_ONLY:
		return sm->nhtml > 0 && sm->nplain == 0;
	case T_IMAGE_ONLY:
		return sm->nimage > 0 && sm->textchars < (arg > 0 ? arg : 200);
	case T_NO_TEXT:
		return sm->nimage == 0 && sm->nattach == 0 &&
		    sm->textchars < (arg > 0 ? arg : 10);
	case T_DATE_MISSING: case T_DATE_INVALID: case T_DATE_FUTURE:
	case T_DATE_PAST:
		return date_test(test, arg, sm);
	case T_MSGID_MISSING:
		r = score_msg_field(sm, "Message-ID", 0, &v) < 0;
		break;
	case T_MSGID_BAD:
		if (score_msg_field(sm, "Message-ID", 0, &v) >= 0 && v.p) {
			const char *lt = strchr(v.p, '<'), *at = strchr(v.p, '@');
			const char *gt = strrchr(v.p, '>');
			r = lt == NULL || gt == NULL || at == NULL || at < lt || at > gt ||
			    at == lt + 1 || at + 1 == gt;
		}
		break;
	case T_UPPER_RATIO: {
		size_t body0;
		const char *nl = memchr(sm->text.p ? sm->text.p : "", '\n', sm->text.len);
		body0 = nl ? (size_t)(nl - sm->text.p) + 1 : 0;
		return upper_ratio(sm->text.p + body0, sm->text.len - body0,
		    arg > 0 ? arg : 50, 100);
	}
	case T_SUBJECT_UPPER:
		if (score_msg_field(sm, "Subject", 0, &v) >= 0 && v.p)
			r = upper_ratio(v.p, v.len, arg > 0 ? arg : 90, 10);
		break;
	case T_OBFUSCATED:
		return obfuscated(sm);
	case T_FORGED_OE:
		/* Outlook Express always writes X-MimeOLE; spamware that
		 * borrows its X-Mailer seldom does. */
		if (score_msg_field(sm, "X-Mailer", 0, &v) >= 0 && v.p &&
		    strcasestr(v.p, "Outlook Express"))
			r = hdr_find(sm->h, "X-MimeOLE", 0) < 0;
		break;
	case T_MIME_BAD:
		return (sm->mimeflags & (MIME_NOEND | MIME_NOBOUNDARY | MIME_NOSTART |
		    MIME_BADB64 | MIME_AMBIGUOUS)) != 0;
	case T_LINK_MISMATCH:
		return (sm->htmlflags & SCORE_HTML_MISMATCH) != 0;
	case T_HTML_HIDDEN:
		return (sm->htmlflags & SCORE_HTML_HIDDEN) != 0;
	case T_HTML_FORM:
		return (sm->htmlflags & SCORE_HTML_FORM) != 0;
	case T_HTML_SCRIPT:
		return (sm->htmlflags & SCORE_HTML_SCRIPT) != 0;
	case T_URI_IP:
		return uri_ip(sm);
	case T_URI_COUNT:
		return sm->nuri >= (arg > 0 ? arg : 20);
	case T_FROM_IN_LINKS:
		return from_in_links(sm);
	case T_UNSUB_FROM:
		return unsub_from(sm);
	}
	buf_free(&v);
	return r;
}
