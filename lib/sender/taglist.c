/* taglist: tag-list parsing (see taglist.h).  Input is untrusted header
 * or DNS bytes; every loop is bounded by the length given. */
#include <string.h>
#include <strings.h>

#include "taglist.h"

static int
wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* tag-list = tag-spec *( ";" tag-spec ) [ ";" ] (RFC 6376 3.2).  The
 * number of tags, or -1 for a syntax error, a tag named twice or more
 * than max tags. */
int
taglist_parse(const char *s, size_t n, struct tag *t, size_t max)
{
	size_t i = 0, k, nt = 0, a, b, e;

	while (i < n) {
		for (e = i; e < n && s[e] != ';'; e++)
			;
		a = i;
		while (a < e && wsp(s[a]))
			a++;
		if (a == e) {
			/* empty spec: only allowed as the trailing ";" */
			if (e < n) {
				size_t r = e + 1;
				while (r < n && wsp(s[r]))
					r++;
				if (r < n)
					return -1;
			}
			break;
		}
		for (b = a; b < e && s[b] != '=' && !wsp(s[b]); b++)
			;
		if (b == a || !((s[a] | 0x20) >= 'a' && (s[a] | 0x20) <= 'z'))
			return -1;
		for (k = a; k < b; k++) {
			char c = s[k];
			if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
			    !(c >= '0' && c <= '9') && c != '_')
				return -1;
		}
		if (nt == max)
			return -1;
		t[nt].name = s + a;
		t[nt].nl = b - a;
		while (b < e && wsp(s[b]))
			b++;
		if (b == e || s[b] != '=')
			return -1;
		b++;
		while (b < e && wsp(s[b]))
			b++;
		k = e;
		while (k > b && wsp(s[k - 1]))
			k--;
		t[nt].val = s + b;
		t[nt].vl = k - b;
		for (k = 0; k < nt; k++)
			if (t[k].nl == t[nt].nl &&
			    memcmp(t[k].name, t[nt].name, t[nt].nl) == 0)
				return -1;
		nt++;
		i = e + 1;
	}
	return (int)nt;
}

/* The tag named name (exactly, as tag names are case-sensitive), or NULL. */
const struct tag *
taglist_get(const struct tag *t, size_t n, const char *name)
{
	size_t i, l = strlen(name);

	for (i = 0; i < n; i++)
		if (t[i].nl == l && memcmp(t[i].name, name, l) == 0)
			return &t[i];
	return NULL;
}

/* Is the tag's value value, without regard to case? */
int
taglist_is(const struct tag *t, const char *value)
{
	size_t l = strlen(value);

	return t && t->vl == l && strncasecmp(t->val, value, l) == 0;
}
