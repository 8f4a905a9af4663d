/* rtf: the objects embedded in an RTF document (\objdata, hex-encoded
 * OLE1 objects, RTF 1.9.1 and MS-OLEDS 2.2): a Packager object's file
 * with its label as name, or any other embedded object's native data (an
 * OLE2 document, often with macros; an equation editor exploit).  Word
 * opens them; droppers hide programs there.  Input is a stranger's: the
 * hex is decoded under a cap and every OLE1 length is checked against
 * what is left.  Library code: never prints, never exits. */
#ifndef PORTCULLIS_RTF_H
#define PORTCULLIS_RTF_H
#include <stddef.h>

#define RTF_NAME_MAX 256

/* 0 go on, 1 stop, -1 error.  data is valid during the call only. */
typedef int (*rtf_fn)(void *arg, const char *name, const char *data,
	size_t len, int capped);

int rtf_is(const char *, size_t);
int rtf_walk(const char *, size_t, size_t maxparts, size_t maxbytes,
	rtf_fn, void *arg);

#endif
