/* add-disclaimer: the rewriter that appends the organisation's disclaimer
 * (control/disclaimer, and control/disclaimer.html for HTML parts) to
 * outbound mail, MIME-correct: inside the text/plain body in its own
 * charset and transfer encoding, before </body> in text/html, in both
 * parts of a multipart/alternative, else as a part of its own in a
 * multipart/mixed.  Attachments and signed parts are never touched, and a
 * message that already carries the disclaimer (a reply, a forward) is
 * left as it is.  With no control/disclaimer it copies every message
 * unchanged, so that it can stand in the default outbound chain.  The
 * message is untrusted; the control files are the administrator's.  Runs
 * under the uid of its caller; reads only the control directory and its
 * input, writes only stdout and stderr. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "charset.h"
#include "ctl.h"
#include "emit.h"
#include "encode.h"
#include "env.h"
#include "html2text.h"
#include "io.h"
#include "log.h"
#include "mimeout.h"
#include "msg.h"
#include "mtree.h"
#include "rewriter.h"
#include "sandbox.h"
#include "serve.h"
#include "verdict.h"

#define DISC_MAX   65536   /* bytes of a disclaimer file */
#define DISC_KEY   200     /* letters and digits the presence test compares */

struct disc {
	struct buf    text;     /* control/disclaimer, LF line ends, UTF-8 */
	struct buf    html;     /* control/disclaimer.html, or made from text */
	struct buf    key;      /* text's letters and digits, lower case */
	int           have;     /* control/disclaimer exists */
	int           ascii;    /* and is plain ASCII */
	struct rewriter w;      /* the frame, with the size cap */
	int           out;      /* outbound run */
	/* per message */
	const char   *base;
	const char   *eol;
	size_t        top;      /* the message's own header's offset */
	unsigned      added;    /* parts the disclaimer went into */
	const char   *how;      /* for the log line */
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: add-disclaimer [-C dir] [--direction in|out] [file]\n"
	    "       add-disclaimer [-C dir] --lint\n");
}

/* A control file read whole, byte for byte (a disclaimer's blank lines
 * and '#' are its text): 1 read, 0 missing, -1 error. */
