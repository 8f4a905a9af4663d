/* defang: links in text made unclickable and still readable, as incident
 * responders write them: "https://www.example.com/x" becomes
 * "hxxps://www[.]example[.]com/x", "www.example.com" becomes
 * "www[.]example[.]com".  The schemes mail clients turn into links
 * (http, https, ftp) and bare "www." names are rewritten; the path is
 * kept as it was.  Text already defanged is left as it is, so running
 * twice changes nothing.  Works on any charset in which ASCII bytes are
 * ASCII (charset.h).  Library code: never prints, never exits. */
#ifndef PORTCULLIS_DEFANG_H
#define PORTCULLIS_DEFANG_H
#include <stddef.h>
#include "buf.h"

int    defang_text(const char *, size_t, struct buf *out, size_t *nlinks);
size_t defang_count(const char *, size_t);

#endif
