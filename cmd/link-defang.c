/* link-defang: the rewriter that makes the links of a message safe to
 * read (the seed blog's policy: when a message has links, reduce it to
 * plain text so that nobody clicks by accident).  Every HTML body part is
 * rendered to readable text, with each link's real target written beside
 * its text so that a link that lies about where it goes is exposed, and
 * the HTML alternative goes; every link in the text is written
 * "hxxps://www[.]example[.]com/path".  Attachments are copied byte for
 * byte.  Senders in control/defangskip are left alone; signed or
 * encrypted mail follows control/signedpolicy (left alone, or wrapped
 * whole as an attachment), never broken.  The message is untrusted; the
 * control files are the administrator's.  Runs under the uid of its
 * caller; reads only the control directory and its input, writes only
 * stdout and stderr. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "charset.h"
#include "ctl.h"
#include "defang.h"
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

#define OWN_HEADER "X-Portcullis-Link-Defang"

enum signed_policy { SIGNED_LEAVE, SIGNED_WRAP };

struct defang {
	struct ctl_list    skip;     /* control/defangskip */
	enum signed_policy sp;       /* control/signedpolicy */
	struct rewriter    w;        /* the frame, with the size cap */
	const char        *sender;   /* --sender */
	/* per message */
	const char        *base, *eol;
	size_t             links, html, shown, hidden, signedparts;
};

/* A part rewritten: its Content-* fields and its encoded body. */
struct part {
	struct buf head, body;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: link-defang [-C dir] [--sender addr] [file]\n"
	    "       link-defang [-C dir] --lint\n");
}

/* control/databytes, header limits, control/defangskip and
 * control/signedpolicy ("leave" or "wrap"); fatal (111) when unreadable
 * or wrong. */
static int
load_control(struct defang *d)
{
	char sp[32];

	if (rewriter_init(&d->w) == -1)
		return -1;
	if (ctl_lines("defangskip", &d->skip) == -1) {
		log_fatal(errno, "unable to read %s/defangskip", ctl_dir());
		return -1;
	}
	if (ctl_string("signedpolicy", "leave", sp, sizeof sp) == -1) {
		log_fatal(errno, "unable to read %s/signedpolicy", ctl_dir());
		return -1;
	}
	if (strcmp(sp, "leave") == 0)
		d->sp = SIGNED_LEAVE;
	else if (strcmp(sp, "wrap") == 0)
		d->sp = SIGNED_WRAP;
	else {
		char c[64];
		log_clean(c, sizeof c, sp, strlen(sp));
		log_fatal(0, "%s/signedpolicy: leave or wrap, not %s", ctl_dir(), c);
		return -1;
	}
	return 0;
}

/* Is the sender one of control/defangskip: an address, "@domain" or
 * "domain" for a domain, ".domain" for its subdomains (case ignored)? */
static int
skipped(const struct defang *d, const char *sender)
{
	const char *at;
	size_t i, dl;

	if (sender == NULL || *sender == '\0' || (at = strrchr(sender, '@')) == NULL)
		return 0;
	dl = strlen(at + 1);
	for (i = 0; i < d->skip.n; i++) {
		const char *v = d->skip.v[i];
		size_t vl = strlen(v);
		if (strcasecmp(v, sender) == 0 ||
		    (v[0] == '@' && strcasecmp(v + 1, at + 1) == 0) ||
		    (!strchr(v, '@') && v[0] != '.' && strcasecmp(v, at + 1) == 0) ||
		    (v[0] == '.' && dl > vl && strcasecmp(at + 1 + dl - vl, v) == 0))
			return 1;
	}
	return 0;
}

/* Does entity t hold a link a reader could click, outside attachments
 * (and, unless through, outside signed parts)?  What is encrypted
 * (S/MIME's application/pkcs7-mime) may: 1. */
