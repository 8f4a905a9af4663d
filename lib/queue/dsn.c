/* dsn: the bounce message (see dsn.h).  Reply texts came from strangers
 * and were cleaned by smtpc; here they are still cut and kept on one
 * line so that no header can be injected into the report. */
#include <stdio.h>
#include <string.h>

#include "dsn.h"

/* The RFC 3463 status of a reply "550 5.1.1 text" (the enhanced code
 * when it has one, else made from the reply code: 5.0.0 or 4.0.0). */
int
dsn_status_of(const char *reply, char *st, size_t n)
{
	const char *p = reply;
	size_t k;

	while (*p && *p != ' ')
		p++;
	while (*p == ' ')
		p++;
	k = strspn(p, "0123456789.");
	if (k >= 5 && k < n && (p[0] == '2' || p[0] == '4' || p[0] == '5') &&
	    p[1] == '.' && (p[k] == ' ' || p[k] == '\0')) {
		memcpy(st, p, k);
		st[k] = '\0';
		return 0;
	}
	snprintf(st, n, "%c.0.0", reply[0] == '4' ? '4' : '5');
	return 0;
}

/* The reason the chain's stages gave for a verdict, from what they wrote
 * on standard error while the supervisor ran them: the first line
 * "TOOL: ... verdict=VERDICT ... reason=TEXT", the log line of the
 * checker frame and of header-strip (DESIGN.md, "Logging").  TEXT goes
 * into out cleaned to printable ASCII and cut to what fits; 0, or -1
 * when no stage gave that verdict a reason.  The stages are ours, but
 * TEXT quotes what they saw in a stranger's message: it is never more
 * than one line of printable text. */
int
dsn_stage_reason(const char *log, size_t n, const char *verdict, char *out,
    size_t outn)
{
	const char *p = log, *end = log + n, *eol, *v, *r;
	size_t vl = strlen(verdict), o;

	if (outn == 0)
		return -1;
	out[0] = '\0';
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		for (v = p; v + 9 + vl <= eol; v++)
			if (memcmp(v, " verdict=", 9) == 0 &&
			    memcmp(v + 9, verdict, vl) == 0 &&
			    (v + 9 + vl == eol || v[9 + vl] == ' '))
				break;
		if (v + 9 + vl > eol)
			continue;
		for (r = v; r + 8 <= eol && memcmp(r, " reason=", 8) != 0; r++)
			;
		if (r + 8 > eol)
			continue;
		for (r += 8, o = 0; r < eol && o + 1 < outn; r++)
			out[o++] = (unsigned char)*r >= 0x20 && *r != 0x7f &&
			    (unsigned char)*r < 0x80 ? *r : '?';
		while (o > 0 && out[o - 1] == ' ')
			o--;
		out[o] = '\0';
		return o ? 0 : -1;
	}
	return -1;
}

/* How much of p, the first n bytes of a message, a bounce carries: the
 * header section without the empty line that ends it (LF or CRLF), or,
 * when it does not end within p and more follows (more != 0), up to the
 * last whole line, with *cut set.  Reading at most DSN_HDR_MAX bytes and
 * asking this is all a bounce needs of the original, whatever its size. */
size_t
dsn_header_len(const char *p, size_t n, int more, int *cut)
{
	size_t i;

	*cut = 0;
	/* an empty line: LF or CRLF at the start of a line */
	for (i = 0; i < n; i++)
		if ((i == 0 || p[i - 1] == '\n') && (p[i] == '\n' ||
		    (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')))
			return i;
	if (!more)
		return n;
	*cut = 1;
	while (n > 0 && p[n - 1] != '\n')
		n--;
	return n;
}

/* Copy text as one header-safe line (no CR, LF or other control byte). */
static int
add_line(struct buf *b, const char *s)
{
	for (; *s; s++)
		if (buf_addc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s) == -1)
			return -1;
	return 0;
}

static void
rfc5322_date(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* The whole bounce, LF line ends (the queue's form). */
int
dsn_format(const struct dsn *d, time_t now, struct buf *b)
{
	char date[64], bound[96];
	size_t i;
	int r = 0;

	rfc5322_date(now, date, sizeof date);
	snprintf(bound, sizeof bound, "%lld/%s", (long long)now, d->me);
	r |= buf_printf(b, "From: Mail Delivery System <MAILER-DAEMON@%s>\n"
	    "To: <", d->me);
	r |= add_line(b, d->to);
	r |= buf_printf(b, ">\nSubject: Undelivered Mail Returned to Sender\n"
	    "Date: %s\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"%s\"\n\nThis is a MIME-encapsulated message.\n\n"
	    "--%s\nContent-Type: text/plain; charset=us-ascii\n\n"
	    "This is the mail gateway at %s.\n\n", date, bound, bound, d->me);
	r |= add_line(b, d->reason ? d->reason :
	    "Your message could not be delivered to one or more recipients.");
	if (d->hdr_cut)
		r |= buf_printf(b, "\n\nThe original header section was longer "
		    "than %d bytes; its start is attached.", DSN_HDR_MAX);
	r |= buf_adds(b, "\n\n");
	for (i = 0; i < d->n; i++) {
		r |= buf_adds(b, "<");
		r |= add_line(b, d->r[i].addr);
		r |= buf_adds(b, ">: ");
		r |= add_line(b, d->r[i].diag);
		r |= buf_adds(b, "\n");
	}
	rfc5322_date(d->arrival, date, sizeof date);
	r |= buf_printf(b, "\n--%s\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; %s\nX-Portcullis-Queue-ID: %s\n"
	    "Arrival-Date: %s\n", bound, d->me, d->qid ? d->qid : "-", date);
	for (i = 0; i < d->n; i++) {
		r |= buf_adds(b, "\nFinal-Recipient: rfc822; ");
		r |= add_line(b, d->r[i].addr);
		r |= buf_adds(b, "\nAction: failed\nStatus: ");
		r |= add_line(b, d->r[i].status);
		if (d->r[i].mta) {
			r |= buf_adds(b, "\nRemote-MTA: dns; ");
			r |= add_line(b, d->r[i].mta);
		}
		r |= buf_adds(b, "\nDiagnostic-Code: smtp; ");
		r |= add_line(b, d->r[i].diag);
		r |= buf_adds(b, "\n");
	}
	r |= buf_printf(b, "\n--%s\nContent-Type: text/rfc822-headers\n\n", bound);
	r |= buf_add(b, d->hdr, d->hdrlen);
	if (d->hdrlen && d->hdr[d->hdrlen - 1] != '\n')
		r |= buf_adds(b, "\n");
	r |= buf_printf(b, "\n--%s--\n", bound);
	return r ? -1 : 0;
}
