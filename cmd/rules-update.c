/* rules-update: the shipped rules replaced by a signed bundle fetched
 * over HTTPS, the appliance's subscription done in the open.  The bundle
 * (a tar of the rules folder, gzip allowed) and its detached signature
 * (URL.sig) come from control/rulesurl; the signature must verify with
 * the public key control/rules.pub; the files are unpacked into a new
 * folder beside the rules (plain files with plain names only), every
 * filter's --lint must accept them, and only then does the rules link
 * turn to the new folder, in one rename.  The previous folder stays as
 * rules.prev for --rollback.  A failed, tampered, truncated or broken
 * update changes nothing.  Local rules (control/spam.local and the
 * administrator's copies in the control directory) are never touched.
 * Runs as root or the owner of the rules folder; what it fetches is
 * untrusted until the signature verified, and bounded before. */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "buf.h"
#include "ctl.h"
#include "log.h"
#include "spawn.h"
#include "verdict.h"

#define BUNDLE_MAX   (32UL * 1024 * 1024)
#define SIG_MAX      4096
#define FILE_MAX     (4UL * 1024 * 1024)   /* CTL_MAX_BYTES: any rule file */
#define FILES_MAX    256

/* the filters whose --lint reads the shipped rules */
static const char *const linters[] = { "header-strip", "spoof-check",
	"filetype-check", "spam-score", "dnsbl-check", NULL };

struct fetch {
	struct buf b;
	size_t     max;
	int        over;
};

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct fetch *f = arg;

	if (f->b.len + sz * n > f->max) {
		f->over = 1;
		return 0;
	}
	return buf_add(&f->b, p, sz * n) == -1 ? 0 : sz * n;
}

