/* tnef: attachments of a TNEF stream (see tnef.h).  MS-OXTNEF 2.1: a
 * signature, a key, then attributes of level (1 byte), id (4), length (4),
 * data, checksum (2), all little-endian.  Runs under any uid. */
#include <string.h>

#include "tnef.h"

#define TNEF_SIGNATURE   0x223e9f78UL
#define ATT_RENDDATA     0x00069002UL  /* starts each attachment */
#define ATT_TITLE        0x00018010UL  /* its (8.3) file name */
#define ATT_DATA         0x0006800fUL  /* its bytes */

static unsigned long
le32(const unsigned char *p)
{
	return (unsigned long)p[0] | (unsigned long)p[1] << 8 |
	    (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}

/* Does the stream start with the TNEF signature? */
int
tnef_is(const char *p, size_t n)
{
	return n >= 6 && le32((const unsigned char *)p) == TNEF_SIGNATURE;
}

struct att {
	char        name[TNEF_NAME_MAX];
	const char *data;
	size_t      len;
	int         open;
};

static int
flush(struct att *a, tnef_fn fn, void *arg, size_t *left)
{
	int r = 0;

	if (a->open && a->data) {
		if (*left == 0)
			return 1;
		(*left)--;
		r = fn(arg, a->name[0] ? a->name : "attachment", a->data, a->len);
	}
	memset(a, 0, sizeof *a);
	return r;
}

/* Hand each attachment to fn, at most maxparts of them.  0, or what fn
 * returned; *corrupt is set when the stream ends inside an attribute. */
int
tnef_walk(const char *p, size_t n, size_t maxparts, tnef_fn fn, void *arg,
    int *corrupt)
{
	const unsigned char *u = (const unsigned char *)p;
	struct att a;
	size_t i = 6, left = maxparts;
	int r;

	*corrupt = 0;
	memset(&a, 0, sizeof a);
	if (!tnef_is(p, n))
		return 0;
	while (i < n) {
		unsigned long id, len;
		if (n - i < 9) {
			/* a line end or padding after the last attribute is
			 * common (streams saved as text); anything else is not */
			while (i < n && (u[i] == '\r' || u[i] == '\n' || u[i] == 0))
				i++;
			*corrupt = i < n;
			break;
		}
		id = le32(u + i + 1);
		len = le32(u + i + 5);
		i += 9;
		if (len > n - i || n - i - len < 2) {
			*corrupt = 1;
			break;
		}
		if (id == ATT_RENDDATA) {
			if ((r = flush(&a, fn, arg, &left)) != 0)
				return r;
			a.open = 1;
		} else if (id == ATT_TITLE && a.open) {
			size_t l = len < TNEF_NAME_MAX - 1 ? len : TNEF_NAME_MAX - 1;
			memcpy(a.name, p + i, l);
			a.name[l] = '\0';  /* the title ends in a NUL: stop there */
		} else if (id == ATT_DATA && a.open) {
			a.data = p + i;
			a.len = len;
		}
		i += len + 2;
	}
	return flush(&a, fn, arg, &left) < 0 ? -1 : 0;
}
