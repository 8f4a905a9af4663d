/* rescan: what maildir-rescan(8) remembers between runs: the unique
 * names of the messages judged, and the fingerprint of what judged them
 * (the chain, its programs, the control and rule files and their bytes,
 * signature files named), so that a run judges again only what is new or everything once
 * something changed.  The state file is the administrator's; it is
 * written whole and renamed into place. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "rescan.h"
#include "spawn.h"

#define STATE_MAGIC "portcullis-rescan 1 "

int
rescan_names_add(struct rescan_names *s, const char *name, size_t len)
{
	char **nv;

	if (s->n == s->cap) {
		if ((nv = reallocarray(s->v, s->cap ? s->cap * 2 : 256, sizeof *nv)) == NULL)
			return -1;
		s->v = nv;
		s->cap = s->cap ? s->cap * 2 : 256;
	}
	if ((s->v[s->n] = strndup(name, len)) == NULL)
		return -1;
	s->n++;
	return 0;
}

int
rescan_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
rescan_names_free(struct rescan_names *s)
{
	while (s->n)
		free(s->v[--s->n]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* A file into the fingerprint: its name, size and time of change, and
 * with content set its bytes too when it is at most CTL_MAX_BYTES (a
 * control or rule file; what is bigger there is a database that changes
 * by itself, as Bayes does); a folder with each of its entries, one
 * level down. */
static void
fp_stat(EVP_MD_CTX *md, const char *path, int depth, int content)
{
	struct stat st;
	struct dirent **ents;
	char line[PATH_MAX + 128], sub[PATH_MAX], b[65536];
	ssize_t r;
	int i, n, fd;

	if (stat(path, &st) == -1) {
		snprintf(line, sizeof line, "%s missing\n", path);
		EVP_DigestUpdate(md, line, strlen(line));
		return;
	}
	snprintf(line, sizeof line, "%s %lld %lld.%09ld\n", path, (long long)st.st_size,
	    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	EVP_DigestUpdate(md, line, strlen(line));
	if (content && S_ISREG(st.st_mode) && st.st_size <= CTL_MAX_BYTES &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		while ((r = read(fd, b, sizeof b)) > 0)
			EVP_DigestUpdate(md, b, (size_t)r);
		close(fd);
	}
	if (!S_ISDIR(st.st_mode) || depth > 1 || (n = scandir(path, &ents, NULL,
	    alphasort)) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' && (size_t)snprintf(sub, sizeof sub,
		    "%s/%s", path, ents[i]->d_name) < sizeof sub)
			fp_stat(md, sub, depth + 1, content);
		free(ents[i]);
	}
	free(ents);
}

/* The rescan_fingerprint of what judges: the chain's lines, each stage's
 * program (found as the chain finds it), the control directory and the
 * shipped rules (names, sizes, times: an edit changes them), and the
 * files named by -V (virus signatures).  Hex into out. */
int
rescan_fingerprint(const struct ctl_list *chain, const char *const *extra,
    size_t nextra, char *out, size_t n)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned hl, k;
	char p[PATH_MAX], rd[PATH_MAX];
	const char *path = getenv("PATH"), *e;
	size_t i;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return -1;
	}
	for (i = 0; i < chain->n; i++) {
		struct spawn_argv a;
		EVP_DigestUpdate(md, chain->v[i], strlen(chain->v[i]) + 1);
		if (spawn_split(chain->v[i], &a) == -1)
			continue;
		if (strchr(a.v[0], '/'))
			fp_stat(md, a.v[0], 2, 0);
		else
			for (e = path; e && *e; e = *e ? e + 1 : e) {
				const char *c = strchrnul(e, ':');
				if ((size_t)snprintf(p, sizeof p, "%.*s/%s", (int)(c - e), e,
				    a.v[0]) < sizeof p && access(p, X_OK) == 0) {
					fp_stat(md, p, 2, 0);
					break;
				}
				e = c;
				if (*e == '\0')
					break;
			}
		spawn_argv_free(&a);
	}
	fp_stat(md, ctl_dir(), 0, 1);
	if (ctl_rules_dir(rd, sizeof rd) == 0)
		fp_stat(md, rd, 0, 1);
	for (i = 0; i < nextra; i++)
		fp_stat(md, extra[i], 0, 0);
	if (EVP_DigestFinal_ex(md, h, &hl) != 1 || n < 2 * hl + 1) {
		EVP_MD_CTX_free(md);
		return -1;
	}
	EVP_MD_CTX_free(md);
	for (k = 0; k < hl; k++)
		snprintf(out + 2 * k, 3, "%02x", h[k]);
	return 0;
}

/* The names judged under rescan_fingerprint fp, from the state file: none when
 * it is missing or was written under another rescan_fingerprint. */
int
rescan_state_read(const char *path, const char *fp, struct rescan_names *s)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t l;

	if (f == NULL)
		return errno == ENOENT ? 0 : -1;
	if (fgets(line, sizeof line, f) == NULL ||
	    strncmp(line, STATE_MAGIC, strlen(STATE_MAGIC)) != 0 ||
	    strncmp(line + strlen(STATE_MAGIC), fp, strlen(fp)) != 0) {
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof line, f) != NULL)
		if ((l = strcspn(line, "\n")) > 0 && rescan_names_add(s, line, l) == -1) {
			fclose(f);
			return -1;
		}
	fclose(f);
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, rescan_cmp);
	return 0;
}

/* The state anew, by rename: the names judged now under fp. */
int
rescan_state_write(const char *path, const char *fp, const struct rescan_names *s)
{
	char tmp[PATH_MAX];
	FILE *f;
	size_t i;
	int ok;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp ||
	    (f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%s%s\n", STATE_MAGIC, fp);
	for (i = 0; i < s->n; i++)
		fprintf(f, "%s\n", s->v[i]);
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