static int
has_links(struct defang *d, const struct mtree *t, int through)
{
	struct buf dec = BUF_INIT;
	size_t i;
	int r = 0;

	if (mtree_signed(t) && through && t->nkid == 0)
		return 1;
	if (t->attach || (mtree_signed(t) && !through))
		return 0;
	if (t->nkid) {
		for (i = 0; i < t->nkid && !r; i++)
			r = has_links(d, &t->kid[i], through);
		return r;
	}
	if (!mtree_textual(t))
		return 0;
	if (mtree_decode(d->base, t, &dec, d->w.maxbytes) == -1)
		return errno == EFBIG ? 0 : -1;
	r = defang_count(dec.p ? dec.p : "", dec.len) > 0 ||
	    (mtree_is(t, "text/html") && dec.len &&
	    memmem(dec.p, dec.len, "href", 4) != NULL);
	buf_free(&dec);
	return r;
}

/* The decoded text of leaf t in UTF-8 into out, for rendering: its
 * charset, else UTF-8 when it is valid UTF-8, else Windows-1252 (what an
 * undeclared 8-bit HTML part is, in practice). */
static int
utf8_text(struct defang *d, const struct mtree *t, struct buf *out)
{
	struct buf dec = BUF_INIT;
	const char *cs = t->charset;
	int rc = -1;

	if (mtree_decode(d->base, t, &dec, d->w.maxbytes) == -1)
		goto out;
	if (cs[0] == '\0' || strcmp(cs, "us-ascii") == 0)
		cs = charset_valid_utf8(dec.p ? dec.p : "", dec.len) ? "utf-8" :
		    "windows-1252";
	if (charset_is_utf8(cs) && charset_valid_utf8(dec.p ? dec.p : "", dec.len))
		rc = buf_add(out, dec.p ? dec.p : "", dec.len);
	else if ((rc = charset_conv(cs, "UTF-8", dec.p ? dec.p : "", dec.len, out,
	    CHARSET_REPLACE)) == -1 && errno == EINVAL)
		/* a charset iconv does not know */
		rc = charset_conv("WINDOWS-1252", "UTF-8", dec.p ? dec.p : "",
		    dec.len, out, CHARSET_REPLACE);
out:
	buf_free(&dec);
	return rc;
}

/* New UTF-8 text s as a text/plain part in p. */
static int
text_part(struct defang *d, const char *s, size_t n, enum decode_cte was,
    struct part *p)
{
	enum decode_cte cte = mimeout_cte(was == DECODE_BASE64 ? DECODE_7BIT :
	    was, s, n);
	int eight, longl;

	encode_needs(s, n, &eight, &longl);
	if (buf_printf(&p->head, "Content-Type: text/plain; charset=%s%s"
	    "Content-Transfer-Encoding: %s%s", eight ? "utf-8" : "us-ascii",
	    d->eol, decode_cte_name(cte), d->eol) == -1)
		return -1;
	return mimeout_body(&p->body, cte, s, n, d->eol);
}

/* An HTML leaf: rendered, its links defanged, as text/plain. */
static int
html_leaf(struct defang *d, const struct mtree *t, struct part *p)
{
	struct buf u = BUF_INIT, txt = BUF_INIT, out = BUF_INIT;
	struct html2text_stats st;
	size_t n;
	int rc = -1;

	if (utf8_text(d, t, &u) == -1 ||
	    html2text(u.p ? u.p : "", u.len, &txt, &st) == -1 ||
	    defang_text(txt.p ? txt.p : "", txt.len, &out, &n) == -1)
		goto out;
	d->links += n;
	d->html++;
	d->shown += st.shown;
	d->hidden += st.hidden;
	if (mimeout_fields(&p->head, &t->h, MIMEOUT_CONTENT,
	    (const char *const[]){ "Content-Type", "Content-Transfer-Encoding",
	    "Content-Length", NULL }) == -1 ||
	    text_part(d, out.p ? out.p : "", out.len, DECODE_7BIT, p) == -1)
		goto out;
	rc = 1;
out:
	buf_free(&u);
	buf_free(&txt);
	buf_free(&out);
	return rc;
}

/* A text/plain leaf: its links defanged in its own charset and encoding
 * (UTF-8 when its charset is not ASCII-compatible).  0 when it has none. */
