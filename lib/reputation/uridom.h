/* uridom: the host names of the links in a message's text, cut to the
 * name their owner registered (the Public Suffix List through libpsl:
 * "www.evil.example.co.uk" is "example.co.uk"), as URI blocklists (SURBL,
 * URIBL, Spamhaus DBL) list them.  Links are found as a mail reader finds
 * them: "http://", "https://", "ftp://" (with "\\" for "/" too) and bare
 * "www." names, in plain text and in HTML alike; the host is read as a
 * browser reads it (uri.h: the user part of "http://bank.example@evil.test/"
 * skipped, "%2e" decoded, Unicode labels and the IDNA full stops turned
 * into A-labels, "0x7f.1" into 127.0.0.1, final dots dropped); IPv4
 * addresses are kept as addresses; in HTML, character references are
 * decoded first ("&#104;ttp://").  The text is a stranger's: every name is
 * checked and capped.  Library code: never prints, never exits. */
#ifndef PORTCULLIS_URIDOM_H
#define PORTCULLIS_URIDOM_H
#include <stddef.h>

#define URIDOM_NAME_MAX 253

struct uridom {
	char  **v;       /* registered domains or dotted IPv4, lower case */
	int    *ip;      /* 1 when v[i] is an IPv4 address */
	size_t  n, max;  /* max: keep at most this many (others are counted) */
	size_t  dropped; /* distinct names past max */
	size_t  links;   /* links seen */
};

void uridom_init(struct uridom *, size_t max);
int  uridom_scan(struct uridom *, const char *text, size_t len);
int  uridom_scan_html(struct uridom *, const char *html, size_t len);
int  uridom_registered(const char *host, char *out, size_t outsize);
void uridom_free(struct uridom *);

#endif
