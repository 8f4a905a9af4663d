/* ctl: control and rule files (see ctl.h).  Control files are written by
 * the administrator but still read with a size cap; values are trimmed of
 * white space.  Runs under any uid. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "hdr.h"
#include "io.h"
#include "ip.h"
#include "log.h"

static const char *dir_override;

/* Every file ctl_watch was given, as it was then (st_ino 0: it
 * did not exist), so that a resident stage can tell that its
 * configuration changed (ctl_changed). */
struct watch {
	char           *path;
	dev_t           dev;
	ino_t           ino;
	off_t           size;
	struct timespec mtime, ctime;
};
static struct watch *watched;
static size_t nwatched;

static void
watch_stat(const char *path, struct watch *w)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		w->dev = 0;
		w->ino = 0;
		w->size = 0;
		memset(&w->mtime, 0, sizeof w->mtime);
		memset(&w->ctime, 0, sizeof w->ctime);
		return;
	}
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	w->size = st.st_size;
	w->mtime = st.st_mtim;
	w->ctime = st.st_ctim;
}

/* Remember path as it is now, for ctl_changed: ctl_read_path does it for
 * every file it reads; a reader of its own (an rbldnsd list) calls it.  A
 * failure only means the file goes unwatched. */
void
ctl_watch(const char *path)
{
	struct watch *n;
	size_t i;

	for (i = 0; i < nwatched; i++)
		if (strcmp(watched[i].path, path) == 0)
			return;
	if ((n = reallocarray(watched, nwatched + 1, sizeof *n)) == NULL)
		return;
	watched = n;
	if ((n[nwatched].path = strdup(path)) == NULL)
		return;
	watch_stat(path, &n[nwatched]);
	nwatched++;
}

/* 1 when a file read (or looked for) since the start has changed, come
 * or gone; else 0. */
int
ctl_changed(void)
{
	struct watch now;
	size_t i;

	for (i = 0; i < nwatched; i++) {
		watch_stat(watched[i].path, &now);
		if (now.dev != watched[i].dev || now.ino != watched[i].ino ||
		    now.size != watched[i].size ||
		    now.mtime.tv_sec != watched[i].mtime.tv_sec ||
		    now.mtime.tv_nsec != watched[i].mtime.tv_nsec ||
		    now.ctime.tv_sec != watched[i].ctime.tv_sec ||
		    now.ctime.tv_nsec != watched[i].ctime.tv_nsec)
			return 1;
	}
	return 0;
}

/* Forget every watched file, before a configuration is read afresh (the
 * door's workers keep theirs from session to session until it changes). */
void
ctl_watch_reset(void)
{
	size_t i;

	for (i = 0; i < nwatched; i++)
		free(watched[i].path);
	free(watched);
	watched = NULL;
	nwatched = 0;
}

/* Use this control directory (-C DIR) instead of the environment's. */
void
ctl_set_dir(const char *d)
{
	dir_override = d;
}

const char *
ctl_dir(void)
{
	const char *d = dir_override;

	if (d == NULL || *d == '\0')
		d = getenv("PORTCULLIS_CONTROL");
	return d && *d ? d : CTL_DEFAULT_DIR;
}

void
ctl_free(struct ctl_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->lineno);
	l->v = NULL;
	l->lineno = NULL;
	l->n = 0;
}

static int
push(struct ctl_list *l, const char *s, size_t n, unsigned lineno)
{
	char **nv;
	unsigned *nl;
	char *d;

	if ((nv = reallocarray(l->v, l->n + 1, sizeof *nv)) == NULL)
		return -1;
	l->v = nv;
	if ((nl = reallocarray(l->lineno, l->n + 1, sizeof *nl)) == NULL)
		return -1;
	l->lineno = nl;
	if ((d = strndup(s, n)) == NULL)
		return -1;
	l->v[l->n] = d;
	l->lineno[l->n++] = lineno;
	return 0;
}

/* Read one file into l.  Returns 1 when read, 0 when it does not exist (l
 * is empty), -1 on any other error (errno; EFBIG when over the cap). */