static int
text_leaf(struct defang *d, const struct mtree *t, struct part *p)
{
	struct buf dec = BUF_INIT, out = BUF_INIT;
	const char *const dct[] = { "Content-Type", "Content-Transfer-Encoding",
	    NULL };
	int compat = charset_ascii_compat(t->charset), rc = -1;
	enum decode_cte cte;
	size_t n;

	if ((compat ? mtree_decode(d->base, t, &dec, d->w.maxbytes) :
	    utf8_text(d, t, &dec)) == -1 ||
	    defang_text(dec.p ? dec.p : "", dec.len, &out, &n) == -1)
		goto out;
	if (n == 0) {
		rc = 0;
		goto out;
	}
	d->links += n;
	if (!compat) {
		if (mimeout_fields(&p->head, &t->h, MIMEOUT_CONTENT, dct) == -1 ||
		    text_part(d, out.p, out.len, t->cte, p) == -1)
			goto out;
		rc = 1;
		goto out;
	}
	cte = mimeout_cte(t->cte, out.p, out.len);
	if (mimeout_fields(&p->head, &t->h, MIMEOUT_CONTENT, dct + 1) == -1 ||
	    buf_printf(&p->head, "Content-Transfer-Encoding: %s%s",
	    decode_cte_name(cte), d->eol) == -1 ||
	    mimeout_body(&p->body, cte, out.p, out.len, d->eol) == -1)
		goto out;
	rc = 1;
out:
	buf_free(&dec);
	buf_free(&out);
	return rc;
}

static int entity(struct defang *, const struct mtree *, struct part *);

/* Entity t written whole as a part (its other fields, then p's), or as it
 * came when unchanged (changed == 0). */
static int
put_entity(struct defang *d, const struct mtree *t, int changed,
    const struct part *p, struct buf *out)
{
	if (!changed)
		return buf_add(out, d->base + t->off, t->len);
	if (mimeout_fields(out, &t->h, MIMEOUT_OTHER, NULL) == -1 ||
	    buf_add(out, p->head.p, p->head.len) == -1 ||
	    buf_adds(out, d->eol) == -1)
		return -1;
	return buf_add(out, p->body.p, p->body.len);
}

/* A multipart with its parts rewritten one by one into p->body, every
 * delimiter line as it came; newtype, when not NULL, replaces its type
 * (multipart/related, whose HTML root is gone, becomes mixed). */
static int
multi(struct defang *d, const struct mtree *t, const char *newtype,
    struct part *p)
{
	size_t k, pos = t->body, end = t->off + t->len;
	int any = 0, r;

	for (k = 0; k < t->nkid; k++) {
		const struct mtree *c = &t->kid[k];
		struct part cp = { BUF_INIT, BUF_INIT };
		if (buf_add(&p->body, d->base + pos, c->off - pos) == -1)
			return -1;
		pos = c->off + c->len;
		if ((r = entity(d, c, &cp)) == -1 ||
		    put_entity(d, c, r, &cp, &p->body) == -1) {
			buf_free(&cp.head);
			buf_free(&cp.body);
			return -1;
		}
		any |= r;
		buf_free(&cp.head);
		buf_free(&cp.body);
	}
	if (buf_add(&p->body, d->base + pos, end - pos) == -1)
		return -1;
	if (newtype && strpbrk(t->boundary, "\"\\") == NULL) {
		any = 1;
		if (mimeout_fields(&p->head, &t->h, MIMEOUT_CONTENT,
		    (const char *const[]){ "Content-Type", NULL }) == -1 ||
		    buf_printf(&p->head, "Content-Type: %s; boundary=\"%s\"%s",
		    newtype, t->boundary, d->eol) == -1)
			return -1;
	} else if (mimeout_fields(&p->head, &t->h, MIMEOUT_CONTENT, NULL) == -1)
		return -1;
	return any;
}

/* The alternative a reader's client shows: the last HTML one (alone or as
 * the root of a multipart/related), else the last plain text one. */
static const struct mtree *
shown_alternative(const struct mtree *t)
{
	const struct mtree *best = NULL;
	size_t k;

	for (k = 0; k < t->nkid; k++) {
		const struct mtree *c = &t->kid[k];
		if (c->attach || mtree_signed(c))
			continue;
		if ((mtree_is(c, "text/html") && mtree_textual(c)) ||
		    (mtree_is(c, "multipart/related") && c->nkid &&
		    mtree_is(&c->kid[0], "text/html")))
			best = c;
		else if (mtree_is(c, "text/plain") && mtree_textual(c) &&
		    (best == NULL || mtree_is(best, "text/plain")))
			best = c;
	}
	return best;
}

