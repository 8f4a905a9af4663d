/* score_msg: a message's views for spam-score (see score_msg.h).  The
 * message is untrusted; every view is bounded.  Runs under any uid. */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "score_html.h"
#include "score_msg.h"
#include "uri.h"

void
score_msg_free(struct score_msg *sm)
{
	buf_free(&sm->hdrs);
	buf_free(&sm->text);
	buf_free(&sm->raw);
	buf_free(&sm->uris);
	buf_free(&sm->lower);
	memset(sm, 0, sizeof *sm);
}

/* The decoded value of the first field called name at index from or
 * later, into out; its index, or -1 when there is none (or no memory). */
int
score_msg_field(const struct score_msg *sm, const char *name, size_t from,
    struct buf *out)
{
	struct buf v = BUF_INIT;
	long i;

	buf_reset(out);
	if ((i = hdr_find(sm->h, name, from)) < 0)
		return -1;
	if (hdr_value(sm->h, (size_t)i, &v) == -1 ||
	    hdr_decode_2047(v.p ? v.p : "", v.len, out) == -1)
		i = -1;
	buf_free(&v);
	return (int)i;
}

/* Append s to out with white space folded (a run holding a blank line
 * becomes one line end, any other run one space), no-break spaces as
 * spaces and the invisible characters spammers hide words with removed,
 * up to max bytes in out.  0, or -1 when out of memory. */
int
score_text_normalise(const char *s, size_t n, struct buf *out, size_t max)
{
	size_t i = 0, nl = 0;
	int ws = out->len == 0 || out->p[out->len - 1] == ' ' ||
	    out->p[out->len - 1] == '\n';
	int pending = 0;

	if (buf_grow(out, n < max ? n + 1 : max + 1) == -1)
		return -1;
	while (i < n && out->len < max) {
		unsigned char c = (unsigned char)s[i];
		size_t skip = 0;
		int space = 0;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
		    c == '\v') {
			space = 1;
			skip = 1;
			if (c == '\n')
				nl++;
		} else if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0) {
			space = 1;
			skip = 2;
		} else if ((c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xAD) ||
		    (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
		    (unsigned char)s[i + 2] >= 0x8B && (unsigned char)s[i + 2] <= 0x8F) ||
		    (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBB &&
		    (unsigned char)s[i + 2] == 0xBF)) {
			i += c == 0xC2 ? 2 : 3;
			continue;
		} else if (c == 0) {
			space = 1;
			skip = 1;
		}
		if (space) {
			pending = 1;
			i += skip;
			continue;
		}
		if (pending && !ws && buf_addc(out, nl >= 2 ? '\n' : ' ') == -1)
			return -1;
		pending = 0;
		nl = 0;
		ws = 0;
		if (out->len < max && buf_addc(out, c) == -1)
			return -1;
		i++;
	}
	if (pending && !ws && out->len < max && buf_addc(out, nl >= 2 ? '\n' : ' ') == -1)
		return -1;
	return 0;
}

/* Links written as text (http://, https://, ftp://, with "\\" for "/"
 * too, and www.) appended to uris as score_uri_add writes them.  The host
 * may hold Unicode letters (uri_text_host_end says where it ends); the
 * rest of the link ends at the first byte outside printable ASCII. */
int
score_text_uris(const char *s, size_t n, struct buf *uris, size_t *nuri)
{
	static const char stop[] = "<>\"'`()[]{}|^";
	struct uri_parts p;
	size_t i, a, e, he;

	for (i = 0; i + 4 < n && *nuri < SCORE_HTML_MAXURI; i++) {
		int c = tolower((unsigned char)s[i]);
		if (c != 'h' && c != 'f' && c != 'w')
			continue;
		if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '/' ||
		    s[i - 1] == '.' || s[i - 1] == '@'))
			continue;
		if (uri_split(s + i, n - i, 2, &p) == -1)
			continue;
		a = i + p.auth;
		for (e = a; e < n && e - i < 2048; e++) {
			unsigned char b = (unsigned char)s[e];
			if (b <= ' ' || b == 0x7f || b == '/' || b == '\\' ||
			    b == '?' || b == '#' || strchr(stop, b))
				break;
		}
		if ((he = uri_text_host_end(s, a, e)) < e)
			e = he;
		else
			for (; e < n && e - i < 2048; e++) {
				unsigned char b = (unsigned char)s[e];
				if (b <= ' ' || b >= 0x7f || strchr(stop, b))
					break;
			}
		while (e > a && strchr(".,;:!?", s[e - 1]))
			e--;
		if (e == a)
			continue;
		if (score_uri_add(uris, s + i, e - i) == -1)
			return -1;
		(*nuri)++;
		i = e - 1;
	}
	return 0;
}

