/* ftype: true types and categories (see ftype.h).  Every byte and name
 * judged here is a stranger's.  Runs under any uid. */
#include <errno.h>
#include <magic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ftype.h"

static const char *catnames[FTYPE_NCAT] = {
	"executable", "macro", "encrypted", "media", "archive", "unknown",
	"renamed", "double-extension", "bidi", "disk-image", "html-smuggling",
	"bomb", "ambiguous", "bad-name", "document", "image", "text",
	"corrupt",
};

const char *
ftype_cat_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < FTYPE_NCAT; i++)
		if (bit == 1U << i)
			return catnames[i];
	return "?";
}

/* The bit of a category name, 0 if none. */
unsigned
ftype_cat_parse(const char *s)
{
	size_t i;

	for (i = 0; i < FTYPE_NCAT; i++)
		if (strcasecmp(s, catnames[i]) == 0)
			return 1U << i;
	return 0;
}

/* libmagic's database, once per process: MAGIC_NO_CHECK_COMPRESS since
 * containers are opened by unpack, not by libmagic. */
int
ftype_open(struct ftype *ft)
{
	magic_t m;

	memset(ft, 0, sizeof *ft);
	if ((m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS |
	    MAGIC_ERROR)) == NULL)
		return -1;
	if (magic_load(m, NULL) == -1) {
		magic_close(m);
		errno = ENOENT;
		return -1;
	}
	ft->magic = m;
	return 0;
}

void
ftype_close(struct ftype *ft)
{
	if (ft->magic)
		magic_close(ft->magic);
	ft->magic = NULL;
}

/* Signatures that decide without libmagic.  "refine": libmagic is asked
 * for the subtype (zip: docx, jar, odt; OLE2: doc, xls, msi). */
static const struct {
	size_t      off;
	const char *magic;
	size_t      len;
	const char *type;
	int         refine;
} sigs[] = {
	{ 0, "\177ELF", 4, "application/x-executable", 0 },
	{ 0, "\316\372\355\376", 4, "application/x-mach-binary", 0 },
	{ 0, "\317\372\355\376", 4, "application/x-mach-binary", 0 },
	{ 0, "\376\355\372\316", 4, "application/x-mach-binary", 0 },
	{ 0, "\376\355\372\317", 4, "application/x-mach-binary", 0 },
	{ 0, "L\0\0\0\1\24\2\0", 8, "application/x-ms-shortcut", 0 },
	{ 0, "%PDF-", 5, "application/pdf", 0 },
	{ 0, "PK\3\4", 4, "application/zip", 1 },
	{ 0, "PK\5\6", 4, "application/zip", 1 },
	{ 0, "\320\317\021\340\241\261\032\341", 8, "application/x-ole-storage", 1 },
	{ 0, "\377\330\377", 3, "image/jpeg", 0 },
	{ 0, "\211PNG\r\n\032\n", 8, "image/png", 0 },
	{ 0, "GIF87a", 6, "image/gif", 0 }, { 0, "GIF89a", 6, "image/gif", 0 },
	{ 0, "ID3", 3, "audio/mpeg", 0 }, { 0, "\377\373", 2, "audio/mpeg", 0 },
	{ 0, "\377\363", 2, "audio/mpeg", 0 }, { 0, "\377\362", 2, "audio/mpeg", 0 },
	{ 0, "OggS", 4, "audio/ogg", 0 }, { 0, "fLaC", 4, "audio/flac", 0 },
	{ 8, "WAVE", 4, "audio/x-wav", 0 }, { 8, "AVI ", 4, "video/x-msvideo", 0 },
	{ 4, "ftypM4A", 7, "audio/mp4", 0 }, { 4, "ftyp", 4, "video/mp4", 0 },
	{ 0, "\032\105\337\243", 4, "video/webm", 0 },
	{ 0, "{\\rtf", 5, "text/rtf", 0 },
	{ 0, "7z\274\257\047\034", 6, "application/x-7z-compressed", 0 },
	{ 0, "Rar!\032\7", 6, "application/x-rar", 0 },
	{ 0, "\037\213", 2, "application/gzip", 0 },
	{ 0, "MSCF\0\0\0\0", 8, "application/vnd.ms-cab-compressed", 0 },
	{ 32769, "CD001", 5, "application/x-iso9660-image", 0 },
	{ 0, "vhdxfile", 8, "application/x-vhdx", 0 },
	{ 0, "conectix", 8, "application/x-vhd", 0 },
	{ 0, "KDMV", 4, "application/x-vmdk", 0 },
};