/* Entity t rewritten into p (its Content-* fields and body): 1 changed,
 * 0 unchanged (p unused: copy it as it came), -1. */
static int
entity(struct defang *d, const struct mtree *t, struct part *p)
{
	const struct mtree *c;
	int r;

	if (t->attach || t->opaque)
		return 0;
	if (mtree_signed(t)) {
		d->signedparts++;
		return 0;
	}
	if (t->nkid == 0) {
		if (!mtree_textual(t))
			return 0;
		return mtree_is(t, "text/html") ? html_leaf(d, t, p) :
		    text_leaf(d, t, p);
	}
	if (mtree_is(t, "multipart/alternative") &&
	    (c = shown_alternative(t)) != NULL) {
		/* the alternative becomes the one shown, rewritten */
		if ((r = entity(d, c, p)) == -1)
			return -1;
		if (r == 0 && (mimeout_fields(&p->head, &c->h, MIMEOUT_CONTENT,
		    NULL) == -1 || buf_add(&p->body, d->base + c->body,
		    c->off + c->len - c->body) == -1))
			return -1;
		return 1;
	}
	if (mtree_is(t, "multipart/related") && t->nkid &&
	    mtree_is(&t->kid[0], "text/html"))
		return multi(d, t, "multipart/mixed", p);
	return multi(d, t, NULL, p);
}

/* The message wrapped whole as an attachment below a note (signed or
 * encrypted mail under signedpolicy wrap). */
static int
wrap(struct defang *d, const struct msg *m, const struct mtree *t,
    struct buf *out)
{
	char b[MIMEOUT_BOUNDARY];
	const char *orig = d->base + m->hdr_off;
	size_t olen = m->raw.len - m->hdr_off, i;
	struct buf head = BUF_INIT;
	int eight = 0, rc = 0;

	for (i = 0; i < olen && !eight; i++)
		eight = (unsigned char)orig[i] >= 0x80;
	if (mimeout_boundary(m->raw.p, m->raw.len, b, sizeof b) == -1)
		return -1;
	if (buf_printf(&head, "%s: pass 2.0.0 wrapped signed=1\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"%s\"\n"
	    "\nThis is a message in MIME format.\n--%s\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n"
	    "This message is signed or encrypted, so its links could not be\n"
	    "made safe without breaking it.  The original is attached: open it\n"
	    "only if you trust the sender.\n\n--%s\n"
	    "Content-Type: message/rfc822\n%s"
	    "Content-Disposition: attachment; filename=\"original.eml\"\n\n",
	    OWN_HEADER, b, b, b, eight ? "Content-Transfer-Encoding: 8bit\n" :
	    "") == -1)
		return -1;
	if (buf_add(out, d->base, m->from_len) == -1 ||
	    mimeout_fields(out, &t->h, MIMEOUT_OTHER,
	    (const char *const[]){ OWN_HEADER, "MIME-Version", NULL }) == -1 ||
	    encode_lines(head.p, head.len, d->eol, out) == -1 ||
	    buf_add(out, orig, olen) == -1 ||
	    ((olen == 0 || orig[olen - 1] != '\n') && buf_adds(out, d->eol) == -1) ||
	    buf_printf(out, "--%s--%s", b, d->eol) == -1)
		rc = -1;
	buf_free(&head);
	return rc;
}

/* The rewritten message into out, or nothing when it stays as it came
 * (*why says why).  0, or -1. */