int
ctl_read_path(const char *path, struct ctl_list *l)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	ssize_t r;
	size_t i, start;
	unsigned lineno = 0;
	int fd, e;

	memset(l, 0, sizeof *l);
	ctl_watch(path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return errno == ENOENT ? 0 : -1;
	while ((r = io_read_some(fd, chunk, sizeof chunk)) > 0) {
		if (b.len + (size_t)r > CTL_MAX_BYTES) {
			errno = EFBIG;
			r = -1;
			break;
		}
		if (buf_add(&b, chunk, (size_t)r) == -1) {
			r = -1;
			break;
		}
	}
	e = errno;
	close(fd);
	if (r == -1) {
		buf_free(&b);
		errno = e;
		return -1;
	}
	snprintf(l->path, sizeof l->path, "%s", path);
	for (i = start = 0; i <= b.len; i++) {
		const char *s;
		size_t a, z;

		if (i < b.len && b.p[i] != '\n')
			continue;
		lineno++;
		s = b.p ? b.p + start : "";
		z = i - start;
		/* a comment: '#' at the start or after white space */
		for (a = 0; a < z; a++)
			if (s[a] == '#' && (a == 0 || s[a - 1] == ' ' || s[a - 1] == '\t'))
				break;
		z = a;
		a = 0;
		while (a < z && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t' || s[z - 1] == '\r'))
			z--;
		if (z > a && push(l, s + a, z - a, lineno) == -1) {
			buf_free(&b);
			ctl_free(l);
			return -1;
		}
		start = i + 1;
	}
	buf_free(&b);
	return 1;
}

/* A control directory named by -C or $PORTCULLIS_CONTROL must be there: a
 * typo in its name would otherwise start every program on its defaults
 * (an empty relayclients, the shipped rules) without a word.  Only the
 * default directory may be missing, which means every default
 * (DESIGN.md).  0, or -1 with errno and log_detail's words. */
static int
dir_named_ok(void)
{
	const char *d = ctl_dir(), *how;
	struct stat st;

	if (dir_override && *dir_override)
		how = "-C";
	else if (getenv("PORTCULLIS_CONTROL") && *getenv("PORTCULLIS_CONTROL"))
		how = "$PORTCULLIS_CONTROL";
	else
		return 0;
	if (strcmp(d, CTL_DEFAULT_DIR) == 0)
		return 0;
	if (stat(d, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
	} else if (errno != ENOENT && errno != ENOTDIR)
		return 0;   /* EACCES and the like: the file's own open says it */
	log_detail(errno, "the control directory %s named by %s %s", d, how,
	    errno == ENOTDIR ? "is not a directory" : "does not exist");
	return -1;
}

/* Control file name in the control directory; as ctl_read_path. */
int
ctl_lines(const char *name, struct ctl_list *l)
{
	char path[PATH_MAX];

	if (dir_named_ok() == -1) {
		memset(l, 0, sizeof *l);
		return -1;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/%s", ctl_dir(), name) >= sizeof path) {
		memset(l, 0, sizeof *l);
		errno = ENAMETOOLONG;
		return -1;
	}
	return ctl_read_path(path, l);
}

/* The first value of a control file, or def when missing or empty.
 * 0, or -1 on a read error or when it does not fit in out. */
int
ctl_string(const char *name, const char *def, char *out, size_t n)
{
	struct ctl_list l;
	const char *v;
	int r;

	if ((r = ctl_lines(name, &l)) == -1)
		return -1;
	v = l.n ? l.v[0] : def;
	if ((size_t)snprintf(out, n, "%s", v ? v : "") >= n) {
		ctl_free(&l);
		errno = ENAMETOOLONG;
		return -1;
	}
	ctl_free(&l);
	return 0;
}

/* The words for a value out of its bounds, for the log (log_detail):
 * the file, the line and the bounds, so that the administrator need not
 * guess; EINVAL. */
static int
bad_number(const char *name, const struct ctl_list *l, unsigned long min,
    unsigned long max, const char *hint)
{
	char v[80];

	log_clean(v, sizeof v, l->v[0], strlen(l->v[0]));
	log_detail(EINVAL, "control/%s line %u: \"%s\" is not a number from "
	    "%lu to %lu%s", name, l->lineno[0], v, min, max, hint);
	errno = EINVAL;
	return -1;
}

/* A number in [min, max] from a file, multiplied by 1024 for each of
 * K, M or G after it when sizes is set. */
static int
number(const char *name, unsigned long def, unsigned long min,
    unsigned long max, int sizes, unsigned long *out)
{
	static const char hint[] = " (K, M or G may follow: times 1024, "
	    "1024^2, 1024^3)";
	struct ctl_list l;
	unsigned long v, k = 1;
	const char *s;
	char *end;

	if (ctl_lines(name, &l) == -1)
		return -1;
	if (l.n == 0) {
		*out = def;
		ctl_free(&l);
		return 0;
	}
	s = l.v[0];
	errno = 0;
	v = strtoul(s, &end, 10);
	if (sizes && end[0] != '\0' && end[1] == '\0')
		switch (end[0]) {
		case 'K': case 'k': k = 1024UL; end++; break;
		case 'M': case 'm': k = 1024UL * 1024; end++; break;
		case 'G': case 'g': k = 1024UL * 1024 * 1024; end++; break;
		}
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno ||
	    v > ULONG_MAX / k || v * k < min || v * k > max) {
		bad_number(name, &l, min, max, sizes ? hint : "");
		ctl_free(&l);
		errno = EINVAL;
		return -1;
	}
	*out = v * k;
	ctl_free(&l);
	return 0;
}

/* A number in [min, max], def when missing; -1 with EINVAL when the file
 * holds anything else (a typo must not silently become a default), with
 * the file, line and bounds for the log (log_detail). */
int
ctl_ulong(const char *name, unsigned long def, unsigned long min,
    unsigned long max, unsigned long *out)
{
	return number(name, def, min, max, 0, out);
}

/* A size in bytes: as ctl_ulong, and "50M" is 50 MiB (K, M, G: binary
 * multiples, as qmail's and Postfix's sizes are counted in bytes and an
 * administrator thinks in megabytes). */
int
ctl_bytes(const char *name, unsigned long def, unsigned long min,
    unsigned long max, unsigned long *out)
{
	return number(name, def, min, max, 1, out);
}

/* A control file of networks (relayclients, tlsclients): an address or a
 * CIDR range per line, every line parsed, so that smtpd-accept and the
 * checkers, which all decide inside or outside by it, read it alike: a
 * line that is neither is an error for all of them, never skipped by
 * one and refused by another.  *out (free it) and *n; 0, or -1 with
 * EINVAL and the file, line and value for the log (log_detail). */
int
ctl_nets(const char *name, struct ip_net **out, size_t *n)
{
	struct ctl_list l;
	size_t i;
	char v[80];

	*out = NULL;
	*n = 0;
	if (ctl_lines(name, &l) == -1)
		return -1;
	if (l.n && (*out = calloc(l.n, sizeof **out)) == NULL) {
		ctl_free(&l);
		return -1;
	}
	for (i = 0; i < l.n; i++)
		if (ip_net_parse(l.v[i], &(*out)[i]) == -1) {
			log_clean(v, sizeof v, l.v[i], strlen(l.v[i]));
			log_detail(EINVAL, "control/%s line %u: \"%s\" is not an "
			    "address or a CIDR range (192.0.2.0/24, 2001:db8::/32)",
			    name, l.lineno[i], v);
			ctl_free(&l);
			free(*out);
			*out = NULL;
			errno = EINVAL;
			return -1;
		}
	*n = l.n;
	ctl_free(&l);
	return 0;
}

/* Where the shipped rules are: $PORTCULLIS_RULES; else share/rules beside
 * the running executable's bin/ (a source tree); else the installed
 * PORTCULLIS_SHARE/rules. */
static int
rules_path(const char *name, char *path, size_t n)
{
	const char *env = getenv("PORTCULLIS_RULES");
	char exe[PATH_MAX];
	ssize_t r;

	if (env && *env)
		return (size_t)snprintf(path, n, "%s/%s", env, name) < n ? 0 : -1;
	r = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (r > 0) {
		char *s;
		exe[r] = '\0';
		if ((s = strrchr(exe, '/')) != NULL) {
			*s = '\0';
			if ((size_t)snprintf(path, n, "%s/../share/rules/%s", exe,
			    name) < n && access(path, F_OK) == 0)
				return 0;
		}
	}
#ifdef PORTCULLIS_SHARE
	return (size_t)snprintf(path, n, "%s/rules/%s", PORTCULLIS_SHARE,
	    name) < n ? 0 : -1;
#else
	return -1;
#endif
}

/* The folder of the shipped rules, as rule files are looked for there
 * (for what must notice that the rules changed: maildir-rescan). */
int
ctl_rules_dir(char *path, size_t n)
{
	return rules_path(".", path, n);
}

/* A rule file: the administrator's copy in the control directory wins over
 * the shipped one.  As ctl_read_path: 0 means found in neither place. */
int
ctl_rules(const char *name, struct ctl_list *l)
{
	char path[PATH_MAX];
	int r;

	if ((r = ctl_lines(name, l)) != 0)
		return r;
	if (rules_path(name, path, sizeof path) == -1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return ctl_read_path(path, l);
}

/* control/me: this gateway's name (trace headers, authserv-id); the
 * system's host name when missing.  0, or -1 when me cannot be read. */
int
ctl_me(char *out, size_t n)
{
	if (ctl_string("me", NULL, out, n) == -1)
		return -1;
	if (out[0] == '\0' && (gethostname(out, n - 1) == -1 || out[0] == '\0'))
		snprintf(out, n, "localhost");
	out[n - 1] = '\0';
	return 0;
}

/* control/databytes (SMTP's limit) and the cap of a filter reading one
 * message: RFC 5321 4.5.3.1.7 leaves the size to the site; every stage
 * adds headers, so filters allow CTL_FILTER_SLACK more. */
int
ctl_databytes(unsigned long *db, size_t *filter_max)
{
	if (ctl_bytes("databytes", CTL_DATABYTES, 1024, 1UL << 31, db) == -1)
		return -1;
	if (filter_max)
		*filter_max = *db + CTL_FILTER_SLACK;
	return 0;
}

/* control/headerfields and control/headerbytes: the limits every parser
 * of a header section works under (hdr.h has the reasons for the
 * defaults).  0, or -1 with errno. */
int
ctl_hdr_limits(struct hdr_limits *lim)
{
	unsigned long f, b;

	if (ctl_ulong("headerfields", HDR_MAX_FIELDS, 16, 1000000, &f) == -1 ||
	    ctl_bytes("headerbytes", HDR_MAX_BYTES, 1024, 64UL << 20, &b) == -1)
		return -1;
	lim->max_fields = f;
	lim->max_bytes = b;
	return 0;
}
