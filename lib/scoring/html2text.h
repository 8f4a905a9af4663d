/* html2text: an HTML part rendered to the plain text a person reads, for
 * link-defang (and add-disclaimer's check for a disclaimer already
 * there).  Paragraphs and headings become blank-line separated blocks,
 * line breaks stay, list items get "*" or their number, table cells of a
 * row are joined by " | ", images show their alt text.  What a reader
 * never sees is dropped: scripts, styles, comments, the title, and
 * elements hidden by the hidden attribute or by style (display:none,
 * visibility:hidden, font-size:0, opacity:0, max-height:0).  Each link's
 * real target is written after its text as " <target>" unless the text
 * already shows it, so that a link whose text names another place is
 * plain to see.  Input is UTF-8 (the caller converts), a stranger's,
 * never valid: one pass, no tree; the only stack is a small one of list
 * levels; output is bounded by HTML2TEXT_GROWTH times the input.
 * Library code: never prints, never exits. */
#ifndef PORTCULLIS_HTML2TEXT_H
#define PORTCULLIS_HTML2TEXT_H
#include <stddef.h>
#include "buf.h"

#define HTML2TEXT_GROWTH  8      /* output <= 8 * input + 64 bytes */
#define HTML2TEXT_LISTS   8      /* list levels indented; deeper: flat */
#define HTML2TEXT_HREF    2048   /* bytes of a link target kept */

struct html2text_stats {
	size_t links;     /* links with a target shown or already visible */
	size_t shown;     /* targets written beside their text */
	size_t hidden;    /* hidden elements dropped */
};

int html2text(const char *, size_t, struct buf *out,
	struct html2text_stats *);

#endif
