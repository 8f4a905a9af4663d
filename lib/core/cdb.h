/* cdb: D. J. Bernstein's constant database (cr.yp.to/cdb/cdb.txt), a
 * file of key/value records with a two-level hash index that is written
 * once and then read by any number of processes at one or two disk reads
 * per lookup.  The writer streams records to a file and keeps only each
 * key's hash and offset in memory (8 bytes per record); the reader maps
 * the file and checks every offset it follows against the file's size,
 * so that a truncated or damaged file is an error, never a crash.  Files
 * are limited to 4 GiB by the format.  Never prints, never exits. */
#ifndef PORTCULLIS_CDB_H
#define PORTCULLIS_CDB_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cdb_hp {
	uint32_t h, pos;
};

struct cdb_make {
	FILE          *f;
	uint32_t       pos;        /* where the next record goes */
	struct cdb_hp *hp;
	size_t         n, cap;
};

struct cdb {
	const unsigned char *map;
	size_t               size;
};

uint32_t cdb_hash(const void *, size_t);
int  cdb_make_start(struct cdb_make *, FILE *);
int  cdb_make_add(struct cdb_make *, const void *key, size_t klen,
	const void *data, size_t dlen);
int  cdb_make_finish(struct cdb_make *);
void cdb_make_free(struct cdb_make *);

int  cdb_open(struct cdb *, int fd);
int  cdb_find(const struct cdb *, const void *key, size_t klen,
	const void **data, size_t *dlen);
void cdb_close(struct cdb *);

#endif
