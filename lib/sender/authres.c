/* authres: RFC 8601 Authentication-Results (see authres.h).  The value is
 * untrusted header bytes; every loop is bounded by its length. */
#include <string.h>
#include <strings.h>

#include "authres.h"

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