static const char *exec_types[] = {
	"application/x-dosexec", "application/x-executable",
	"application/x-sharedlib", "application/x-pie-executable",
	"application/x-mach-binary", "application/x-msi",
	"application/x-ms-shortcut", "application/java-archive",
	"application/x-java-archive", "application/x-msdownload",
	"application/vnd.microsoft.portable-executable",
	"text/x-shellscript", "text/x-msdos-batch", "application/x-bat",
	"application/javascript", "text/javascript", "application/hta",
	"application/x-ms-installer", "application/x-elf",
	"application/vnd.ms-cab-compressed", "application/x-object",
	"application/vnd.ms-htmlhelp", "application/x-ms-compress-szdd",
};

/* Extensions Windows or a desktop runs on a double click. */
static const char *exec_exts[] = {
	"exe", "com", "scr", "pif", "cpl", "dll", "sys", "msi", "msp", "msc",
	"jar", "js", "jse", "vbs", "vbe", "vb", "wsf", "wsh", "wsc", "hta",
	"ps1", "psm1", "psd1", "ps1xml", "bat", "cmd", "lnk", "reg", "scf",
	"sh", "app", "gadget", "application", "appref-ms", "inf", "chm", "hlp",
	"iqy", "slk", "xll", "cab", "url", "settingcontent-ms", "msix", "appx",
	"appxbundle", "msixbundle", "sct", "ws", "command", "pl", "py", "elf",
};

static const char *disk_exts[] = {
	"iso", "img", "vhd", "vhdx", "dmg", "vmdk", "udf",
};

/* What an extension promises: a type prefix its bytes must start with.
 * Only names whose type is certain are here; unknown extensions are
 * judged by their bytes alone. */
static const struct {
	const char *ext, *types;  /* types: '|'-separated prefixes */
} ext_types[] = {
	{ "doc", "application/msword|application/x-ole-storage|application/vnd.ms-|application/cdfv2" },
	{ "xls", "application/vnd.ms-|application/x-ole-storage|application/cdfv2|application/msword" },
	{ "ppt", "application/vnd.ms-|application/x-ole-storage|application/cdfv2|application/msword" },
	{ "docx", "application/vnd.openxmlformats|application/zip|application/vnd.ms-" },
	{ "xlsx", "application/vnd.openxmlformats|application/zip|application/vnd.ms-" },
	{ "pptx", "application/vnd.openxmlformats|application/zip|application/vnd.ms-" },
	{ "odt", "application/vnd.oasis|application/zip" },
	{ "ods", "application/vnd.oasis|application/zip" },
	{ "pdf", "application/pdf" },
	{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" }, { "png", "image/png" },
	{ "gif", "image/gif" }, { "txt", "text/" }, { "csv", "text/" },
	{ "zip", "application/zip" }, { "mp3", "audio/mpeg" },
	{ "wav", "audio/x-wav|audio/wav" }, { "rtf", "text/rtf|application/rtf" },
	{ "7z", "application/x-7z-compressed" },
	{ "gz", "application/gzip|application/x-gzip" },
	{ "rar", "application/x-rar|application/vnd.rar" },
};

static int
in_list(const char *s, const char *const *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(s, l[i]) == 0)
			return 1;
	return 0;
}

#define IN(s, l) in_list((s), (l), sizeof (l) / sizeof (l)[0])

/* The name without what Windows drops (trailing dots and spaces) and
 * without directories, into out. */
static void
base_name(const char *name, char *out, size_t n)
{
	const char *s = strrchr(name, '/'), *b = strrchr(name, '\\');
	size_t l;

	if (b && (!s || b > s))
		s = b;
	s = s ? s + 1 : name;
	l = strlen(s);
	while (l && (s[l - 1] == '.' || s[l - 1] == ' '))
		l--;
	if (l >= n) {
		s += l - (n - 1);
		l = n - 1;
	}
	memcpy(out, s, l);
	out[l] = '\0';
}

/* The last extension of a name, lower case, "" if none. */
void
ftype_ext(const char *name, char *out, size_t n)
{
	char b[512];
	const char *dot;
	size_t i;

	base_name(name, b, sizeof b);
	out[0] = '\0';
	if ((dot = strrchr(b, '.')) == NULL || dot == b)
		return;
	for (i = 0; dot[1 + i] && i + 1 < n; i++)
		out[i] = (char)((unsigned char)dot[1 + i] >= 'A' &&
		    (unsigned char)dot[1 + i] <= 'Z' ? dot[1 + i] + 32 : dot[1 + i]);
	out[i] = '\0';
}

/* "happy.doc.exe", "a.pdf   .exe", "a.pdf...exe": a name that shows one
 * type and runs as another.  1 or 0. */
