/* unpack: the members of one container (zip, tar and its compressors, 7z,
 * rar, cab, iso, cpio, ar, lha, arj, xar, and single-file compressors)
 * through libarchive, read from memory, one member at a time under the
 * limits of mime.h: bytes per member, bytes in total, expansion ratio,
 * members in total, time.  Encrypted members and archives are reported,
 * never skipped in silence.  Member names are data: they are handed out as
 * they came (UTF-8 where libarchive can), flagged when they could act as a
 * path or fool a reader, and never used to open anything.
 *
 * Named unpack, not archive, so that lib/ never shadows libarchive's own
 * <archive.h>.  Library code: never exits; prints only the one warning
 * of archive_dl.c when libarchive cannot be loaded. */
#ifndef PORTCULLIS_UNPACK_H
#define PORTCULLIS_UNPACK_H
#include <stddef.h>
#include <time.h>
#include "mime.h"

/* Below this a member is never called a bomb whatever its ratio: small
 * files of zeros compress 1000 to 1 and are harmless. */
#define UNPACK_RATIO_FLOOR (1024UL * 1024)

struct unpack_member {
	const char *name;     /* as the container has it, "" when none */
	const char *format;   /* libarchive's name of the container format */
	const char *data;     /* the member's bytes (NULL when encrypted) */
	size_t      len;
	unsigned    flags;    /* MIME_ENCRYPTED, MIME_CAPPED, MIME_RATIO,
	                       * MIME_BADNAME, MIME_CORRUPT */
};

/* 0 go on, 1 stop, -1 error. */
typedef int (*unpack_fn)(void *arg, const struct unpack_member *);

/* What is left of the message's budget, shared by all levels. */
struct unpack_budget {
	size_t bytes;         /* decoded bytes still allowed */
	size_t parts;         /* members still allowed */
	time_t deadline;      /* 0: none */
};

const char *unpack_sniff(const char *, size_t);
int  unpack_walk(const char *, size_t, const char *outer_name,
	const struct mime_limits *, struct unpack_budget *, unpack_fn,
	void *arg, unsigned *flags);
int  unpack_name_bad(const char *, size_t);

#endif
