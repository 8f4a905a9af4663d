/* fuzz_smtp: the SMTP server's parsers on the fuzzer's bytes.  First the
 * DATA state machine alone, fed whole and then in chunks the input itself
 * chooses: both ways must agree on everything.  Then a whole session
 * (lib/door/smtp_session.c) reading the input as a client's bytes, in chunks,
 * with an in-memory queue: every reply must be a CRLF line starting with
 * a 3-digit code, and a committed message must hold no CR and no NUL (so
 * that no next hop can read its end differently). */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "smtp.h"
#include "smtp_data.h"
#include "smtp_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz {
	const uint8_t *p;
	size_t n, off;
	int greeted;
	struct buf out, msg;
	int open;
};

static ssize_t
f_read(void *ctx, void *b, size_t n, int ms)
{
	struct fz *f = ctx;
	size_t k;

	if (!f->greeted) {
		/* the pregreet check: the client waits for the banner */
		f->greeted = 1;
		errno = ETIMEDOUT;
		return -1;
	}
	if (f->off >= f->n)
		return 0;
	/* chunk size from the data itself, so that every split is tried */
	k = 1 + (f->p[f->off] % 64) * 7;
	if (k > f->n - f->off)
		k = f->n - f->off;
	if (k > n)
		k = n;
	memcpy(b, f->p + f->off, k);
	f->off += k;
	return (ssize_t)k;
}

static int
f_write(void *ctx, const void *b, size_t n)
{
	return buf_add(&((struct fz *)ctx)->out, b, n);
}

static int
f_open(void *ctx, char *id, size_t n)
{
	struct fz *f = ctx;

	f->open = 1;
	buf_reset(&f->msg);
	snprintf(id, n, "FUZZ");
	return 0;
}

static int
f_mwrite(void *ctx, const void *b, size_t n)
{
	struct fz *f = ctx;

	if (!f->open)
		abort();
	return buf_add(&f->msg, b, n);
}

static int
f_commit(void *ctx, const struct envelope *e, unsigned flags)
{
	struct fz *f = ctx;

	if (!f->open || e->nrcpt == 0 || e->sender == NULL)
		abort();
	if (memchr(f->msg.p ? f->msg.p : "", '\r', f->msg.len) ||
	    memchr(f->msg.p ? f->msg.p : "", '\0', f->msg.len))
		abort();
	f->open = 0;
	return 0;
}

static void
f_abort(void *ctx)
{
	((struct fz *)ctx)->open = 0;
}

static void
check_replies(const struct buf *o)
{
	size_t i = 0;

	while (i < o->len) {
		const char *nl = memchr(o->p + i, '\n', o->len - i);
		size_t l;
		if (nl == NULL)
			abort();
		l = (size_t)(nl - (o->p + i)) + 1;
		if (l < 6 || o->p[i] < '2' || o->p[i] > '5' || o->p[i + l - 2] != '\r' ||
		    (o->p[i + 3] != ' ' && o->p[i + 3] != '-'))
			abort();
		i += l;
	}
}

static void
data_machine(const uint8_t *p, size_t n)
{
	struct smtp_data_limits lim = { 4096, 1000, 512 };
	struct smtp_data a, b;
	struct buf ba = BUF_INIT, bb = BUF_INIT;
	size_t used, off = 0, k;
	int ra, rb = SMTP_DATA_MORE;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	smtp_data_begin(&a, &lim);
	smtp_data_begin(&b, &lim);
	ra = smtp_data_feed(&a, (const char *)p, n, &used);
	if (a.out.len)
		buf_add(&ba, a.out.p, a.out.len);
	while (off < n && rb == SMTP_DATA_MORE) {
		k = 1 + p[off] % 13;
		if (k > n - off)
			k = n - off;
		rb = smtp_data_feed(&b, (const char *)p + off, k, &k);
		off += k;
		if (b.out.len)
			buf_add(&bb, b.out.p, b.out.len);
		buf_reset(&b.out);
	}
	if (ra != rb || a.err != b.err || a.hdr.len != b.hdr.len ||
	    (a.hdr.len && memcmp(a.hdr.p, b.hdr.p, a.hdr.len)) || ba.len != bb.len ||
	    (ba.len && memcmp(ba.p, bb.p, ba.len)) || (ra != SMTP_DATA_MORE && used != off))
		abort();
	if (a.hdr.len > lim.maxhdr)
		abort();
	smtp_data_free(&a);
	smtp_data_free(&b);
	buf_free(&ba);
	buf_free(&bb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *ld[] = { "ourco.example", ".sub.ourco.example" };
	struct smtp_conf c;
	struct fz f;
	struct smtp_io io = { NULL, f_read, f_write, NULL, NULL, f_open, f_mwrite,
	    f_commit, f_abort, NULL };

	data_machine(data, size);
	smtp_conf_defaults(&c);
	c.localdomains = ld;
	c.nlocal = 2;
	c.maxerrors = 1000;
	c.databytes = 100000;
	memset(&f, 0, sizeof f);
	f.p = data;
	f.n = size;
	io.ctx = &f;
	smtp_session_run(&c, &io, "192.0.2.1", NULL);
	check_replies(&f.out);
	buf_free(&f.out);
	buf_free(&f.msg);
	return 0;
}