int
ftype_double_ext(const char *name)
{
	char b[512], last[32], prev[32];
	char *dot;
	size_t l;

	base_name(name, b, sizeof b);
	ftype_ext(b, last, sizeof last);
	if (!last[0] || !IN(last, exec_exts))
		return 0;
	dot = strrchr(b, '.');
	*dot = '\0';
	l = strlen(b);
	/* padding before the real extension hides it in a narrow column */
	if (l && (b[l - 1] == ' ' || b[l - 1] == '.' || b[l - 1] == '_'))
		return 1;
	ftype_ext(b, prev, sizeof prev);
	return prev[0] != '\0' && strlen(prev) <= 5 && !IN(prev, exec_exts);
}

/* Does the data look like text (no NUL, few control bytes) at its
 * start? */
static int
textual(const char *p, size_t n)
{
	size_t i, bad = 0, m = n < 4096 ? n : 4096;

	for (i = 0; i < m; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == 0)
			return 0;
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' &&
		    c != 0x1b)
			bad++;
	}
	return bad * 50 < m + 1;
}

static const char *
find_ci(const char *h, size_t n, const char *needle)
{
	size_t l = strlen(needle), i;

	for (i = 0; l && i + l <= n; i++)
		if (strncasecmp(h + i, needle, l) == 0)
			return h + i;
	return NULL;
}

static int
has(const char *p, size_t n, const void *needle, size_t l)
{
	return memmem(p, n, needle, l) != NULL;
}

/* Does the OLE2 compound file (MS-CFB) have a directory entry of this
 * name?  Entries are 128-byte records at multiples of 128 past the
 * 512-byte header, the name in UTF-16LE with its length in bytes (NUL
 * included) at offset 64; matching whole entries, not the name anywhere,
 * keeps a document whose text says "Macros" from being called one. */
static int
ole_entry(const char *p, size_t n, const char *name)
{
	size_t l = strlen(name), off, k;

	for (off = 512; off + 128 <= n; off += 128) {
		const unsigned char *e = (const unsigned char *)p + off;
		if (e[64] != (l + 1) * 2 || e[65] != 0)
			continue;
		for (k = 0; k < l; k++)
			if (e[2 * k + 1] != 0 || (e[2 * k] | 0x20) != (name[k] | 0x20))
				break;
		if (k == l && e[2 * l] == 0 && e[2 * l + 1] == 0)
			return 1;
	}
	return 0;
}

/* Macro parts of OOXML and ODF packages, by member name: a VBA project
 * (Word, Excel, PowerPoint), Excel 4.0 macro sheets (XLM, still loved by
 * droppers), OpenOffice Basic and script libraries; and a Word settings
 * relation that fetches a template from outside (template injection:
 * the macros come from the net when the document opens). */
static int
macro_member(const char *name, const char *base, const char *p, size_t n)
{
	if (strcasecmp(base, "vbaProject.bin") == 0 ||
	    strcasecmp(base, "vbaProjectSignature.bin") == 0 ||
	    strncasecmp(name, "xl/macrosheets/", 15) == 0 ||
	    strncmp(name, "Basic/", 6) == 0 || strstr(name, "/Basic/") ||
	    strncmp(name, "Scripts/", 8) == 0)
		return 1;
	if (strcasecmp(base, "[Content_Types].xml") == 0)
		return find_ci(p, n, "macroEnabled") || find_ci(p, n, "macrosheet");
	if (strcasecmp(base, "settings.xml.rels") == 0)
		return find_ci(p, n, "attachedTemplate") && find_ci(p, n, "External");
	return 0;
}

/* HTML smuggling (MITRE ATT&CK T1027.006): a script that decodes a blob
 * and hands it to the browser as a download. */
static int
smuggles(const char *p, size_t n)
{
	static const char *how[] = {
		"atob(", "new blob(", "mssaveoropenblob", "createobjecturl",
		".download", "download=", ";base64,", "fromcharcode",
	};
	size_t i, k = 0;

	if (!find_ci(p, n, "<script"))
		return 0;
	for (i = 0; i < sizeof how / sizeof how[0]; i++)
		if (find_ci(p, n, how[i]))
			k++;
	return k >= 2;
}

/* The true type of the bytes into r->type. */
static int
true_type(struct ftype *ft, const char *p, size_t n, const char *ext,
    struct ftype_result *r)
{
	size_t i;
	int refine = 0;