static int
rewrite(struct defang *d, const struct msg *m, const struct hdr *h,
    const char *sender, struct buf *out, const char **why)
{
	struct mtree t;
	struct part p = { BUF_INIT, BUF_INIT };
	int r, rc = -1;

	d->base = m->raw.p ? m->raw.p : "";
	d->eol = msg_eol(m);
	d->links = d->html = d->shown = d->hidden = d->signedparts = 0;
	if (skipped(d, sender)) {
		*why = "skipped";
		return 0;
	}
	if (h->flags & (HDR_TOOBIG | HDR_TOOMANY)) {
		*why = "header-limits";
		return 0;
	}
	if (mtree_parse(&t, d->base, m->hdr_off, m->raw.len - m->hdr_off,
	    m->hdr_len, m->body_off) == -1)
		goto out;
	if (mtree_signed(&t)) {
		d->signedparts = 1;
		if ((r = has_links(d, &t, 1)) <= 0) {
			*why = "no-links";
			rc = r;
			goto out;
		}
		*why = d->sp == SIGNED_WRAP ? "signed-wrapped" : "signed-left";
		rc = d->sp == SIGNED_WRAP ? wrap(d, m, &t, out) : 0;
		goto out;
	}
	if ((r = has_links(d, &t, 0)) <= 0) {
		*why = "no-links";
		rc = r;
		goto out;
	}
	if ((r = entity(d, &t, &p)) == -1)
		goto out;
	if (r == 0) {
		*why = "unchanged";
		rc = 0;
		goto out;
	}
	*why = "defanged";
	if (buf_add(out, d->base, m->from_len) == -1 ||
	    mimeout_fields(out, &t.h, MIMEOUT_OTHER,
	    (const char *const[]){ OWN_HEADER, NULL }) == -1 ||
	    (hdr_find(&t.h, "MIME-Version", 0) < 0 &&
	    buf_printf(out, "MIME-Version: 1.0%s", d->eol) == -1) ||
	    buf_printf(out, "%s: pass 2.0.0 links=%zu html=%zu shown=%zu%s",
	    OWN_HEADER, d->links, d->html, d->shown, d->eol) == -1 ||
	    buf_add(out, p.head.p, p.head.len) == -1 ||
	    buf_adds(out, d->eol) == -1 ||
	    buf_add(out, p.body.p, p.body.len) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&p.head);
	buf_free(&p.body);
	mtree_free(&t);
	return rc;
}

/* The frame's callback (rewriter.h): the envelope sender for
 * defangskip, the rewrite, and the log fields. */
static int
frame(void *arg, const struct msg *m, const struct hdr *h, struct buf *out,
    char *sum, size_t n)
{
	struct defang *d = arg;
	struct envelope e;
	const char *why = "-";
	int rc = -1;

	memset(&e, 0, sizeof e);
	if (env_from_environ(&e) == -1 ||
	    (d->sender && env_set(&e.sender, d->sender) == -1))
		goto out;
	if (rewrite(d, m, h, e.sender, out, &why) == -1)
		goto out;
	snprintf(sum, n, "defang=%s links=%zu html=%zu shown=%zu hidden=%zu "
	    "signed=%zu", why, d->links, d->html, d->shown, d->hidden,
	    d->signedparts);
	rc = 0;
out:
	env_free(&e);
	return rc;
}

static int
serve_one(void *arg)
{
	struct defang *d = arg;
	char q[64];

	rewriter_qid(q, sizeof q);
	return rewriter_one(&d->w, NULL, q);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "sender", required_argument, NULL, 's' },
		{ "serve", no_argument, NULL, 'S' },
		{ "lint", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct defang d;
	char q[64];
	int ch, serve = 0, lint = 0, rc;

	log_init("link-defang");
	memset(&d, 0, sizeof d);
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "C:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'C': ctl_set_dir(optarg); break;
		case 's': d.sender = optarg; break;
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
	d.w.toobig = "defang=too-big";
	d.w.rewrite = frame;
	d.w.arg = &d;
	if (load_control(&d) == -1)
		return EXIT_TEMP;
	if (lint) {
		/* every setting was read above, or we said which not */
		printf("link-defang: configuration in %s ok\n", ctl_dir());
		return EXIT_PASS;
	}
	if (sandbox_tool() == -1) {
		log_fatal(errno, "unable to give up exec");
		return EXIT_TEMP;
	}
	rc = serve ? serve_loop(serve_one, &d) :
	    rewriter_one(&d.w, optind < argc ? argv[optind] : NULL, q);
	ctl_free(&d.skip);
	return rc;
}