static int
read_whole(const char *name, struct buf *b)
{
	char path[PATH_MAX], chunk[8192];
	ssize_t r;
	int fd;

	if ((size_t)snprintf(path, sizeof path, "%s/%s", ctl_dir(), name) >=
	    sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	ctl_watch(path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return errno == ENOENT ? 0 : -1;
	while ((r = io_read_some(fd, chunk, sizeof chunk)) > 0) {
		if (b->len + (size_t)r > DISC_MAX) {
			close(fd);
			log_detail(EFBIG, "%s is over %d bytes", path, DISC_MAX);
			errno = EFBIG;
			return -1;
		}
		if (buf_add(b, chunk, (size_t)r) == -1) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return r == 0 ? 1 : -1;
}

/* Letters and digits of s, lower case, bytes over 0x7f kept: text that
 * survives quoting ("> "), rewrapping and a change between HTML and
 * text, for the test whether a message already carries the disclaimer. */
static int
key_of(const char *s, size_t n, struct buf *out, size_t max)
{
	size_t i;

	for (i = 0; i < n && out->len < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
			if (buf_addc(out, c) == -1)
				return -1;
	}
	return 0;
}

/* UTF-8 text as ASCII HTML: markup escaped, every other character a
 * numeric reference, so that it fits any ASCII-compatible charset. */
static int
html_ascii(const char *s, size_t n, int escape, struct buf *out)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		unsigned long v;
		size_t k, need;
		if (c < 0x80) {
			int r = 0;
			if (escape && c == '<')
				r = buf_adds(out, "&lt;");
			else if (escape && c == '>')
				r = buf_adds(out, "&gt;");
			else if (escape && c == '&')
				r = buf_adds(out, "&amp;");
			else if (escape && c == '\n')
				r = buf_adds(out, "<br>\n");
			else
				r = buf_addc(out, c);
			if (r == -1)
				return -1;
			i++;
			continue;
		}
		need = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
		v = c & (0x3F >> need);
		for (k = 1; k <= need && i + k < n; k++)
			v = (v << 6) | ((unsigned char)s[i + k] & 0x3F);
		if (need == 0 || k <= need)
			v = 0xFFFD;
		if (buf_printf(out, "&#%lu;", v) == -1)
			return -1;
		i += k;
	}
	return 0;
}

/* control/disclaimer (required for anything to happen) and
 * control/disclaimer.html; a disclaimer that is not UTF-8 is taken as
 * Windows-1252, what a Windows editor writes.  Fatal (111) when one
 * exists but cannot be read. */
static int
load_control(struct disc *d)
{
	struct buf raw = BUF_INIT, h = BUF_INIT;
	size_t i;
	int r;

	if (rewriter_init(&d->w) == -1)
		return -1;
	if ((r = read_whole("disclaimer", &raw)) == -1) {
		log_fatal(errno, "unable to read %s/disclaimer", ctl_dir());
		return -1;
	}
	d->have = r == 1;
	if (!d->have)
		return 0;
	if (!charset_valid_utf8(raw.p ? raw.p : "", raw.len)) {
		struct buf u = BUF_INIT;
		if (charset_conv("WINDOWS-1252", "UTF-8", raw.p, raw.len, &u,
		    CHARSET_REPLACE) == -1) {
			log_fatal(errno, "unable to convert %s/disclaimer", ctl_dir());
			return -1;
		}
		buf_free(&raw);
		raw = u;
	}
	for (i = 0; i < raw.len; i++)
		if (raw.p[i] != '\r' && buf_addc(&d->text, raw.p[i]) == -1)
			goto oom;
	while (d->text.len && (d->text.p[d->text.len - 1] == '\n' ||
	    d->text.p[d->text.len - 1] == ' '))
		d->text.len--;
	/* an empty file adds nothing, rather than a blank line each time */
	if (d->text.len == 0) {
		d->have = 0;
		buf_free(&raw);
		return 0;
	}
	d->ascii = 1;
	for (i = 0; i < d->text.len; i++)
		if ((unsigned char)d->text.p[i] >= 0x80)
			d->ascii = 0;
	if (buf_addc(&d->text, '\n') == -1 ||
	    key_of(d->text.p, d->text.len, &d->key, DISC_KEY) == -1)
		goto oom;
	if ((r = read_whole("disclaimer.html", &h)) == -1) {
		log_fatal(errno, "unable to read %s/disclaimer.html", ctl_dir());
		return -1;
	}
	if (r == 1 ? html_ascii(h.p, h.len, 0, &d->html) == -1 :
	    (buf_adds(&d->html, "<div class=\"disclaimer\"><p>") == -1 ||
	    html_ascii(d->text.p, d->text.len, 1, &d->html) == -1 ||
	    buf_adds(&d->html, "</p></div>\n") == -1))
		goto oom;
	buf_free(&raw);
	buf_free(&h);
	return 0;
oom:
	log_fatal(errno, "unable to read the disclaimer");
	return -1;
}

/* Does text leaf t already carry the disclaimer?  1 yes, 0 no, -1. */
static int
carries(struct disc *d, const struct mtree *t)
{
	struct buf dec = BUF_INIT, u = BUF_INIT, r = BUF_INIT, k = BUF_INIT;
	struct html2text_stats st;
	const char *cs = t->charset[0] ? t->charset : "us-ascii";
	int rc = -1;

	if (mtree_decode(d->base, t, &dec, d->w.maxbytes) == -1)
		goto out;
	if (charset_is_utf8(cs) || strcasecmp(cs, "us-ascii") == 0 ||
	    charset_conv(cs, "UTF-8", dec.p, dec.len, &u, CHARSET_REPLACE) == -1) {
		buf_reset(&u);
		if (buf_add(&u, dec.p ? dec.p : "", dec.len) == -1)
			goto out;
	}
	if (mtree_is(t, "text/html")) {
		if (html2text(u.p ? u.p : "", u.len, &r, &st) == -1)
			goto out;
	} else if (buf_add(&r, u.p ? u.p : "", u.len) == -1)
		goto out;
	if (key_of(r.p ? r.p : "", r.len, &k, (size_t)-1) == -1)
		goto out;
	rc = d->key.len > 0 && k.len >= d->key.len &&
	    memmem(k.p, k.len, d->key.p, d->key.len) != NULL;
out:
	buf_free(&dec);
	buf_free(&u);
	buf_free(&r);
	buf_free(&k);
	return rc;
}

/* Is the disclaimer in any body text of t, outside attachments? */
static int
present(struct disc *d, const struct mtree *t)
{
	size_t i;
	int r;

	if (t->nkid == 0)
		return mtree_textual(t) ? carries(d, t) : 0;
	for (i = 0; i < t->nkid; i++)
		if (!t->kid[i].attach && (r = present(d, &t->kid[i])) != 0)
			return r;
	return 0;
}

/* The new header of a leaf whose body we rewrote: its fields but the
 * transfer encoding when it changed (and the type, when the charset
 * did), then ours; the message's own header gains a MIME-Version when it
 * becomes MIME. */
static int
leaf_head(struct disc *d, const struct mtree *t, enum decode_cte cte,
    const char *newcs, struct buf *out)
{
	static const char *const dcte[] = { "Content-Transfer-Encoding", NULL };
	static const char *const dboth[] = { "Content-Transfer-Encoding",
	    "Content-Type", NULL };
	int same = cte == t->cte && !newcs;

	if (mimeout_fields(out, &t->h, MIMEOUT_CONTENT | MIMEOUT_OTHER,
	    same ? NULL : newcs ? dboth : dcte) == -1)
		return -1;
	if (!same && t->off == d->top && hdr_find(&t->h, "MIME-Version", 0) < 0 &&
	    buf_printf(out, "MIME-Version: 1.0%s", d->eol) == -1)
		return -1;
	if (newcs && buf_printf(out, "Content-Type: %s; charset=%s%s", t->type,
	    newcs, d->eol) == -1)
		return -1;
	if (!same && buf_printf(out, "Content-Transfer-Encoding: %s%s",
	    decode_cte_name(cte), d->eol) == -1)
		return -1;
	return buf_adds(out, d->eol);
}

/* Where in HTML the disclaimer goes: before the last </body>, else the
 * last </html>, else the end. */
static size_t
html_spot(const char *s, size_t n)
{
	static const char *const tags[] = { "</body", "</html" };
	size_t k, i;

	for (k = 0; k < 2; k++)
		for (i = n; i >= 6; i--)
			if (strncasecmp(s + i - 6, tags[k], 6) == 0)
				return i - 6;
	return n;
}

/* The disclaimer into text leaf t, written to out.  1 done, 0 it cannot
 * go here (a charset we cannot write, a body we cannot decode), -1. */
static int
into_leaf(struct disc *d, const struct mtree *t, struct buf *out)
{
	struct buf dec = BUF_INIT, add = BUF_INIT, nt = BUF_INIT, u = BUF_INIT;
	const char *cs = t->charset[0] ? t->charset : "us-ascii", *newcs = NULL;
	const char *nl;
	enum decode_cte cte;
	int html = mtree_is(t, "text/html"), rc = -1;

	if (!charset_ascii_compat(cs))
		return 0;
	if (mtree_decode(d->base, t, &dec, d->w.maxbytes) == -1) {
		rc = errno == EFBIG ? 0 : -1;
		goto out;
	}
	/* decoded base64 text keeps its own line ends; the others are ours */
	nl = t->cte == DECODE_BASE64 && dec.len && memmem(dec.p, dec.len, "\r\n", 2)
	    ? "\r\n" : "\n";
	if (html) {
		size_t at = html_spot(dec.p ? dec.p : "", dec.len);
		if (buf_add(&nt, dec.p, at) == -1 ||
		    buf_add(&nt, d->html.p, d->html.len) == -1 ||
		    buf_add(&nt, dec.p + at, dec.len - at) == -1)
			goto out;
	} else {
		const char *body = dec.p ? dec.p : "";
		size_t blen = dec.len;
		if (charset_is_utf8(cs) || (strcasecmp(cs, "us-ascii") == 0 &&
		    d->ascii)) {
			if (buf_add(&add, d->text.p, d->text.len) == -1)
				goto out;
		} else if (charset_conv("UTF-8", cs, d->text.p, d->text.len, &add,
		    CHARSET_STRICT) == -1) {
			/* the disclaimer has characters the part's charset
			 * lacks: the part becomes UTF-8 */
			if (errno != EILSEQ && errno != EINVAL)
				goto out;
			buf_reset(&add);
			if (charset_conv(cs, "UTF-8", body, blen, &u,
			    CHARSET_STRICT) == -1) {
				rc = errno == EILSEQ || errno == EINVAL ? 0 : -1;
				goto out;
			}
			body = u.p ? u.p : "";
			blen = u.len;
			newcs = "utf-8";
			if (buf_add(&add, d->text.p, d->text.len) == -1)
				goto out;
		}
		if (buf_add(&nt, body, blen) == -1 ||
		    (blen && body[blen - 1] != '\n' && buf_adds(&nt, nl) == -1) ||
		    buf_adds(&nt, nl) == -1)
			goto out;
		/* the disclaimer's LF line ends as the part's */
		for (size_t i = 0; i < add.len; i++)
			if ((add.p[i] == '\n' ? buf_adds(&nt, nl) :
			    buf_addc(&nt, add.p[i])) == -1)
				goto out;
	}
	cte = mimeout_cte(t->cte, nt.p, nt.len);
	if (leaf_head(d, t, cte, newcs, out) == -1 ||
	    mimeout_body(out, cte, nt.p, nt.len, d->eol) == -1)
		goto out;
	d->added++;
	rc = 1;
out:
	buf_free(&dec);
	buf_free(&add);
	buf_free(&nt);
	buf_free(&u);
	return rc;
}

static int into(struct disc *, const struct mtree *, struct buf *);

/* A multipart written with some of its parts changed: the header, the
 * preamble and every delimiter line as they came.  which(k) says whether
 * part k gets the disclaimer; extra, when not NULL, is a new part added
 * before the close delimiter.  1 when anything went in, 0 when nothing
 * did (out is then left as it was), -1. */
static int
into_multi(struct disc *d, const struct mtree *t, int all,
    const struct buf *extra, struct buf *out)
{
	size_t k, pos = t->off, mark = out->len, end = t->off + t->len;
	int any = 0, r;

	for (k = 0; k < t->nkid; k++) {
		const struct mtree *c = &t->kid[k];
		if (buf_add(out, d->base + pos, c->off - pos) == -1)
			return -1;
		pos = c->off + c->len;
		if ((all || (k == 0 && !any)) && !c->attach) {
			size_t before = out->len;
			if ((r = into(d, c, out)) == -1)
				return -1;
			if (r == 1) {
				any = 1;
				continue;
			}
			out->len = before;
		}
		if (buf_add(out, d->base + c->off, c->len) == -1)
			return -1;
	}
	if (!any && extra) {
		if (buf_printf(out, "%s--%s%s", d->eol, t->boundary, d->eol) == -1 ||
		    buf_add(out, extra->p, extra->len) == -1)
			return -1;
		/* the part ends where the close delimiter's line end begins */
		if (out->len >= strlen(d->eol))
			out->len -= strlen(d->eol);
		any = 1;
		d->added++;
		if (pos == end && buf_printf(out, "%s--%s--%s", d->eol, t->boundary,
		    d->eol) == -1)
			return -1;
	}
	if (!any) {
		out->len = mark;
		return 0;
	}
	return buf_add(out, d->base + pos, end - pos) == -1 ? -1 : 1;
}

/* The disclaimer as a part of its own, header and body, into out. */
static int
own_part(struct disc *d, struct buf *out)
{
	int eight, longl;
	enum decode_cte cte;

	encode_needs(d->text.p, d->text.len, &eight, &longl);
	cte = eight || longl ? DECODE_QP : DECODE_7BIT;
	if (buf_printf(out, "Content-Type: text/plain; charset=%s%s"
	    "Content-Transfer-Encoding: %s%sContent-Disposition: inline%s%s",
	    eight ? "utf-8" : "us-ascii", d->eol, decode_cte_name(cte), d->eol,
	    d->eol, d->eol) == -1)
		return -1;
	return mimeout_body(out, cte, d->text.p, d->text.len, d->eol);
}

/* The disclaimer into entity t (a part or, with its header, the message),
 * written whole to out.  1 done, 0 it has no place for one, -1. */
static int
into(struct disc *d, const struct mtree *t, struct buf *out)
{
	struct buf extra = BUF_INIT;
	int r;

	if (t->attach || mtree_signed(t) || t->opaque)
		return 0;
	if (t->nkid == 0)
		return mtree_textual(t) ? into_leaf(d, t, out) : 0;
	if (mtree_is(t, "multipart/alternative"))
		return into_multi(d, t, 1, NULL, out);
	if (mtree_is(t, "multipart/related") || mtree_is(t, "multipart/report"))
		return into_multi(d, t, 0, NULL, out);
	if (own_part(d, &extra) == -1)
		return -1;
	r = into_multi(d, t, 0, &extra, out);
	buf_free(&extra);
	return r;
}

/* The message t wrapped: its header less the content fields, a
 * multipart/mixed of its own body (with those fields) and the
 * disclaimer.  A signed message stays verifiable: not a byte of it
 * changes. */
static int
wrap(struct disc *d, const struct msg *m, const struct mtree *t,
    struct buf *out)
{
	char b[MIMEOUT_BOUNDARY];
	size_t end = t->off + t->len;

	if (mimeout_boundary(m->raw.p, m->raw.len, b, sizeof b) == -1)
		return -1;
	if (buf_add(out, m->raw.p, m->from_len) == -1 ||
	    mimeout_fields(out, &t->h, MIMEOUT_OTHER, NULL) == -1 ||
	    (hdr_find(&t->h, "MIME-Version", 0) < 0 &&
	    buf_printf(out, "MIME-Version: 1.0%s", d->eol) == -1) ||
	    buf_printf(out, "Content-Type: multipart/mixed; boundary=\"%s\"%s%s"
	    "This is a message in MIME format.%s--%s%s", b, d->eol, d->eol,
	    d->eol, b, d->eol) == -1 ||
	    mimeout_fields(out, &t->h, MIMEOUT_CONTENT, NULL) == -1 ||
	    buf_adds(out, d->eol) == -1 ||
	    buf_add(out, d->base + t->body, end - t->body) == -1 ||
	    ((end == t->body || d->base[end - 1] != '\n') &&
	    buf_adds(out, d->eol) == -1) ||
	    buf_printf(out, "--%s%s", b, d->eol) == -1 ||
	    own_part(d, out) == -1 ||
	    buf_printf(out, "--%s--%s", b, d->eol) == -1)
		return -1;
	d->added++;
	return 0;
}

/* The rewritten message into out, or nothing when it stays as it was
 * (d->how says why).  0, or -1. */
static int
rewrite(struct disc *d, const struct msg *m, const struct hdr *h,
    struct buf *out)
{
	struct mtree t;
	int r, rc = -1;

	d->base = m->raw.p ? m->raw.p : "";
	d->eol = msg_eol(m);
	d->top = m->hdr_off;
	d->added = 0;
	if (!d->have) {
		d->how = "none";
		return 0;
	}
	if (!d->out) {
		d->how = "inbound";
		return 0;
	}
	if (h->flags & (HDR_TOOBIG | HDR_TOOMANY)) {
		d->how = "header-limits";
		return 0;
	}
	if (mtree_parse(&t, d->base, m->hdr_off, m->raw.len - m->hdr_off,
	    m->hdr_len, m->body_off) == -1)
		goto out;
	if ((r = present(d, &t)) == -1)
		goto out;
	if (r == 1) {
		d->how = "present";
		rc = 0;
		goto out;
	}
	if (mtree_is(&t, "multipart/report")) {
		d->how = "report";
		rc = 0;
		goto out;
	}
	if (buf_add(out, d->base, m->from_len) == -1 ||
	    (r = into(d, &t, out)) == -1)
		goto out;
	if (r == 0) {
		buf_reset(out);
		if (wrap(d, m, &t, out) == -1)
			goto out;
		d->how = mtree_signed(&t) ? "wrapped-signed" : "wrapped";
	} else
		d->how = "added";
	rc = 0;
out:
	mtree_free(&t);
	return rc;
}

static int
set_direction(struct disc *d, const char *arg)
{
	const char *s = arg ? arg : getenv("DIRECTION");
	enum env_dir e = ENV_DIR_OUT;
	char c[64];

	if (s && *s && env_dir_parse(s, &e) == -1) {
		log_clean(c, sizeof c, s, strlen(s));
		log_fatal(0, "direction must be in or out, not %s", c);
		return -1;
	}
	d->out = e != ENV_DIR_IN;
	return 0;
}

/* The frame's callback (rewriter.h): the rewrite and the log fields. */
static int
frame(void *arg, const struct msg *m, const struct hdr *h, struct buf *out,
    char *sum, size_t n)
{
	struct disc *d = arg;

	if (rewrite(d, m, h, out) == -1)
		return -1;
	snprintf(sum, n, "disclaimer=%s parts=%u", d->how, d->added);
	return 0;
}

struct job {
	struct disc *d;
	const char  *dirarg;
};

static int
serve_one(void *arg)
{
	struct job *j = arg;
	char q[64];

	rewriter_qid(q, sizeof q);
	if (set_direction(j->d, j->dirarg) == -1)
		return EXIT_TEMP;
	return rewriter_one(&j->d->w, NULL, q);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "direction", required_argument, NULL, 'd' },
		{ "serve", no_argument, NULL, 'S' },
		{ "lint", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct disc d;
	const char *dirarg = NULL;
	char q[64];
	int ch, serve = 0, lint = 0, rc;

	log_init("add-disclaimer");
	memset(&d, 0, sizeof d);
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "C:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'C': ctl_set_dir(optarg); break;
		case 'd': dirarg = optarg; break;
		case 'S': serve = 1; break;
		case 'L': lint = 1; break;
		case 'h': usage(stdout); return EXIT_PASS;
		default: usage(stderr); return EXIT_TEMP;
		}
	}
	if (argc - optind > (serve ? 0 : 1)) {
		usage(stderr);
		return EXIT_TEMP;
	}
	rewriter_qid(q, sizeof q);
	d.w.toobig = "disclaimer=too-big";
	d.w.rewrite = frame;
	d.w.arg = &d;
	if (set_direction(&d, dirarg) == -1 || load_control(&d) == -1)
		return EXIT_TEMP;
	if (lint) {
		/* every setting was read above, or we said which not */
		printf("add-disclaimer: configuration in %s ok\n", ctl_dir());
		return EXIT_PASS;
	}
	if (sandbox_tool() == -1) {
		log_fatal(errno, "unable to give up exec");
		return EXIT_TEMP;
	}
	if (serve) {
		struct job j = { &d, dirarg };
		rc = serve_loop(serve_one, &j);
	} else
		rc = rewriter_one(&d.w, optind < argc ? argv[optind] : NULL, q);
	buf_free(&d.text);
	buf_free(&d.html);
	buf_free(&d.key);
	return rc;
}