	r->type[0] = '\0';
	if (n >= 64 && p[0] == 'M' && p[1] == 'Z')
		snprintf(r->type, sizeof r->type, "application/x-dosexec");
	for (i = 0; !r->type[0] && i < sizeof sigs / sizeof sigs[0]; i++)
		if (n >= sigs[i].off + sigs[i].len &&
		    memcmp(p + sigs[i].off, sigs[i].magic, sigs[i].len) == 0) {
			snprintf(r->type, sizeof r->type, "%s", sigs[i].type);
			refine = sigs[i].refine;
		}
	if (!r->type[0] && n >= 512 && memcmp(p + n - 512, "koly", 4) == 0)
		snprintf(r->type, sizeof r->type, "application/x-apple-diskimage");
	if (!r->type[0] && n >= 512 && memcmp(p + n - 512, "conectix", 8) == 0)
		snprintf(r->type, sizeof r->type, "application/x-vhd");
	if (!r->type[0] && n > 2 && p[0] == '#' && p[1] == '!')
		snprintf(r->type, sizeof r->type, "text/x-shellscript");
	if (!r->type[0] && n == 0)
		snprintf(r->type, sizeof r->type, "application/x-empty");
	if (!r->type[0] && textual(p, n)) {
		size_t m = n < 2048 ? n : 2048;
		if (find_ci(p, m, "<html") || find_ci(p, m, "<!doctype html") ||
		    find_ci(p, m, "<script") || find_ci(p, m, "<body"))
			snprintf(r->type, sizeof r->type, "text/html");
		else if (n >= 5 && memcmp(p, "<?xml", 5) == 0)
			snprintf(r->type, sizeof r->type, "text/xml");
		else if (!ext[0] || !IN(ext, exec_exts))
			snprintf(r->type, sizeof r->type, "text/plain");
		else
			refine = 1;  /* a script by its name: libmagic says which */
	}
	if (!r->type[0] || refine) {
		const char *t;
		ft->calls++;
		if (ft->magic && (t = magic_buffer(ft->magic, p,
		    n < FTYPE_MAGIC_BYTES ? n : FTYPE_MAGIC_BYTES)) != NULL &&
		    (!r->type[0] || strcmp(t, "application/octet-stream") != 0))
			snprintf(r->type, sizeof r->type, "%s", t);
		else if (!r->type[0])
			snprintf(r->type, sizeof r->type, "application/octet-stream");
	}
	for (i = 0; r->type[i]; i++)
		if (r->type[i] >= 'A' && r->type[i] <= 'Z')
			r->type[i] = (char)(r->type[i] + 32);
	return 0;
}

/* Does the extension promise something the bytes are not? */
static int
ext_lies(const char *ext, const char *type)
{
	size_t i;

	if (!ext[0] || strcmp(type, "application/octet-stream") == 0 ||
	    strcmp(type, "application/x-empty") == 0)
		return 0;
	for (i = 0; i < sizeof ext_types / sizeof ext_types[0]; i++) {
		const char *t = ext_types[i].types;
		if (strcmp(ext, ext_types[i].ext) != 0)
			continue;
		while (*t) {
			size_t l = strcspn(t, "|");
			if (strncmp(type, t, l) == 0)
				return 0;
			t += l + (t[l] == '|');
		}
		return 1;
	}
	return 0;
}

/* Does the declared type's family (text, image, audio, video) differ
 * from the bytes'?  "application/..." declares too little to judge. */
static int
declared_lies(const char *decl, const char *type)
{
	static const char *fam[] = { "image/", "audio/", "video/" };
	size_t i;

	if (!decl[0] || strcmp(type, "application/octet-stream") == 0 ||
	    strcmp(type, "application/x-empty") == 0)
		return 0;
	for (i = 0; i < sizeof fam / sizeof fam[0]; i++)
		if (strncmp(decl, fam[i], strlen(fam[i])) == 0)
			return strncmp(type, fam[i], strlen(fam[i])) != 0;
	return 0;
}

/* Judge one item: its true type, extension and categories into r. */
int
ftype_judge(struct ftype *ft, const struct explode_item *it,
    struct ftype_result *r)
{
	const char *p = it->data ? it->data : "";
	const char *base;
	size_t n = it->data ? it->len : 0;

	memset(r, 0, sizeof *r);
	ftype_ext(it->name, r->ext, sizeof r->ext);
	/* encrypted, or a member libarchive could not inflate (Deflate64,
	 * Implode): its bytes are unknown, not empty */
	if (it->data == NULL || (n == 0 && (it->flags & MIME_CORRUPT)))
		snprintf(r->type, sizeof r->type, "application/octet-stream");
	else if (true_type(ft, p, n, r->ext, r) == -1)
		return -1;
	base = strrchr(it->name, '/');
	base = base ? base + 1 : it->name;

