/* unpack: containers through libarchive (see unpack.h).  The container is
 * a stranger's bytes; libarchive parses them in this process, so every
 * member is read in bounded chunks and stopped at the limits.  libarchive
 * is loaded on the first container, not at start-up (archive_dl.h): every
 * archive_* call goes through the table la.  Runs under any uid. */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "archive_dl.h"
#include "unpack.h"

#define UNPACK_CHUNK 65536

/* libarchive, set by unpack_walk before any other function here uses it */
static const struct archive_dl *la;

/* Magic numbers of the formats handed to libarchive.  Trying libarchive
 * on every text part would cost time and let its most permissive readers
 * (mtree, raw) claim plain text; a signature first keeps it to real
 * containers. */
static const struct {
	size_t      off;
	const char *magic;
	size_t      len;
	const char *name;
} sigs[] = {
	{ 0, "PK\3\4", 4, "zip" }, { 0, "PK\5\6", 4, "zip" },
	{ 0, "PK\7\10", 4, "zip" }, { 0, "7z\274\257\047\034", 6, "7z" },
	{ 0, "Rar!\032\7", 6, "rar" }, { 0, "\037\213", 2, "gzip" },
	{ 0, "BZh", 3, "bzip2" }, { 0, "\3757zXZ\0", 6, "xz" },
	{ 0, "\050\265\057\375", 4, "zstd" }, { 0, "\004\042\115\030", 4, "lz4" },
	{ 0, "\037\235", 2, "compress" }, { 0, "LZIP", 4, "lzip" },
	{ 0, "MSCF\0\0\0\0", 8, "cab" }, { 32769, "CD001", 5, "iso9660" },
	{ 0, "070707", 6, "cpio" }, { 0, "070701", 6, "cpio" },
	{ 0, "070702", 6, "cpio" }, { 0, "\307\161", 2, "cpio" },
	{ 0, "\161\307", 2, "cpio" }, { 0, "!<arch>\n", 8, "ar" },
	{ 257, "ustar", 5, "tar" },
	{ 0, "xar!", 4, "xar" }, { 0, "\355\253\356\333", 4, "rpm" },
};

/* The container format the bytes start like, or NULL. */
const char *
unpack_sniff(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (n >= sigs[i].off + sigs[i].len &&
		    memcmp(p + sigs[i].off, sigs[i].magic, sigs[i].len) == 0)
			return sigs[i].name;
	/* ARJ: 0x60 0xEA and a basic header of at most 2600 bytes.  No
	 * libarchive reads it: it is reported as a container that could
	 * not be opened, never passed as plain data. */
	if (n > 8 && (unsigned char)p[0] == 0x60 && (unsigned char)p[1] == 0xea &&
	    ((unsigned char)p[2] | (unsigned char)p[3] << 8) > 0 &&
	    ((unsigned char)p[2] | (unsigned char)p[3] << 8) <= 2600)
		return "arj";
	/* LHA: "-lh?-" or "-lz?-" at offset 2 */
	if (n > 21 && p[2] == '-' && p[3] == 'l' && (p[4] == 'h' || p[4] == 'z') &&
	    p[6] == '-')
		return "lha";
	return NULL;
}

/* Could this name act as a path or fool a reader?  "../", a leading "/"
 * or drive letter, control bytes, and the Unicode bidi controls (U+200E,
 * U+200F, U+202A-U+202E, U+2066-U+2069) that make "gpj.exe" read as
 * "exe.jpg". */
int
unpack_name_bad(const char *s, size_t n)
{
	size_t i;

	if (n && (s[0] == '/' || s[0] == '\\'))
		return 1;
	if (n >= 2 && s[1] == ':')
		return 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return 1;
		if (c == '.' && i + 1 < n && s[i + 1] == '.' &&
		    (i == 0 || s[i - 1] == '/' || s[i - 1] == '\\') &&
		    (i + 2 == n || s[i + 2] == '/' || s[i + 2] == '\\'))
			return 1;
		if (c == 0xe2 && i + 2 < n) {
			unsigned char b = (unsigned char)s[i + 1], d = (unsigned char)s[i + 2];
			if (b == 0x80 && (d == 0x8e || d == 0x8f || (d >= 0xaa && d <= 0xae)))
				return 1;
			if (b == 0x81 && d >= 0xa6 && d <= 0xa9)
				return 1;
		}
	}
	return 0;
}