/* Convert s to UTF-8 from charset cs into out; bytes it cannot convert
 * are copied as they are.  No charset, UTF-8, ASCII or one iconv does not
 * know: the bytes as they are. */
static int
to_utf8(const char *cs, const char *s, size_t n, struct buf *out)
{
	iconv_t cd;
	char *in = (char *)s, *o;
	size_t inl = n, ol;

	buf_reset(out);
	if (cs[0] == '\0' || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "utf8") == 0 ||
	    (cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return buf_add(out, s, n);
	if (buf_grow(out, n * 3 + 16) == -1) {
		iconv_close(cd);
		return -1;
	}
	while (inl > 0) {
		o = out->p + out->len;
		ol = out->cap - out->len - 1;
		if (iconv(cd, &in, &inl, &o, &ol) != (size_t)-1) {
			out->len = (size_t)(o - out->p);
			break;
		}
		out->len = (size_t)(o - out->p);
		if (errno == E2BIG) {
			if (buf_grow(out, inl * 3 + 16) == -1) {
				iconv_close(cd);
				return -1;
			}
			continue;
		}
		/* EILSEQ or EINVAL: keep the byte, go on after it */
		if (buf_addc(out, (unsigned char)*in) == -1) {
			iconv_close(cd);
			return -1;
		}
		in++;
		inl--;
	}
	iconv_close(cd);
	out->p[out->len] = '\0';
	return 0;
}

struct walk {
	struct score_msg *sm;
	struct buf        conv, rend, ct;
};

/* A part whose bytes are text a person or a program reads: any text type, the
 * textual application types, and files named like keys and settings. */
static int
textual(const struct mime_part *p)
{
	static const char *const types[] = {
		"application/json", "application/x-pem-file", "application/pgp-keys",
		"application/x-yaml", "application/yaml", "application/xml",
		"application/x-sh", "application/x-x509-ca-cert",
	};
	static const char *const ext[] = {
		".pem", ".key", ".env", ".json", ".yml", ".yaml", ".cfg", ".conf",
		".ini", ".txt", ".csv", ".properties", ".ppk", ".asc",
	};
	size_t i, fl = strlen(p->filename), el;

	if (strncmp(p->type, "text/", 5) == 0)
		return 1;
	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(p->type, types[i]) == 0)
			return 1;
	for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		el = strlen(ext[i]);
		if (fl > el && strcasecmp(p->filename + fl - el, ext[i]) == 0)
			return 1;
	}
	return fl > 3 && strncmp(p->filename, "id_", 3) == 0;
}