	if (it->flags & MIME_LIMITS)
		r->cat |= FTYPE_BOMB;
	if (it->flags & MIME_AMBIGUOUS)
		r->cat |= FTYPE_AMBIGUOUS;
	if (it->flags & MIME_ENCRYPTED)
		r->cat |= FTYPE_ENCRYPTED;
	if (it->flags & MIME_CONTAINER)
		r->cat |= FTYPE_ARCHIVE;
	if (it->flags & MIME_CORRUPT)
		r->cat |= FTYPE_CORRUPT;
	if (IN(r->type, exec_types) || (r->ext[0] && IN(r->ext, exec_exts)))
		r->cat |= FTYPE_EXECUTABLE;
	if (strncmp(r->type, "audio/", 6) == 0 || strncmp(r->type, "video/", 6) == 0)
		r->cat |= FTYPE_MEDIA;
	if (strncmp(r->type, "image/", 6) == 0)
		r->cat |= FTYPE_IMAGE;
	if (strcmp(r->type, "application/octet-stream") == 0 && it->data)
		r->cat |= FTYPE_UNKNOWN;
	if (strstr(r->type, "iso9660") || strstr(r->type, "diskimage") ||
	    strstr(r->type, "vhd") || strstr(r->type, "vmdk") ||
	    (r->ext[0] && IN(r->ext, disk_exts)))
		r->cat |= FTYPE_DISKIMAGE;
	if (strcmp(r->type, "application/pdf") == 0 || strstr(r->type, "msword") ||
	    strstr(r->type, "officedocument") || strstr(r->type, "opendocument") ||
	    strstr(r->type, "ms-excel") || strstr(r->type, "ms-powerpoint") ||
	    strstr(r->type, "ole-storage") || strstr(r->type, "cdfv2") ||
	    strcmp(r->type, "text/rtf") == 0)
		r->cat |= FTYPE_DOCUMENT;
	if (strncmp(r->type, "text/", 5) == 0)
		r->cat |= FTYPE_TEXT;
	/* Office macros: an OLE2 file with a VBA project storage (its
	 * directory names are UTF-16), an OOXML or ODF member that is one */
	if (strstr(r->type, "ole-storage") || strstr(r->type, "msword") ||
	    strstr(r->type, "ms-excel") || strstr(r->type, "ms-powerpoint") ||
	    strstr(r->type, "cdfv2") || strstr(r->type, "ms-office")) {
		/* _VBA_PROJECT: the stream every VBA project has; Macros:
		 * Word's storage for it; _VBA_PROJECT_CUR: Excel's */
		if (ole_entry(p, n, "_VBA_PROJECT") || ole_entry(p, n, "Macros") ||
		    ole_entry(p, n, "_VBA_PROJECT_CUR"))
			r->cat |= FTYPE_MACRO;
		/* an OOXML document under a password (MS-OFFCRYPTO) */
		if (ole_entry(p, n, "EncryptedPackage"))
			r->cat |= FTYPE_ENCRYPTED;
	}
	if ((it->flags & MIME_MEMBER) && macro_member(it->name, base, p, n))
		r->cat |= FTYPE_MACRO;
	/* an ODF document under a password: its manifest says how */
	if ((it->flags & MIME_MEMBER) && strcmp(it->name, "META-INF/manifest.xml") == 0 &&
	    find_ci(p, n, "encryption-data"))
		r->cat |= FTYPE_ENCRYPTED;
	if (strcmp(r->type, "application/pdf") == 0 && has(p, n, "/Encrypt", 8))
		r->cat |= FTYPE_ENCRYPTED;
	if ((strcmp(r->type, "text/html") == 0 || strcmp(r->ext, "htm") == 0 ||
	    strcmp(r->ext, "html") == 0 || strcmp(r->ext, "xhtml") == 0 ||
	    strcmp(r->ext, "shtml") == 0 || strcmp(r->ext, "svg") == 0) &&
	    (it->name[0] || (it->flags & MIME_MEMBER)) && smuggles(p, n))
		r->cat |= FTYPE_SMUGGLING;
	if (ext_lies(r->ext, r->type) || declared_lies(it->type, r->type))
		r->cat |= FTYPE_RENAMED;
	if (it->name[0] && ftype_double_ext(it->name))
		r->cat |= FTYPE_DOUBLEEXT;
	if (it->flags & MIME_BADNAME) {
		struct buf e = BUF_INIT;
		if (explode_escape(it->name, strlen(it->name), &e) == 0 && e.p &&
		    strstr(e.p, "\\u"))
			r->cat |= FTYPE_BIDI;
		else
			r->cat |= FTYPE_BADNAME;
		buf_free(&e);
	}
	return 0;
}
