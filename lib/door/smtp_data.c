/* smtp_data: the DATA state machine (see smtp_data.h).  Input is the
 * message text as a stranger sends it; memory held is the header section
 * (capped by maxhdr) plus one chunk of body, whatever the message size. */
#include <string.h>
#include <strings.h>

#include "hdr.h"
#include "smtp.h"
#include "smtp_data.h"

enum { S_BOL, S_DOT, S_DOTCR, S_MID, S_CR };

void
smtp_data_begin(struct smtp_data *d, const struct smtp_data_limits *lim)
{
	struct buf h = d->hdr, o = d->out;

	memset(d, 0, sizeof *d);
	d->lim = *lim;
	d->st = S_BOL;
	d->inhdr = 1;
	buf_reset(&h);
	buf_reset(&o);
	d->hdr = h;
	d->out = o;
}

void
smtp_data_free(struct smtp_data *d)
{
	buf_free(&d->hdr);
	buf_free(&d->out);
}

/* Nothing more is kept once the message is refused anyway. */
static int
keeping(const struct smtp_data *d)
{
	return (d->err & (SMTP_DATA_TOOBIG | SMTP_DATA_HDRBIG)) == 0;
}

static void
emit(struct smtp_data *d, char c)
{
	d->linechars++;
	if (++d->size > d->lim.maxbytes)
		d->err |= SMTP_DATA_TOOBIG;
	if (!keeping(d))
		return;
	if (d->inhdr) {
		if (d->hdr.len >= d->lim.maxhdr)
			d->err |= SMTP_DATA_HDRBIG;
		else if (buf_addc(&d->hdr, c) == -1)
			d->err |= SMTP_DATA_TOOBIG;   /* out of memory: refuse */
	} else if (buf_addc(&d->out, c) == -1)
		d->err |= SMTP_DATA_TOOBIG;
}

/* A CRLF: the end of one line of the message. */
static void
emit_eol(struct smtp_data *d)
{
	d->size += 2;
	if (d->size > d->lim.maxbytes)
		d->err |= SMTP_DATA_TOOBIG;
	if (d->line > d->lim.maxline)
		d->err |= SMTP_DATA_LONGLINE;
	if (d->inhdr && d->linechars == 0) {
		/* the empty line that ends the header section (RFC 5322 2.1) */
		d->inhdr = 0;
		d->hdr_done = 1;
		d->hdr_sep = 1;
	} else if (keeping(d)) {
		if (d->inhdr && d->hdr.len >= d->lim.maxhdr)
			d->err |= SMTP_DATA_HDRBIG;
		else if (buf_addc(d->inhdr ? &d->hdr : &d->out, '\n') == -1)
			d->err |= SMTP_DATA_TOOBIG;
	}
	d->line = 0;
	d->linechars = 0;
}

/* Feed n bytes.  Returns SMTP_DATA_MORE when all were taken,
 * SMTP_DATA_END when the end-of-data line was found (*used bytes, the
 * rest is the client's next command), SMTP_DATA_BAD on a bare LF or CR
 * (*used up to it; the caller must not read the rest as commands). */
int
smtp_data_feed(struct smtp_data *d, const char *p, size_t n, size_t *used)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];

		d->line++;
		if (c == '\0')
			d->err |= SMTP_DATA_NUL;
		switch (d->st) {
		case S_BOL:
			if (c == '.') {
				d->st = S_DOT;
				continue;
			}
			break;
		case S_DOT:
			if (c == '\r') {
				d->st = S_DOTCR;
				continue;
			}
			/* RFC 5321 4.5.2: a leading dot on a line with more
			 * on it is removed; the rest is ordinary text */
			break;
		case S_DOTCR:
			if (c == '\n') {
				*used = i + 1;
				if (d->inhdr) {
					d->inhdr = 0;
					d->hdr_done = 1;
				}
				return SMTP_DATA_END;
			}
			d->err |= SMTP_DATA_BARECR;
			*used = i;
			return SMTP_DATA_BAD;
		case S_CR:
			if (c == '\n') {
				emit_eol(d);
				d->st = S_BOL;
				continue;
			}
			d->err |= SMTP_DATA_BARECR;
			*used = i;
			return SMTP_DATA_BAD;
		default:
			break;
		}
		/* S_BOL, S_DOT and S_MID: in the text of a line */
		if (c == '\r') {
			d->st = S_CR;
			continue;
		}
		if (c == '\n') {
			d->err |= SMTP_DATA_BARELF;
			*used = i;
			return SMTP_DATA_BAD;
		}
		emit(d, c);
		d->st = S_MID;
	}
	*used = n;
	return SMTP_DATA_MORE;
}

/* The header section as it goes into the queue: every field copied byte
 * for byte except those only portcullis may write (smtp_hdr_is_own), and
 * the hops so far, Received and Delivered-To fields, as Postfix and qmail
 * count them for loop detection (RFC 5321 6.3).  0, or -1 (ENOMEM). */
int
smtp_data_filter(const char *h, size_t n, const char *me, struct buf *out,
    size_t *hops)
{
	struct hdr_limits lim = { n + 1, n + 1 };
	struct hdr hd;
	size_t i;
	int rc = 0;

	*hops = 0;
	if (hdr_parse(&hd, h, 0, n, &lim) == -1)
		return -1;
	for (i = 0; i < hd.n && rc == 0; i++) {
		const struct hdr_field *f = &hd.f[i];
		if (hdr_name_is(&hd, i, "Received") ||
		    hdr_name_is(&hd, i, "Delivered-To"))
			(*hops)++;
		if (f->name_len && smtp_hdr_is_own(h + f->off, f->name_len,
		    h + f->val_off, f->val_len, me))
			continue;
		rc = buf_add(out, h + f->off, f->len);
	}
	hdr_free(&hd);
	return rc;
}
