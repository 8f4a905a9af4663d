/* ftype: what a part or member really is, from its bytes (our own table
 * of signatures first, libmagic where the table does not decide), and
 * what that means for policy: the categories of filetype-check(8) and
 * attachments(5).  A file's name and declared type are a stranger's
 * claims; they are compared with the bytes, never trusted.  libmagic is
 * loaded once per process (ftype_open) and costs about half a
 * millisecond a call, so it is called only where the table cannot tell
 * (binary data it does not know, and zip and OLE2 files, whose subtype
 * matters).  Library code: never prints, never exits. */
#ifndef PORTCULLIS_FTYPE_H
#define PORTCULLIS_FTYPE_H
#include <stddef.h>
#include "explode.h"

/* Categories, one bit each; names in ftype_cat_name. */
#define FTYPE_EXECUTABLE 0x0001  /* PE, ELF, Mach-O, scripts, lnk, msi, jar */
#define FTYPE_MACRO      0x0002  /* an Office or ODF document with macros */
#define FTYPE_ENCRYPTED  0x0004  /* encrypted archive, member or document */
#define FTYPE_MEDIA      0x0008  /* audio and video */
#define FTYPE_ARCHIVE    0x0010  /* a container */
#define FTYPE_UNKNOWN    0x0020  /* bytes no signature knows */
#define FTYPE_RENAMED    0x0040  /* name or declared type says otherwise */
#define FTYPE_DOUBLEEXT  0x0080  /* "happy.doc.exe", "a.pdf   .exe" */
#define FTYPE_BIDI       0x0100  /* a bidi control in the name */
#define FTYPE_DISKIMAGE  0x0200  /* iso, img, vhd, vhdx, dmg, vmdk */
#define FTYPE_SMUGGLING  0x0400  /* HTML that builds a file in script */
#define FTYPE_BOMB       0x0800  /* a limit of the engine was reached */
#define FTYPE_AMBIGUOUS  0x1000  /* MIME that readers could read two ways */
#define FTYPE_BADNAME    0x2000  /* ../, absolute path or control bytes */
#define FTYPE_DOCUMENT   0x4000  /* pdf, office, odf, rtf */
#define FTYPE_IMAGE      0x8000
#define FTYPE_TEXT       0x10000
#define FTYPE_CORRUPT    0x20000  /* a container that could not be read */
#define FTYPE_NCAT       18

#define FTYPE_MAGIC_BYTES (1024 * 1024)  /* what libmagic is shown */

struct ftype {
	void *magic;   /* magic_t, or NULL until ftype_open */
	size_t calls;  /* magic_buffer calls, for the bench */
};

struct ftype_result {
	char     type[128];   /* the true type, MIME form */
	char     ext[32];     /* last extension of the name, lower case */
	unsigned cat;         /* FTYPE_* */
};

int         ftype_open(struct ftype *);
void        ftype_close(struct ftype *);
int         ftype_judge(struct ftype *, const struct explode_item *,
	struct ftype_result *);
const char *ftype_cat_name(unsigned bit);
unsigned    ftype_cat_parse(const char *);
int         ftype_double_ext(const char *name);
void        ftype_ext(const char *name, char *out, size_t n);

#endif
