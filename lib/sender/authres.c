/* authres: RFC 8601 Authentication-Results (see authres.h).  The value is
 * untrusted header bytes; every loop is bounded by its length. */
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "log.h"

/* Skip CFWS (RFC 5322 3.2.2): white space, line ends of folded lines and
 * comments, which nest and may hold quoted pairs. */
static size_t
skip_cfws(const char *s, size_t n, size_t i)
{
	size_t depth = 0;

	for (; i < n; i++) {
		char c = s[i];

		if (depth) {
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
		} else if (c == '(')
			depth = 1;
		else if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
	}
	return i;
}

/* Does the field value v[0..n) start with authserv-id id (as a token or a
 * quoted string, after any CFWS), compared without regard to case as RFC
 * 8601 section 2.5 asks?  A field that is nothing but the id counts too:
 * it claims to be ours all the same. */
int
authres_id_is(const char *v, size_t n, const char *id)
{
	size_t i = skip_cfws(v, n, 0), idl = strlen(id), k;

	if (idl == 0 || i >= n)
		return 0;
	if (v[i] == '"') {
		/* quoted-string: compare its text with the quoting removed */
		char q[256];

		for (i++, k = 0; i < n && v[i] != '"'; i++) {
			if (v[i] == '\\' && i + 1 < n)
				i++;
			if (k == sizeof q)
				return 0;
			q[k++] = v[i];
		}
		return i < n && k == idl && strncasecmp(q, id, idl) == 0;
	}
	for (k = i; k < n; k++)
		if (v[k] == ';' || v[k] == ' ' || v[k] == '\t' || v[k] == '\r' ||
		    v[k] == '\n' || v[k] == '(')
			break;
	return k - i == idl && strncasecmp(v + i, id, idl) == 0;
}

/* RFC 5322 3.2.3 atext and '.': what a pvalue may hold unquoted. */
static int
plain(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~.@", c));
}

/* A pvalue (RFC 8601 2.2) onto b: as it is when it is plain, else a
 * quoted string with what it holds made printable ASCII. */
int
authres_value(struct buf *b, const char *s, int quote)
{
	char c[512];
	size_t i, n;

	n = log_clean(c, sizeof c, s, strlen(s));
	for (i = 0; i < n && !quote; i++)
		if (!plain((unsigned char)c[i]))
			quote = 1;
	if (!quote)
		return buf_add(b, c, n);
	if (buf_addc(b, '"') == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (((c[i] == '"' || c[i] == '\\') && buf_addc(b, '\\') == -1) ||
		    buf_addc(b, c[i]) == -1)
			return -1;
	return buf_addc(b, '"');
}

/* A comment (RFC 5322 3.2.2) onto b: " (text)" with the text printable
 * ASCII and its parentheses and backslashes quoted. */
int
authres_comment(struct buf *b, const char *s)
{
	char c[512];
	size_t i, n;

	n = log_clean(c, sizeof c, s, strlen(s));
	if (buf_adds(b, " (") == -1)
		return -1;
	for (i = 0; i < n; i++)
		if ((strchr("()\\", c[i]) && buf_addc(b, '\\') == -1) ||
		    buf_addc(b, c[i]) == -1)
			return -1;
	return buf_addc(b, ')');
}

/* The one-line field in into out, folded before white space so that no
 * line passes 78 columns (RFC 5322 2.1.1, 2.2.3); the space stays, so
 * unfolding gives back the line.  Ends in LF. */
int
authres_fold(const struct buf *in, struct buf *out)
{
	size_t i = 0, j, col = 0;

	while (i < in->len) {
		j = i + (in->p[i] == ' ');
		while (j < in->len && in->p[j] != ' ')
			j++;
		if (col > 0 && in->p[i] == ' ' && col + (j - i) > 78) {
			if (buf_addc(out, '\n') == -1)
				return -1;
			col = 0;
		}
		if (buf_add(out, in->p + i, j - i) == -1)
			return -1;
		col += j - i;
		i = j;
	}
	return buf_addc(out, '\n');
}
