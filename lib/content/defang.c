/* defang: links rewritten so that no client makes them clickable (see
 * defang.h).  One pass over the text; the output is at most three bytes
 * per input byte (each '.' of a host becomes "[.]").  Runs under any
 * uid. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "defang.h"

/* A link starts at s[i]: its scheme's length (with "://"), or 0 for a
 * bare "www." name; -1 when none starts here.  A link starts where a
 * word does, so that "xhttp://" or "awww.x" are not ones; after any other
 * byte it does (a redirector's path often holds a second, live link). */
static long
link_at(const char *s, size_t n, size_t i)
{
	static const char *const sch[] = { "https://", "http://", "ftp://", NULL };
	const char *const *p;

	if (i > 0 && isalnum((unsigned char)s[i - 1]))
		return -1;
	for (p = sch; *p; p++) {
		size_t l = strlen(*p);
		if (n - i > l && strncasecmp(s + i, *p, l) == 0)
			return (long)l;
	}
	if (n - i > 4 && strncasecmp(s + i, "www.", 4) == 0 &&
	    isalnum((unsigned char)s[i + 4]))
		return 0;
	return -1;
}

/* Where the host of a link ends: at the path, query, fragment, white
 * space, or a character that ends a link in running text; and before the
 * scheme of another link ("ftp://https://x", "www.http://x"), which is
 * then a link of its own, so that its defanged form holds no link start
 * a second run would find. */
static size_t
host_end(const char *s, size_t n, size_t i)
{
	size_t k;

	for (k = i; k < n; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c <= ' ' || c == 0x7f || strchr("/?#\\<>\"'()[]{}|,;", c))
			break;
		if (c == ':' && k + 2 < n && s[k + 1] == '/' && s[k + 2] == '/') {
			while (k > i && isalnum((unsigned char)s[k - 1]))
				k--;
			break;
		}
	}
	return k;
}

/* A link at s[i]: 1 with its scheme's length in *sl and its host's end
 * in *he, else 0.  A bare "www." needs a host after it. */
static int
link_here(const char *s, size_t n, size_t i, size_t *sl, size_t *he)
{
	unsigned char c = (unsigned char)s[i];
	long l;

	if (!(c == 'h' || c == 'H' || c == 'f' || c == 'F' || c == 'w' ||
	    c == 'W') || (l = link_at(s, n, i)) < 0)
		return 0;
	*sl = (size_t)l;
	*he = host_end(s, n, i + *sl);
	return l > 0 || *he > i + 4;
}

/* The rewritten scheme: 't' becomes 'x' in http and https, "ftp" becomes
 * "fxp", case kept. */
static int
put_scheme(struct buf *out, const char *s, size_t l)
{
	size_t k;

	for (k = 0; k < l; k++) {
		char c = s[k];
		if ((k == 1 || k == 2) && (c == 't' || c == 'T') &&
		    (s[0] == 'h' || s[0] == 'H'))
			c = c == 't' ? 'x' : 'X';
		else if (k == 1 && (c == 't' || c == 'T'))
			c = c == 't' ? 'x' : 'X';
		if (buf_addc(out, c) == -1)
			return -1;
	}
	return 0;
}

/* Text s[0..n) with its links defanged, appended to out; the number of
 * links in *nlinks.  0, or -1 when out of memory. */
int
defang_text(const char *s, size_t n, struct buf *out, size_t *nlinks)
{
	size_t i = 0, start = 0, sl, he, k;

	*nlinks = 0;
	while (i < n) {
		if (!link_here(s, n, i, &sl, &he)) {
			i++;
			continue;
		}
		if (buf_add(out, s + start, i - start) == -1 ||
		    put_scheme(out, s + i, sl) == -1)
			return -1;
		(*nlinks)++;
		/* a user part before the host is part of what hides it; a
		 * final dot ends the sentence, not the name */
		for (k = i + sl; k < he; k++) {
			if (s[k] == '.' && k + 1 < he) {
				if (buf_adds(out, "[.]") == -1)
					return -1;
			} else if (buf_addc(out, s[k]) == -1)
				return -1;
		}
		i = start = he;
	}
	return buf_add(out, s + start, n - start);
}

/* How many links defang_text would rewrite in s[0..n). */
size_t
defang_count(const char *s, size_t n)
{
	size_t i = 0, c = 0, sl, he;

	while (i < n) {
		if (link_here(s, n, i, &sl, &he)) {
			c++;
			i = he > i + sl ? he : i + sl;
		} else
			i++;
	}
	return c;
}
