/* render: a tally (tally.h) as the day's report, in plain text for mail
 * and as one self-contained HTML page (inline CSS and SVG charts, no
 * script, nothing fetched).  Every name from the log is escaped for
 * HTML: the log holds what strangers wrote. */
#ifndef PORTCULLIS_RENDER_H
#define PORTCULLIS_RENDER_H
#include <stddef.h>

#include "buf.h"
#include "tally.h"

int render_text(struct buf *, const struct tally *, size_t top);
int render_html(struct buf *, const struct tally *, size_t top);
int render_html_escape(struct buf *, const char *);

#endif
