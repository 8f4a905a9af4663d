/* cdb: the constant database (see cdb.h).  Layout: 256 (position,
 * slots) pairs, then the records (key length, data length, key, data),
 * then 256 hash tables of (hash, record position) slots, all numbers
 * 32-bit little-endian.  The reader trusts nothing in the file: another
 * process wrote it, and a disk can return a half-written one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "cdb.h"

#define CDB_HEADER 2048
#define CDB_MAX    0xffffffffUL

uint32_t
cdb_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t h = 5381;

	while (n--)
		h = ((h << 5) + h) ^ *s++;
	return h;
}

static void
pack(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
}

static uint32_t
unpack(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

/* Start writing to f (a new, empty file): the header is written last. */
int
cdb_make_start(struct cdb_make *m, FILE *f)
{
	static const unsigned char zero[CDB_HEADER];

	memset(m, 0, sizeof *m);
	m->f = f;
	m->pos = CDB_HEADER;
	return fwrite(zero, 1, sizeof zero, f) == sizeof zero ? 0 : -1;
}

/* One record; -1 with EFBIG past the format's 4 GiB. */
int
cdb_make_add(struct cdb_make *m, const void *k, size_t kl, const void *d,
    size_t dl)
{
	unsigned char lens[8];
	struct cdb_hp *n;

	if (kl > CDB_MAX - 8 || dl > CDB_MAX - 8 - kl ||
	    (unsigned long)m->pos + 8 + kl + dl > CDB_MAX ||
	    m->n >= (CDB_MAX - CDB_HEADER) / 16) {
		errno = EFBIG;
		return -1;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		if ((n = reallocarray(m->hp, cap, sizeof *n)) == NULL)
			return -1;
		m->hp = n;
		m->cap = cap;
	}
	pack(lens, (uint32_t)kl);
	pack(lens + 4, (uint32_t)dl);
	if (fwrite(lens, 1, 8, m->f) != 8 || fwrite(k, 1, kl, m->f) != kl ||
	    (dl && fwrite(d, 1, dl, m->f) != dl))
		return -1;
	m->hp[m->n].h = cdb_hash(k, kl);
	m->hp[m->n].pos = m->pos;
	m->n++;
	m->pos += (uint32_t)(8 + kl + dl);
	return 0;
}

/* Write the 256 tables and the header, and flush.  The caller syncs and
 * renames the file into place. */
int
cdb_make_finish(struct cdb_make *m)
{
	unsigned char header[CDB_HEADER], slot[8];
	size_t count[256] = { 0 }, start[256], i, t, max = 0;
	struct cdb_hp *sorted = NULL, *table = NULL;
	int rc = -1;

	for (i = 0; i < m->n; i++)
		count[m->hp[i].h & 255]++;
	for (t = 0, i = 0; t < 256; t++) {
		start[t] = i;
		i += count[t];
		if (count[t] > max)
			max = count[t];
	}
	if ((sorted = calloc(m->n ? m->n : 1, sizeof *sorted)) == NULL ||
	    (table = calloc(max ? 2 * max : 1, sizeof *table)) == NULL)
		goto out;
	{
		size_t fill[256];
		memcpy(fill, start, sizeof fill);
		for (i = 0; i < m->n; i++)
			sorted[fill[m->hp[i].h & 255]++] = m->hp[i];
	}
	for (t = 0; t < 256; t++) {
		size_t len = 2 * count[t], j;
		if ((unsigned long)m->pos + len * 8 > CDB_MAX) {
			errno = EFBIG;
			goto out;
		}
		pack(header + t * 8, m->pos);
		pack(header + t * 8 + 4, (uint32_t)len);
		memset(table, 0, len * sizeof *table);
		for (i = 0; i < count[t]; i++) {
			const struct cdb_hp *e = &sorted[start[t] + i];
			j = (e->h >> 8) % len;
			while (table[j].pos)
				j = (j + 1) % len;
			table[j] = *e;
		}
		for (j = 0; j < len; j++) {
			pack(slot, table[j].h);
			pack(slot + 4, table[j].pos);
			if (fwrite(slot, 1, 8, m->f) != 8)
				goto out;
		}
		m->pos += (uint32_t)(len * 8);
	}
	if (fseek(m->f, 0, SEEK_SET) == -1 ||
	    fwrite(header, 1, sizeof header, m->f) != sizeof header ||
	    fflush(m->f) == EOF)
		goto out;
	rc = 0;
out:
	free(sorted);
	free(table);
	return rc;
}

void
cdb_make_free(struct cdb_make *m)
{
	free(m->hp);
	m->hp = NULL;
	m->n = m->cap = 0;
}

/* Map the file open on fd (the descriptor may be closed afterwards). */
int
cdb_open(struct cdb *c, int fd)
{
	struct stat st;
	void *p;

	memset(c, 0, sizeof *c);
	if (fstat(fd, &st) == -1)
		return -1;
	if (st.st_size < CDB_HEADER || (unsigned long long)st.st_size > CDB_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0)) ==
	    MAP_FAILED)
		return -1;
	c->map = p;
	c->size = (size_t)st.st_size;
	return 0;
}

/* Look key up: 1 found (*data, *dlen point into the map), 0 not there,
 * -1 with EINVAL when the file is damaged. */
int
cdb_find(const struct cdb *c, const void *k, size_t kl, const void **data,
    size_t *dlen)
{
	uint32_t h = cdb_hash(k, kl), tpos, tlen, j, n, sh, sp;
	const unsigned char *m = c->map;

	if (m == NULL)
		goto bad;
	tpos = unpack(m + (h & 255) * 8);
	tlen = unpack(m + (h & 255) * 8 + 4);
	if (tlen == 0)
		return 0;
	if ((unsigned long long)tpos + (unsigned long long)tlen * 8 > c->size)
		goto bad;
	j = (h >> 8) % tlen;
	for (n = 0; n < tlen; n++) {
		sh = unpack(m + tpos + j * 8);
		sp = unpack(m + tpos + j * 8 + 4);
		if (sp == 0)
			return 0;
		if (sh == h) {
			uint32_t rk, rd;
			if ((unsigned long long)sp + 8 > c->size)
				goto bad;
			rk = unpack(m + sp);
			rd = unpack(m + sp + 4);
			if ((unsigned long long)sp + 8 + rk + rd > c->size)
				goto bad;
			if (rk == kl && memcmp(m + sp + 8, k, kl) == 0) {
				*data = m + sp + 8 + rk;
				*dlen = rd;
				return 1;
			}
		}
		if (++j == tlen)
			j = 0;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

void
cdb_close(struct cdb *c)
{
	if (c->map)
		munmap((void *)c->map, c->size);
	c->map = NULL;
	c->size = 0;
}
