/* avleaves: the leaves of a message for the engines (see avleaves.h).
 * Runs in virus-scan under the stage's uid, on a stranger's message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "avleaves.h"
#include "crypted.h"
#include "explode.h"

static void
octal(char *f, size_t w, unsigned long long v)
{
	size_t i = w - 1;

	f[i] = '\0';
	while (i-- > 0) {
		f[i] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

/* Member n of the archive: "leaf-N", mode 0644, data[0..len).  Names are
 * ours: a stranger's file name tells the engine nothing it needs. */
int
avleaves_tar_add(struct buf *t, size_t n, const char *data, size_t len)
{
	char h[512];
	unsigned sum = 0;
	size_t i, pad = (512 - len % 512) % 512;

	if (len > 077777777777ULL) {
		errno = EFBIG;
		return -1;
	}
	memset(h, 0, sizeof h);
	snprintf(h, 100, "leaf-%zu", n);
	octal(h + 100, 8, 0644);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, len);
	octal(h + 136, 12, 0);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (i = 0; i < sizeof h; i++)
		sum += (unsigned char)h[i];
	octal(h + 148, 7, sum);
	h[155] = ' ';
	if (buf_grow(t, sizeof h + len + pad) == -1 ||
	    buf_add(t, h, sizeof h) == -1 || buf_add(t, data, len) == -1)
		return -1;
	memset(h, 0, pad);
	return buf_add(t, h, pad);
}

/* The two zero blocks that end an archive (POSIX ustar). */
int
avleaves_tar_end(struct buf *t)
{
	char z[1024];

	memset(z, 0, sizeof z);
	return buf_add(t, z, sizeof z);
}

/* One leaf into the archive, within the cap.  0, or -1. */
static int
add(struct avleaves *l, const char *data, size_t len)
{
	if (l->bytes + len + 512 > l->cap) {
		l->skipped++;
		/* no engine sees a decrypted part but in the leaves */
		l->lostplain += l->inplain;
		return 0;
	}
	if (avleaves_tar_add(&l->tar, l->n, data, len) == -1)
		return -1;
	l->n++;
	l->bytes += len + 512;
	return 0;
}

/* An S/MIME part to the escrow keys: 1 decrypted into the next plain
 * buffer, 0 not ours (or no room, or too big), -1 error. */
static int
escrow(struct avleaves *l, const struct explode_item *it)
{
	int r;

	if (l->esc == NULL || l->esc->n == 0 || l->cap == 0 || it->data == NULL ||
	    l->nplain == AVLEAVES_PLAIN_MAX)
		return 0;
	r = escrow_decrypt(l->esc, it->data, it->len, l->lim->total,
	    &l->plain[l->nplain]);
	if (r == 1)
		l->nplain++;
	return r == -1 && errno == EFBIG ? 0 : r;
}

/* A leaf an engine reading the raw message may not reach: anything
 * below a container or out of an embedded encoding (a '/' in its
 * path), parts whose MIME a parser could read another way, and all of
 * a decrypted part. */
static int
on_item(void *arg, const struct explode_item *it)
{
	const unsigned odd = MIME_AMBIGUOUS | MIME_NOEND | MIME_NOBOUNDARY |
	    MIME_BADCTE | MIME_BADB64 | MIME_BADQP | MIME_NOHDR;
	struct avleaves *l = arg;
	const char *k = crypted_kind(it);
	int dec = 0;

	if (k && strcmp(k, "S/MIME enveloped-data") == 0 &&
	    (dec = escrow(l, it)) == -1)
		return -1;
	if (l->crypt == NULL && k && !dec) {
		struct buf e = BUF_INIT;
		l->crypt = k;
		if (explode_escape(it->path, strlen(it->path), &e) == -1)
			return -1;
		/* 50 containers deep: the end says where */
		snprintf(l->cpath, sizeof l->cpath, "%s%s", e.len > 200 ? "..." : "",
		    e.len > 200 ? e.p + e.len - 197 : e.p);
		buf_free(&e);
	}
	if (it->data == NULL || it->len == 0 || (!l->inplain &&
	    strchr(it->path, '/') == NULL && !(it->flags & odd)))
		return 0;
	return add(l, it->data, it->len);
}

int
avleaves_gather(struct avleaves *l, const char *msg, size_t len,
    const struct mime_limits *lim, size_t cap, const struct escrow *esc)
{
	struct explode_stats xs;
	size_t i;

	memset(l, 0, sizeof *l);
	l->cap = cap;
	l->esc = esc;
	l->lim = lim;
	if (explode_message(msg, len, lim, on_item, l, &xs) == -1)
		return -1;
	/* each decrypted part whole, and every leaf in it; one decrypted
	 * in there is walked in its turn */
	l->inplain = 1;
	for (i = 0; i < l->nplain; i++)
		if (add(l, l->plain[i].p, l->plain[i].len) == -1 ||
		    explode_message(l->plain[i].p, l->plain[i].len, lim, on_item,
		    l, &xs) == -1)
			return -1;
	return l->n ? avleaves_tar_end(&l->tar) : 0;
}

/* Wipe what was decrypted: it never outlives the verdict. */
void
avleaves_free(struct avleaves *l)
{
	size_t i;

	for (i = 0; i < AVLEAVES_PLAIN_MAX; i++) {
		if (l->plain[i].p)
			explicit_bzero(l->plain[i].p, l->plain[i].len);
		buf_free(&l->plain[i]);
	}
	if (l->nplain && l->tar.p)
		explicit_bzero(l->tar.p, l->tar.len);
	buf_free(&l->tar);
}
