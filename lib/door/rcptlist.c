/* rcptlist: control/recipients and its index (see rcptlist.h).  The text
 * is the administrator's; the index lives in the queue directory, written
 * by the gateway's unprivileged uid, and is read as a stranger's file
 * (lib/core/cdb.c checks every offset).  Runs under smtpd-accept's uid. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ascii.h"
#include "buf.h"
#include "cdb.h"
#include "rcptlist.h"

/* The record naming the text an index was built from: a key no line can
 * give, as every key of a line holds '@' and no NUL. */
static const char META_KEY[] = "\0portcullis-recipients-v1";
#define META_KLEN (sizeof META_KEY - 1)

struct rcptlist {
	struct cdb  db;          /* the index, or */
	struct buf  keys;        /* the fallback: keys one after another, */
	size_t     *slot;        /* an open-addressing table of offsets+1 */
	size_t      nslot, nkeys;
	int         rebuilt;     /* this open rebuilt the index */
	char        fallback[PATH_MAX + 128];
};

/* One line of the text into its key: ASCII lower case, the domain's one
 * trailing dot dropped.  1 with a key, 0 for a blank or comment line, -1
 * (errno EINVAL) for a line that is no address: it has no '@', nothing
 * after it, white space or a control byte inside, or is too long. */
int
rcptlist_key(const char *s, size_t n, char *key, size_t ks)
{
	size_t a = 0, z, i, at = SIZE_MAX;

	for (z = 0; z < n; z++)   /* '#' at the start or after white space */
		if (s[z] == '#' && (z == 0 || s[z - 1] == ' ' || s[z - 1] == '\t'))
			break;
	while (a < z && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t' || s[z - 1] == '\r'))
		z--;
	if (z == a)
		return 0;
	if (z > a && s[z - 1] == '.')
		z--;
	if (z - a + 1 > ks || z - a + 1 > RCPTLIST_KEY_MAX)
		goto bad;
	for (i = a; i < z; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c == 0x7f)
			goto bad;
		if (c == '@')
			at = i;
		key[i - a] = (char)ascii_lower(c);
	}
	key[z - a] = '\0';
	if (at == SIZE_MAX || at + 1 == z || s[at + 1] == '.')
		goto bad;
	return 1;
bad:
	errno = EINVAL;
	return -1;
}

