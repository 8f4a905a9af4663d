/* uri: a link's host as a browser resolves it, so that spam-score's URI
 * rules and dnsbl-check's URI blocklists see the name the reader is taken
 * to and not the spelling a sender chose to hide it behind.  The host is
 * parsed as the WHATWG URL standard's host parser does for the special
 * schemes: percent-decoded, the IDNA full stops (U+3002, U+FF0E, U+FF61)
 * taken as dots, Unicode labels mapped (UTS #46, non-transitional) and
 * written as A-labels (RFC 3492, RFC 5891) through libidn2, lower-cased,
 * final dots dropped, and a name whose last label is a number read as an
 * IPv4 address in any of the forms browsers accept (0x7f.1, 017700000001,
 * 2130706433) and written as a dotted quad.  "\" counts as "/" after
 * http:, https: and ftp:, and the user part before "@" is not the host.
 * The text is a stranger's: the authority is capped at URI_AUTH_MAX bytes
 * and the host at URI_HOST_MAX, and every pass is linear.  Library code:
 * never prints, never exits. */
#ifndef PORTCULLIS_URI_H
#define PORTCULLIS_URI_H
#include <stddef.h>
#include "buf.h"

#define URI_HOST_MAX 253    /* a DNS name (RFC 1035 2.3.4) */
#define URI_AUTH_MAX 1024   /* authority bytes read; past it, no host */

/* What kind of host uri_host found. */
#define URI_NAME 1
#define URI_IPV4 2
#define URI_IPV6 3

/* What the written form hid (uri_host and uri_canon set them). */
#define URI_F_PERCENT  0x01  /* percent-escapes in the host */
#define URI_F_USERINFO 0x02  /* a user part before the host */
#define URI_F_NUMERIC  0x04  /* an IPv4 address not written as a dotted quad */
#define URI_F_IDN      0x08  /* Unicode labels or IDNA full stops */
#define URI_F_SLASH    0x10  /* "\" for "/", or not two slashes after the scheme */

struct uri_parts {
	size_t scheme;    /* the scheme's length ("http"), 0 for a bare "www." */
	size_t auth;      /* the authority: [auth, end) */
	size_t end;
	unsigned flags;   /* URI_F_SLASH */
};

int    uri_split(const char *, size_t, size_t minslash, struct uri_parts *);
int    uri_host(const char *, size_t, char *out, size_t outsize, unsigned *flags);
int    uri_canon(const char *, size_t, struct buf *out, unsigned *flags);
size_t uri_text_host_end(const char *, size_t auth, size_t end);

#endif