/* Does libarchive's error say the data is encrypted? */
static int
enc_error(struct archive *a)
{
	const char *s = la->archive_error_string(a);

	return s && (strcasestr(s, "encrypt") || strcasestr(s, "passphrase") ||
	    strcasestr(s, "password"));
}

/* Read the current member's data into out under the limits; flags say
 * which stopped it. */
static int
read_member(struct archive *a, size_t inlen, const struct mime_limits *lim,
    struct unpack_budget *bud, struct buf *out, unsigned *fl)
{
	size_t cap = lim->partbytes < bud->bytes ? lim->partbytes : bud->bytes;
	/* expansion ratio against the whole container, which is at least
	 * the member's compressed size */
	size_t rcap = inlen > (size_t)-1 / lim->ratio ? (size_t)-1 : inlen * lim->ratio;

	if (rcap < UNPACK_RATIO_FLOOR)
		rcap = UNPACK_RATIO_FLOOR;
	for (;;) {
		la_ssize_t r;
		if (buf_grow(out, UNPACK_CHUNK) == -1)
			return -1;
		r = la->archive_read_data(a, out->p + out->len, UNPACK_CHUNK);
		if (r == 0)
			break;
		if (r < 0) {
			if (r == ARCHIVE_WARN || r == ARCHIVE_RETRY)
				continue;
			*fl |= enc_error(a) ? MIME_ENCRYPTED : MIME_CORRUPT;
			break;
		}
		out->len += (size_t)r;
		out->p[out->len] = '\0';
		if (out->len > rcap) {
			*fl |= MIME_RATIO;
			break;
		}
		if (out->len > cap) {
			out->len = cap;
			out->p[out->len] = '\0';
			*fl |= cap < lim->partbytes ? MIME_TOTAL : MIME_CAPPED;
			break;
		}
		if (bud->deadline && time(NULL) > bud->deadline) {
			*fl |= MIME_TIME;
			break;
		}
	}
	bud->bytes -= out->len < bud->bytes ? out->len : bud->bytes;
	return 0;
}