/* The meta record's value for a text in this state. */
static void
meta_of(const struct stat *st, char *out, size_t n)
{
	snprintf(out, n, "%llu %llu %lld %lld %ld",
	    (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
	    (long long)st->st_size, (long long)st->st_mtim.tv_sec,
	    (long)st->st_mtim.tv_nsec);
}

/* Read the text on fd line by line, handing each key to add.  0; -1 with
 * errno; -2 for a bad line (err says which). */
static int
read_text(int fd, int (*add)(void *, const char *, size_t), void *ctx,
    char *err, size_t errsize)
{
	FILE *f;
	char *line = NULL, key[RCPTLIST_KEY_MAX];
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	int r, rc = 0, dfd;

	if ((dfd = dup(fd)) == -1 || (f = fdopen(dfd, "r")) == NULL) {
		if (dfd != -1)
			close(dfd);
		return -1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (len && line[len - 1] == '\n')
			len--;
		if ((size_t)len > RCPTLIST_LINE_MAX || memchr(line, '\0', (size_t)len)) {
			snprintf(err, errsize, "line %lu: too long or holds a NUL", lineno);
			rc = -2;
			break;
		}
		if ((r = rcptlist_key(line, (size_t)len, key, sizeof key)) == -1) {
			snprintf(err, errsize, "line %lu: not an address or @domain",
			    lineno);
			rc = -2;
			break;
		}
		if (r == 1 && add(ctx, key, strlen(key)) == -1) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = -1;
	free(line);
	r = errno;
	fclose(f);
	errno = r;
	return rc;
}

static int
cdb_add_key(void *ctx, const char *k, size_t n)
{
	return cdb_make_add(ctx, k, n, "", 0);
}

/* Remove what builders killed midway left (index.tmp.PID): called with
 * the lock held, when no build is running. */
static void
remove_stale(const char *index)
{
	char dir[PATH_MAX], p[PATH_MAX], pre[NAME_MAX + 8];
	const char *base = strrchr(index, '/');
	struct dirent *e;
	DIR *d;

	if (base == NULL) {
		snprintf(dir, sizeof dir, ".");
		base = index;
	} else {
		snprintf(dir, sizeof dir, "%.*s", (int)(base - index), index);
		base++;
	}
	if ((size_t)snprintf(pre, sizeof pre, "%s.tmp.", base) >= sizeof pre ||
	    (d = opendir(dir[0] ? dir : "/")) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, pre, strlen(pre)) == 0 &&
		    (size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) < sizeof p)
			(void)unlink(p);
	closedir(d);
}

/* Build index from the text now, whatever is there: write a temporary
 * file beside it, sync, rename.  The caller holds the lock (index.lock),
 * so a temporary file found beside it is a killed builder's.  0; -1 with errno (the index
 * cannot be written); -2 for a bad line of the text (err says which). */
int
rcptlist_build(const char *text, const char *index, char *err, size_t errsize)
{
	char tmp[PATH_MAX], meta[128];
	struct cdb_make m;
	struct stat st;
	FILE *f = NULL;
	int fd, tfd = -1, rc, e;

	snprintf(err, errsize, "unknown error");
	remove_stale(index);
	if ((fd = open(text, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errsize, "%s: %s", text, strerror(errno));
		return -1;
	}
	/* the state before reading: a text changed while we read gives an
	 * index that names the older state, rebuilt at the next open */
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", index,
	    (long)getpid()) >= sizeof tmp) {
		close(fd);
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((tfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) == -1 || (f = fdopen(tfd, "w")) == NULL) {
		e = errno;
		snprintf(err, errsize, "unable to create %s: %s", tmp, strerror(e));
		if (tfd != -1) {
			close(tfd);
			unlink(tmp);
		}
		close(fd);
		errno = e;
		return -1;
	}
	meta_of(&st, meta, sizeof meta);
	if ((rc = cdb_make_start(&m, f)) == 0 &&
	    (rc = cdb_make_add(&m, META_KEY, META_KLEN, meta, strlen(meta))) == 0 &&
	    (rc = read_text(fd, cdb_add_key, &m, err, errsize)) == 0)
		rc = cdb_make_finish(&m);
	e = errno;
	if (rc == -1)
		snprintf(err, errsize, "unable to write %s: %s", tmp, strerror(e));
	/* synced before the rename: after a crash the name holds the old
	 * index or the whole new one */
	if (rc == 0 && fsync(tfd) == -1) {
		e = errno;
		snprintf(err, errsize, "unable to sync %s: %s", tmp, strerror(e));
		rc = -1;
	}
	if (fclose(f) == EOF && rc == 0) {
		e = errno;
		snprintf(err, errsize, "unable to write %s: %s", tmp, strerror(e));
		rc = -1;
	}
	cdb_make_free(&m);
	close(fd);
	if (rc == 0 && rename(tmp, index) == -1) {
		e = errno;
		snprintf(err, errsize, "unable to rename %s: %s", tmp, strerror(e));
		rc = -1;
	}
	if (rc != 0)
		unlink(tmp);
	errno = e;
	return rc;
}

/* Open the index when it was built from the text as st shows it: 1, or 0
 * when it is missing, stale or damaged. */
static int
open_fresh(const char *index, const struct stat *st, struct cdb *db)
{
	char meta[128];
	const void *d;
	size_t dl;
	int fd, r;

	if ((fd = open(index, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	r = cdb_open(db, fd);
	close(fd);
	if (r == -1)
		return 0;
	if (st == NULL)
		return 1;
	meta_of(st, meta, sizeof meta);
	if (cdb_find(db, META_KEY, META_KLEN, &d, &dl) == 1 &&
	    dl == strlen(meta) && memcmp(d, meta, dl) == 0)
		return 1;
	cdb_close(db);
	return 0;
}

/* Put offset+1 of a key into the table. */
static void
hash_put(size_t *slot, size_t nslot, const char *k, size_t off)
{
	size_t i = cdb_hash(k, strlen(k)) & (nslot - 1);

	while (slot[i])
		i = (i + 1) & (nslot - 1);
	slot[i] = off + 1;
}

/* One key into the fallback table, doubled when half full so that
 * probing stays short. */
static int
hash_add(void *ctx, const char *k, size_t n)
{
	struct rcptlist *l = ctx;
	size_t off = l->keys.len, i, *ns;

	if ((l->nkeys + 1) * 2 > l->nslot) {
		size_t nn = l->nslot ? l->nslot * 2 : 1024;
		if ((ns = calloc(nn, sizeof *ns)) == NULL)
			return -1;
		for (i = 0; i < l->nslot; i++)
			if (l->slot[i])
				hash_put(ns, nn, l->keys.p + l->slot[i] - 1,
				    l->slot[i] - 1);
		free(l->slot);
		l->slot = ns;
		l->nslot = nn;
	}
	if (buf_add(&l->keys, k, n) == -1 || buf_addc(&l->keys, '\0') == -1)
		return -1;
	hash_put(l->slot, l->nslot, l->keys.p + off, off);
	l->nkeys++;
	return 0;
}

/* Open the list: 1 with *out set, 0 when there is no text (every
 * recipient at a local domain is valid), -1 with err set: the text cannot
 * be read or has a bad line, or memory ran out.  An index that cannot be
 * written is no error: the text is read into memory and
 * rcptlist_fallback tells why. */
int
rcptlist_open(const char *text, const char *index, struct rcptlist **out,
    char *err, size_t errsize)
{
	struct rcptlist *l;
	struct stat st;
	char lockp[PATH_MAX], why[PATH_MAX + 128];
	int lfd = -1, r, fd;

	*out = NULL;
	if (stat(text, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errsize, "%s: %s", text, strerror(errno));
		return -1;
	}
	if ((l = calloc(1, sizeof *l)) == NULL) {
		snprintf(err, errsize, "%s", strerror(errno));
		return -1;
	}
	if (index && open_fresh(index, &st, &l->db)) {
		*out = l;
		return 1;
	}
	why[0] = '\0';
	if (index == NULL)
		snprintf(why, sizeof why, "no index configured");
	else if ((size_t)snprintf(lockp, sizeof lockp, "%s.lock", index) >=
	    sizeof lockp)
		snprintf(why, sizeof why, "%s.lock: %s", index, strerror(ENAMETOOLONG));
	else if ((lfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0644)) == -1 || flock(lfd, LOCK_EX) == -1)
		snprintf(why, sizeof why, "unable to lock %s: %s", lockp,
		    strerror(errno));
	else if (open_fresh(index, &st, &l->db)) {
		/* another process built it while we waited for the lock */
		close(lfd);
		*out = l;
		return 1;
	} else if ((r = rcptlist_build(text, index, why, sizeof why)) == 0 &&
	    open_fresh(index, NULL, &l->db)) {
		close(lfd);
		l->rebuilt = 1;
		*out = l;
		return 1;
	} else if (r == 0) {
		snprintf(why, sizeof why, "unable to open %s after building it",
		    index);
	} else if (r == -2) {
		close(lfd);
		snprintf(err, errsize, "%s %s", text, why);
		free(l);
		return -1;
	}
	if (lfd != -1)
		close(lfd);
	/* the index cannot be written: the text into memory, this once */
	snprintf(l->fallback, sizeof l->fallback, "%s", why[0] ? why :
	    "the index cannot be opened");
	if ((fd = open(text, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errsize, "%s: %s", text, strerror(errno));
		rcptlist_close(l);
		return -1;
	}
	r = read_text(fd, hash_add, l, why, sizeof why);
	close(fd);
	if (r != 0) {
		if (r == -1)
			snprintf(why, sizeof why, "%s", strerror(errno));
		snprintf(err, errsize, "%s %s", text, why);
		rcptlist_close(l);
		return -1;
	}
	*out = l;
	return 1;
}

/* Why the list is in memory instead of its index; NULL when indexed. */
const char *
rcptlist_fallback(const struct rcptlist *l)
{
	return l->fallback[0] ? l->fallback : NULL;
}

int
rcptlist_rebuilt(const struct rcptlist *l)
{
	return l->rebuilt;
}

/* Is this key (as rcptlist_key makes them) in the list?  1, 0, or -1
 * when the index is damaged. */
int
rcptlist_has(const struct rcptlist *l, const char *k, size_t n)
{
	const void *d;
	size_t dl, i;

	if (l->db.map)
		return cdb_find(&l->db, k, n, &d, &dl);
	if (l->nslot == 0)
		return 0;
	for (i = cdb_hash(k, n) & (l->nslot - 1); l->slot[i];
	    i = (i + 1) & (l->nslot - 1)) {
		const char *s = l->keys.p + l->slot[i] - 1;
		if (strncmp(s, k, n) == 0 && s[n] == '\0')
			return 1;
	}
	return 0;
}

/* Is local@domain valid?  Looked up as Postfix does, case-insensitive on
 * the whole address: the address, then without its extension (the part
 * from the first delimiter character, when the local part does not start
 * with one), then @domain.  1, 0, or -1 (damaged index, or an address too
 * long to be in the list). */
int
rcptlist_lookup(const struct rcptlist *l, const char *local,
    const char *domain, const char *delims)
{
	char key[RCPTLIST_KEY_MAX];
	size_t ll = strlen(local), dl = strlen(domain), i, ext = ll;
	int r;

	if (dl && domain[dl - 1] == '.')
		dl--;
	if (dl == 0 || dl + 2 > sizeof key)
		return 0;
	if (delims && *delims)
		for (i = 1; i < ll; i++)
			if (strchr(delims, local[i])) {
				ext = i;
				break;
			}
	if (ll + dl + 2 <= sizeof key) {
		for (i = 0; i < ll; i++)
			key[i] = (char)ascii_lower((unsigned char)local[i]);
		key[ll] = '@';
		for (i = 0; i < dl; i++)
			key[ll + 1 + i] = (char)ascii_lower((unsigned char)domain[i]);
		if ((r = rcptlist_has(l, key, ll + 1 + dl)) != 0)
			return r;
		if (ext < ll) {
			memmove(key + ext, key + ll, dl + 1);
			if ((r = rcptlist_has(l, key, ext + 1 + dl)) != 0)
				return r;
		}
	}
	key[0] = '@';
	for (i = 0; i < dl; i++)
		key[1 + i] = (char)ascii_lower((unsigned char)domain[i]);
	return rcptlist_has(l, key, dl + 1);
}

void
rcptlist_close(struct rcptlist *l)
{
	if (l == NULL)
		return;
	cdb_close(&l->db);
	buf_free(&l->keys);
	free(l->slot);
	free(l);
}
