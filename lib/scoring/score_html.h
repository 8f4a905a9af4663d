/* score_html: HTML rendered to the text a reader sees, for spam-score's
 * body rules and Bayes, and the links and image sources in it for its URI
 * rules.  Scripts, styles and comments are dropped, block elements become
 * line breaks, character references are decoded to UTF-8.  The input is a
 * stranger's HTML, never valid and sometimes hostile: the renderer is one
 * pass, keeps no tree, and its output is never longer than its input plus
 * a few bytes per tag.  Library code: never prints, never exits. */
#ifndef PORTCULLIS_SCORE_HTML_H
#define PORTCULLIS_SCORE_HTML_H
#include <stddef.h>
#include "buf.h"

/* What the renderer saw, for the built-in tests. */
#define SCORE_HTML_IMG       0x01  /* an <img> */
#define SCORE_HTML_FORM      0x02  /* a <form> */
#define SCORE_HTML_SCRIPT    0x04  /* a <script> or an on... handler */
#define SCORE_HTML_MISMATCH  0x08  /* link text shows a host the href is not */
#define SCORE_HTML_HIDDEN    0x10  /* display:none or a tiny font */

/* At most this many links are collected from one part. */
#define SCORE_HTML_MAXURI 1000

int score_html_render(const char *, size_t, struct buf *text,
	struct buf *uris, size_t *nuri, unsigned *flags);
int score_html_entity(const char *, size_t, size_t *used, char out[8]);
int score_uri_host(const char *, size_t, char *host, size_t hostsize);
int score_uri_add(struct buf *uris, const char *, size_t);

#endif