/* A short name for what libarchive found: "zip", "gzip/tar", ... */
static const char *
format_name(struct archive *a, char *out, size_t n)
{
	static const struct { int f; const char *name; } fm[] = {
		{ ARCHIVE_FORMAT_TAR, "tar" }, { ARCHIVE_FORMAT_ZIP, "zip" },
		{ ARCHIVE_FORMAT_7ZIP, "7z" }, { ARCHIVE_FORMAT_RAR, "rar" },
		{ ARCHIVE_FORMAT_RAR_V5, "rar" }, { ARCHIVE_FORMAT_CAB, "cab" },
		{ ARCHIVE_FORMAT_ISO9660, "iso9660" }, { ARCHIVE_FORMAT_CPIO, "cpio" },
		{ ARCHIVE_FORMAT_AR, "ar" }, { ARCHIVE_FORMAT_LHA, "lha" },
		{ ARCHIVE_FORMAT_XAR, "xar" }, { ARCHIVE_FORMAT_RAW, "raw" },
	};
	const char *f = "unknown", *filt = la->archive_filter_name(a, 0);
	size_t i;

	for (i = 0; i < sizeof fm / sizeof fm[0]; i++)
		if ((la->archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == fm[i].f)
			f = fm[i].name;
	if (la->archive_filter_count(a) > 1 && filt && strcmp(filt, "none") != 0)
		snprintf(out, n, "%s/%s", filt, f);
	else
		snprintf(out, n, "%s", f);
	return out;
}

/* "x.gz" -> "x": a single compressed file's member has no name of its
 * own (libarchive's raw format says "data"). */
static void
raw_name(const char *outer, char *out, size_t n)
{
	const char *dot = strrchr(outer, '.'), *slash = strrchr(outer, '/');
	size_t l;

	if (outer[0] == '\0') {
		snprintf(out, n, "data");
		return;
	}
	if (slash)
		outer = slash + 1;
	l = dot && dot > outer ? (size_t)(dot - outer) : strlen(outer);
	snprintf(out, n, "%.*s", (int)l, outer);
}

/* Walk the members of the container p[0..n), handing each to fn.
 * 0, or -1 with errno; what limits stopped is in *flags and in each
 * member's flags. */
int
unpack_walk(const char *p, size_t n, const char *outer,
    const struct mime_limits *lim, struct unpack_budget *bud, unpack_fn fn,
    void *arg, unsigned *flags)
{
	struct archive *a;
	struct archive_entry *e;
	struct buf data = BUF_INIT;
	char rname[256], fmt[64];
	int rc = 0, r;

	/* libarchive converts names through the locale's charset: in the C
	 * locale a UTF-8 name (the ones that carry bidi tricks) comes out
	 * empty.  A UTF-8 locale for this thread only, restored on return. */
	static locale_t utf8;
	locale_t old = (locale_t)0;

	/* libarchive is loaded on the first container.  Without it the
	 * install is broken, not the message: a temporary failure, so that
	 * the mail waits for the library instead of filling the quarantine
	 * (archive_dl printed why) */
	if ((la = archive_dl()) == NULL) {
		errno = ELIBACC;
		return -1;
	}
	if (utf8 == (locale_t)0)
		utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8 != (locale_t)0)
		old = uselocale(utf8);
	if ((a = la->archive_read_new()) == NULL) {
		if (old != (locale_t)0)
			uselocale(old);
		return -1;
	}
	/* every reader but mtree and warc, which claim plain text */
	la->archive_read_support_filter_all(a);
	la->archive_read_support_format_7zip(a);
	la->archive_read_support_format_ar(a);
	la->archive_read_support_format_cab(a);
	la->archive_read_support_format_cpio(a);
	la->archive_read_support_format_iso9660(a);
	la->archive_read_support_format_lha(a);
	la->archive_read_support_format_rar(a);
	la->archive_read_support_format_rar5(a);
	la->archive_read_support_format_tar(a);
	la->archive_read_support_format_xar(a);
	la->archive_read_support_format_zip(a);
	la->archive_read_support_format_raw(a);
	if (la->archive_read_open_memory(a, p, n) != ARCHIVE_OK) {
		*flags |= enc_error(a) ? MIME_ENCRYPTED : MIME_CORRUPT;
		la->archive_read_free(a);
		if (old != (locale_t)0)
			uselocale(old);
		return 0;
	}
	for (;;) {
		struct unpack_member m;
		const char *name;
		unsigned fl = 0;

		r = la->archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_FATAL || r == ARCHIVE_RETRY) {
			*flags |= enc_error(a) ? MIME_ENCRYPTED : MIME_CORRUPT;
			break;
		}
		if (bud->parts == 0) {
			*flags |= MIME_PARTS;
			break;
		}
		bud->parts--;
		if (bud->deadline && time(NULL) > bud->deadline) {
			*flags |= MIME_TIME;
			break;
		}
		if (la->archive_entry_filetype(e) != AE_IFREG)
			continue;
		memset(&m, 0, sizeof m);
		m.format = format_name(a, fmt, sizeof fmt);
		name = la->archive_entry_pathname_utf8(e);
		if (name == NULL)
			name = la->archive_entry_pathname(e);
		if (name == NULL)
			name = "";
		/* raw is for single compressed files; uncompressed bytes
		 * that only looked like a container are not one */
		if (la->archive_format(a) == ARCHIVE_FORMAT_RAW &&
		    la->archive_filter_count(a) < 2) {
			*flags |= MIME_CORRUPT;
			break;
		}
		if (la->archive_format(a) == ARCHIVE_FORMAT_RAW) {
			raw_name(outer ? outer : "", rname, sizeof rname);
			name = rname;
		}
		if (unpack_name_bad(name, strlen(name)))
			fl |= MIME_BADNAME;
		buf_reset(&data);
		if (la->archive_entry_is_encrypted(e))
			fl |= MIME_ENCRYPTED;
		else if (read_member(a, n, lim, bud, &data, &fl) == -1) {
			rc = -1;
			break;
		}
		m.name = name;
		m.data = fl & MIME_ENCRYPTED ? NULL : (data.p ? data.p : "");
		m.len = fl & MIME_ENCRYPTED ? 0 : data.len;
		m.flags = fl;
		*flags |= fl;
		if ((r = fn(arg, &m)) != 0) {
			rc = r < 0 ? -1 : 0;
			break;
		}
		if (fl & (MIME_TOTAL | MIME_TIME))
			break;
		if (fl & MIME_CORRUPT)
			break;
	}
	if (la->archive_read_has_encrypted_entries(a) > 0)
		*flags |= MIME_ENCRYPTED;
	buf_free(&data);
	la->archive_read_free(a);
	if (old != (locale_t)0)
		uselocale(old);
	return rc;
}