/* One MIME leaf: text into the views, the rest counted. */
static int
leaf(void *arg, const struct mime_part *p)
{
	struct walk *w = arg;
	struct score_msg *sm = w->sm;
	char cs[64] = "";
	int html = strcmp(p->type, "text/html") == 0;
	long ct;

	if (strncmp(p->type, "image/", 6) == 0) {
		sm->nimage++;
		return 0;
	}
	if ((!html && strcmp(p->type, "text/plain") != 0) ||
	    (p->filename[0] && !html)) {
		if (p->filename[0])
			sm->nattach++;
		/* text attachments are not read as the message's text, but
		 * rawbody rules (the outbound secrets) see them */
		if (textual(p) && sm->raw.len < SCORE_TEXT_MAX &&
		    (buf_add(&sm->raw, p->data ? p->data : "", p->len <
		    SCORE_TEXT_MAX ? p->len : SCORE_TEXT_MAX) == -1 ||
		    buf_addc(&sm->raw, '\n') == -1))
			return -1;
		return 0;
	}
	if (html)
		sm->nhtml++;
	else
		sm->nplain++;
	if (sm->text.len >= SCORE_TEXT_MAX)
		return 0;
	if (p->h && (ct = hdr_find(p->h, "Content-Type", 0)) >= 0) {
		unsigned fl = 0;
		buf_reset(&w->ct);
		if (hdr_value(p->h, (size_t)ct, &w->rend) == 0 &&
		    mime_param(w->rend.p ? w->rend.p : "", w->rend.len, "charset",
		    &w->ct, &fl) == 0 && w->ct.len < sizeof cs)
			memcpy(cs, w->ct.p ? w->ct.p : "", w->ct.len + 1);
	}
	if (to_utf8(cs, p->data ? p->data : "", p->len, &w->conv) == -1)
		return -1;
	if (buf_add(&sm->raw, w->conv.p, w->conv.len) == -1 ||
	    buf_addc(&sm->raw, '\n') == -1)
		return -1;
	if (html) {
		buf_reset(&w->rend);
		if (score_html_render(w->conv.p, w->conv.len, &w->rend, &sm->uris,
		    &sm->nuri, &sm->htmlflags) == -1)
			return -1;
		/* links in the text of the HTML too: not all are <a> */
		if (score_text_uris(w->rend.p, w->rend.len, &sm->uris, &sm->nuri) == -1)
			return -1;
		return score_text_normalise(w->rend.p, w->rend.len, &sm->text,
		    SCORE_TEXT_MAX);
	}
	if (score_text_uris(w->conv.p, w->conv.len, &sm->uris, &sm->nuri) == -1)
		return -1;
	if (sm->text.len && buf_addc(&sm->text, '\n') == -1)
		return -1;
	return score_text_normalise(w->conv.p, w->conv.len, &sm->text,
	    SCORE_TEXT_MAX);
}

/* Build the views of m (headers h) under the MIME limits lim (NULL: the
 * defaults).  0, or -1 when out of memory. */
int
score_msg_build(struct score_msg *sm, const struct msg *m, const struct hdr *h,
    const struct mime_limits *lim)
{
	struct mime_stats st;
	struct walk w;
	struct buf v = BUF_INIT, d = BUF_INIT;
	size_t i, body0;
	int rc = 0;

	memset(sm, 0, sizeof *sm);
	memset(&w, 0, sizeof w);
	sm->m = m;
	sm->h = h;
	for (i = 0; i < h->n && rc == 0; i++) {
		const struct hdr_field *f = &h->f[i];
		if (f->name_len == 0)
			continue;
		buf_reset(&d);
		if (hdr_value(h, i, &v) == -1 ||
		    hdr_decode_2047(v.p ? v.p : "", v.len, &d) == -1 ||
		    buf_add(&sm->hdrs, h->base + f->off, f->name_len) == -1 ||
		    buf_adds(&sm->hdrs, ": ") == -1 ||
		    buf_add(&sm->hdrs, d.p ? d.p : "", d.len) == -1 ||
		    buf_addc(&sm->hdrs, '\n') == -1)
			rc = -1;
	}
	if (rc == 0 && score_msg_field(sm, "Subject", 0, &d) >= 0 &&
	    (score_text_normalise(d.p, d.len, &sm->text, 1024) == -1 ||
	    buf_addc(&sm->text, '\n') == -1))
		rc = -1;
	buf_free(&v);
	buf_free(&d);
	if (rc == -1)
		return -1;
	body0 = sm->text.len;
	w.sm = sm;
	if (mime_walk(m->raw.p ? m->raw.p : "", m->raw.len, lim, 0, NULL, leaf,
	    &w, &st) == -1 && errno == ENOMEM)
		rc = -1;
	sm->mimeflags = st.flags;
	buf_free(&w.conv);
	buf_free(&w.rend);
	buf_free(&w.ct);
	if (buf_grow(&sm->text, 1) == -1 || buf_grow(&sm->raw, 1) == -1 ||
	    buf_grow(&sm->uris, 1) == -1 || buf_grow(&sm->hdrs, 1) == -1)
		return -1;
	for (i = body0; i < sm->text.len; i++) {
		unsigned char c = (unsigned char)sm->text.p[i];
		if (isalnum(c))
			sm->textchars++;
		if (isalpha(c)) {
			sm->letters++;
			if (isupper(c))
				sm->upper++;
		}
	}
	return rc;
}