/* GET url into f, HTTPS only, within f->max bytes and a minute. */
static int
fetch(const char *url, const char *cafile, struct fetch *f)
{
	CURL *c = curl_easy_init();
	char err[CURL_ERROR_SIZE] = "";
	CURLcode r;

	if (c == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "portcullis-rules-update");
	if (cafile && *cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
	r = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (r != CURLE_OK || f->over) {
		log_fatal(0, "unable to fetch %s: %s", url, f->over ? "too big" :
		    err[0] ? err : curl_easy_strerror(r));
		return -1;
	}
	return 0;
}

/* The detached signature sig over data, by the key in pubfile (Ed25519
 * or Ed448 over the bytes; RSA or ECDSA over their SHA-256).  0 when it
 * verifies. */
static int
verify(const char *pubfile, const struct buf *data, const struct buf *sig)
{
	FILE *f = fopen(pubfile, "r");
	EVP_PKEY *k;
	EVP_MD_CTX *md;
	int id, ok;

	if (f == NULL) {
		log_fatal(errno, "unable to read the public key %s", pubfile);
		return -1;
	}
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL) {
		log_fatal(0, "%s: not a PEM public key", pubfile);
		return -1;
	}
	id = EVP_PKEY_get_base_id(k);
	ok = (md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, id == EVP_PKEY_ED25519 ||
	    id == EVP_PKEY_ED448 ? NULL : EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestVerify(md, (const unsigned char *)sig->p, sig->len,
	    (const unsigned char *)data->p, data->len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	if (!ok)
		log_fatal(0, "the bundle's signature does not verify with %s: "
		    "nothing changed", pubfile);
	return ok ? 0 : -1;
}

/* A name the bundle may hold: NAME or notices/NAME, NAME of letters,
 * digits, '.', '_' and '-', not starting with '.'. */
static int
good_name(const char *s)
{
	const char *n = strncmp(s, "notices/", 8) == 0 ? s + 8 : s;

	if (strncmp(s, "./", 2) == 0)
		return 0;
	if (*n == '\0' || *n == '.' || strlen(n) > 64)
		return 0;
	return strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == strlen(n);
}

/* Unpack the bundle into the folder dir (made, empty).  0, or -1. */
static int
unpack(const struct buf *b, int dir)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char blk[65536], name[PATH_MAX];
	la_ssize_t r;
	size_t nfiles = 0, got;
	int fd, rc = -1, st;

	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	if (archive_read_open_memory(a, b->p, b->len) != ARCHIVE_OK) {
		log_fatal(0, "the bundle is not a tar: %s", archive_error_string(a));
		goto out;
	}
	while ((st = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		snprintf(name, sizeof name, "%s", p ? p : "");
		if (strncmp(name, "./", 2) == 0)
			memmove(name, name + 2, strlen(name + 2) + 1);
		if (archive_entry_filetype(e) == AE_IFDIR) {
			name[strcspn(name, "/")] = '\0';
			if (name[0] == '\0' || strcmp(name, "notices") == 0) {
				if (name[0] && mkdirat(dir, name, 0755) == -1 && errno != EEXIST)
					goto out;
				continue;
			}
		}
		if (archive_entry_filetype(e) != AE_IFREG || !good_name(name) ||
		    ++nfiles > FILES_MAX || archive_entry_size(e) < 0 ||
		    (size_t)archive_entry_size(e) > FILE_MAX) {
			log_fatal(0, "the bundle holds \"%.80s\": only rule files "
			    "(NAME, notices/NAME) of at most 4 MiB", name);
			goto out;
		}
		if (strncmp(name, "notices/", 8) == 0 && mkdirat(dir, "notices", 0755) == -1 &&
		    errno != EEXIST)
			goto out;
		if ((fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0644)) == -1) {
			log_fatal(errno, "unable to unpack %s", name);
			goto out;
		}
		for (got = 0; (r = archive_read_data(a, blk, sizeof blk)) > 0; got += (size_t)r)
			if (got + (size_t)r > FILE_MAX || write(fd, blk, (size_t)r) != r) {
				r = -1;
				break;
			}
		if (close(fd) == -1 || r < 0) {
			log_fatal(errno, "unable to unpack %s", name);
			goto out;
		}
	}
	if (st != ARCHIVE_EOF) {
		log_fatal(0, "the bundle is damaged: %s", archive_error_string(a));
		goto out;
	}
	if (nfiles == 0) {
		log_fatal(0, "the bundle holds no rule file");
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

/* Every filter's --lint on the rules in dir; their words on stderr.
 * 0 when all accept them. */
static int
lint(const char *dir)
{
	char self[PATH_MAX], p[PATH_MAX], *s;
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	size_t i;
	pid_t pid;
	int st, bad = 0;

	if (n <= 0)
		return -1;
	self[n] = '\0';
	if ((s = strrchr(self, '/')) != NULL)
		*s = '\0';
	for (i = 0; linters[i]; i++) {
		if ((size_t)snprintf(p, sizeof p, "%s/%s", self, linters[i]) >= sizeof p ||
		    access(p, X_OK) == -1)
			continue;
		if ((pid = fork()) == -1)
			return -1;
		if (pid == 0) {
			setenv("PORTCULLIS_RULES", dir, 1);
			if (dup2(2, 1) == -1)
				_exit(EXIT_TEMP);
			execl(p, linters[i], "--lint", "-C", ctl_dir(), (char *)NULL);
			_exit(EXIT_TEMP);
		}
		while (waitpid(pid, &st, 0) == -1)
			if (errno != EINTR)
				return -1;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			log_fatal(0, "%s --lint refuses the new rules", linters[i]);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* Remove the folder name in the folder at, one level of folders down. */
static void
rm_tree(int at, const char *name)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *e;

	if (fd != -1 && (d = fdopendir(fd)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
			    unlinkat(fd, e->d_name, 0) == -1 && errno == EISDIR)
				rm_tree(fd, e->d_name);
		closedir(d);
	} else if (fd != -1)
		close(fd);
	unlinkat(at, name, AT_REMOVEDIR);
}

/* Point the link name (in the folder at) at target, in one rename. */
static int
relink(int at, const char *name, const char *target)
{
	char tmp[NAME_MAX + 1];

	if ((size_t)snprintf(tmp, sizeof tmp, ".%s.new", name) >= sizeof tmp)
		return -1;
	unlinkat(at, tmp, 0);
	if (symlinkat(target, at, tmp) == -1 || renameat(at, tmp, at, name) == -1) {
		unlinkat(at, tmp, 0);
		return -1;
	}
	return 0;
}

/* The folder and the name of the rules link: -R, else where the filters
 * look for the shipped rules. */
static int
rules_link(const char *given, char *parent, size_t pn, char *base, size_t bn)
{
	char p[PATH_MAX], *s;
	size_t l;

	if (given) {
		if ((size_t)snprintf(p, sizeof p, "%s", given) >= sizeof p)
			return -1;
	} else if (ctl_rules_dir(p, sizeof p) == -1)
		return -1;
	l = strlen(p);
	if (l >= 2 && strcmp(p + l - 2, "/.") == 0)
		p[l - 2] = '\0';
	while ((l = strlen(p)) > 1 && p[l - 1] == '/')
		p[l - 1] = '\0';
	if ((s = strrchr(p, '/')) == NULL)
		return (size_t)snprintf(parent, pn, ".") < pn &&
		    (size_t)snprintf(base, bn, "%s", p) < bn ? 0 : -1;
	*s = '\0';
	return (size_t)snprintf(parent, pn, "%s", s == p ? "/" : p) < pn &&
	    (size_t)snprintf(base, bn, "%s", s + 1) < bn ? 0 : -1;
}

/* The hex of the SHA-256 of b, cut to n - 1 characters. */
static void
digest(const struct buf *b, char *out, size_t n)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned hl = 0, i;

	EVP_Digest(b->p, b->len, h, &hl, EVP_sha256(), NULL);
	for (i = 0; i < hl && 2 * i + 2 < n; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Unpack, lint, and turn the link; the previous folder kept as
 * BASE.prev.  0, or -1 with nothing changed. */
static int
update(int pfd, const char *parent, const char *base, const struct fetch *bundle)
{
	char cur[NAME_MAX + 1] = "", nm[NAME_MAX + 1], hex[17], prev[NAME_MAX + 1],
	    path[PATH_MAX];
	struct stat st;
	ssize_t n;
	int dfd;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISLNK(st.st_mode)) {
		log_fatal(0, "%s is not a link to a folder of rules (make install "
		    "lays it out so); nothing changed", base);
		return -1;
	}
	if ((n = readlinkat(pfd, base, cur, sizeof cur - 1)) > 0)
		cur[n] = '\0';
	digest(&bundle->b, hex, sizeof hex);
	if (strlen(base) > NAME_MAX - 24)
		return -1;
	if ((size_t)snprintf(nm, sizeof nm, "%s-%s", base, hex) >= sizeof nm)
		return -1;
	if (strcmp(cur, nm) == 0) {
		printf("rules-update: %s is current (%s)\n", base, nm);
		return 0;
	}
	rm_tree(pfd, nm);    /* a half-made one of an earlier try */
	if (mkdirat(pfd, nm, 0755) == -1 ||
	    (dfd = openat(pfd, nm, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_fatal(errno, "unable to make %s", nm);
		return -1;
	}
	if (unpack(&bundle->b, dfd) == -1) {
		close(dfd);
		rm_tree(pfd, nm);
		return -1;
	}
	close(dfd);
	if ((size_t)snprintf(path, sizeof path, "%s/%s", parent, nm) >= sizeof path ||
	    lint(path) == -1) {
		log_fatal(0, "the new rules do not pass --lint: nothing changed");
		rm_tree(pfd, nm);
		return -1;
	}
	/* the old one becomes rules.prev; the one before that goes */
	if ((size_t)snprintf(prev, sizeof prev, "%s.prev", base) >= sizeof prev)
		return -1;
	{
		char old[NAME_MAX + 1] = "";
		if ((n = readlinkat(pfd, prev, old, sizeof old - 1)) > 0) {
			old[n] = '\0';
			/* ours only: BASE-HEX, never what make install put */
			if (strcmp(old, cur) && strcmp(old, nm) && strchr(old, '/') == NULL &&
			    strncmp(old, base, strlen(base)) == 0 && old[strlen(base)] == '-' &&
			    strlen(old + strlen(base) + 1) == 16 &&
			    strspn(old + strlen(base) + 1, "0123456789abcdef") == 16)
				rm_tree(pfd, old);
		}
	}
	if (relink(pfd, base, nm) == -1) {
		log_fatal(errno, "unable to turn %s to %s: nothing changed", base, nm);
		rm_tree(pfd, nm);
		return -1;
	}
	if (cur[0] && relink(pfd, prev, cur) == -1)
		log_warn(errno, "unable to keep %s as %s", cur, prev);
	printf("rules-update: %s now %s (was %s)\n", base, nm, cur[0] ? cur : "-");
	return 0;
}

/* --rollback: the link and rules.prev change places. */
static int
rollback(int pfd, const char *base)
{
	char cur[NAME_MAX + 1], old[NAME_MAX + 1], prev[NAME_MAX + 1];
	ssize_t a, b;

	if ((size_t)snprintf(prev, sizeof prev, "%s.prev", base) >= sizeof prev)
		return -1;
	if ((a = readlinkat(pfd, base, cur, sizeof cur - 1)) <= 0 ||
	    (b = readlinkat(pfd, prev, old, sizeof old - 1)) <= 0) {
		log_fatal(errno, "no %s to go back to", prev);
		return -1;
	}
	cur[a] = old[b] = '\0';
	if (relink(pfd, base, old) == -1 || relink(pfd, prev, cur) == -1) {
		log_fatal(errno, "unable to go back to %s", old);
		return -1;
	}
	printf("rules-update: %s back to %s (was %s)\n", base, old, cur);
	return 0;
}

/* --lint: what an update will read, read now: the URL (HTTPS), the
 * public key, the authorities' file, the rules link.  0, or 111. */
static int
lint_conf(int pfd, const char *base, const char *url, const char *pub, const char *ca)
{
	struct stat st;
	EVP_PKEY *k = NULL;
	FILE *f;
	int bad = 0;

	if (url[0] && strncmp(url, "https://", 8) != 0) {
		log_fatal(0, "control/rulesurl: %s: HTTPS only", url);
		bad = 1;
	}
	if ((f = fopen(pub, "r")) != NULL) {
		k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
		fclose(f);
		if (k == NULL) {
			log_fatal(0, "%s: not a PEM public key", pub);
			bad = 1;
		}
		EVP_PKEY_free(k);
	} else if (errno != ENOENT || url[0]) {
		log_fatal(errno, "unable to read %s", pub);
		bad = 1;
	}
	if (ca[0] && access(ca, R_OK) == -1) {
		log_fatal(errno, "control/rulescafile: unable to read %s", ca);
		bad = 1;
	}
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1 || !S_ISLNK(st.st_mode)) {
		log_fatal(0, "%s is not a link to a folder of rules (make install "
		    "lays it out so)", base);
		bad = 1;
	}
	if (bad)
		return EXIT_TEMP;
	printf("rules-update: %s from %s\n", base, url[0] ? url : "(no rulesurl: off)");
	return fflush(stdout) == EOF ? EXIT_TEMP : EXIT_PASS;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "rollback", no_argument, NULL, 'b' }, { "lint", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 } };
	struct fetch bundle = { BUF_INIT, BUNDLE_MAX, 0 }, sig = { BUF_INIT, SIG_MAX, 0 };
	char url[2048], sigurl[2100], ca[PATH_MAX], pub[PATH_MAX], parent[PATH_MAX],
	    base[NAME_MAX + 1];
	const char *link = NULL;
	int ch, back = 0, dolint = 0, pfd, rc = EXIT_TEMP;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:R:", lo, NULL)) != -1) {
		if (ch == 'C')
			ctl_set_dir(optarg);
		else if (ch == 'R')
			link = optarg;
		else if (ch == 'b')
			back = 1;
		else if (ch == 'L')
			dolint = 1;
		else {
			fprintf(stderr, "usage: rules-update [-C dir] [-R ruleslink] [url]\n"
			    "       rules-update [-C dir] [-R ruleslink] --rollback | --lint\n");
			return EXIT_TEMP;
		}
	}
	if (rules_link(link, parent, sizeof parent, base, sizeof base) == -1 ||
	    (pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_fatal(errno, "unable to find the rules folder");
		return EXIT_TEMP;
	}
	if (back)
		return rollback(pfd, base) == 0 ? EXIT_PASS : EXIT_TEMP;
	if (optind < argc)
		snprintf(url, sizeof url, "%s", argv[optind]);
	else if (ctl_string("rulesurl", "", url, sizeof url) == -1) {
		log_fatal(errno, "unable to read control/rulesurl");
		return EXIT_TEMP;
	}
	snprintf(pub, sizeof pub, "%s/rules.pub", ctl_dir());
	if (ctl_string("rulescafile", "", ca, sizeof ca) == -1) {
		log_fatal(errno, "unable to read control/rulescafile");
		return EXIT_TEMP;
	}
	if (dolint)
		return lint_conf(pfd, base, url, pub, ca);
	if (strncmp(url, "https://", 8) != 0) {
		log_fatal(0, "%s: the rules come over HTTPS only (control/rulesurl)",
		    url[0] ? url : "no URL");
		return EXIT_TEMP;
	}
	snprintf(sigurl, sizeof sigurl, "%s.sig", url);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (fetch(url, ca, &bundle) == 0 && fetch(sigurl, ca, &sig) == 0 &&
	    verify(pub, &bundle.b, &sig.b) == 0 && update(pfd, parent, base, &bundle) == 0)
		rc = EXIT_PASS;
	curl_global_cleanup();
	buf_free(&bundle.b);
	buf_free(&sig.b);
	close(pfd);
	if (fflush(stdout) == EOF)
		rc = EXIT_TEMP;
	return rc;
}
