/* crypted: encrypted parts of a message by their declared types and
 * their bytes (see crypted.h).  A stranger's message: the parameters are
 * read by mime_param's rules, the bytes searched within their length. */
#include <string.h>
#include <strings.h>

#include "crypted.h"
#include "mime.h"

/* The smime-type parameter of a leaf's Content-Type; "" when none,
 * NULL on error. */
static const char *
smime_type(const struct hdr *h, struct buf *v, struct buf *p)
{
	unsigned fl = 0;
	long i;

	if (h == NULL || (i = hdr_find(h, "Content-Type", 0)) < 0)
		return "";
	if (hdr_value(h, (size_t)i, v) == -1 ||
	    mime_param(v->p ? v->p : "", v->len, "smime-type", p, &fl) == -1)
		return NULL;
	return p->p ? p->p : "";
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

const char *
crypted_kind(const struct explode_item *it)
{
	static const char armour[] = "-----BEGIN PGP MESSAGE-----";
	struct buf v = BUF_INIT, p = BUF_INIT;
	const char *k = NULL, *st;

	if (strcmp(it->type, "application/pkcs7-mime") == 0 ||
	    strcmp(it->type, "application/x-pkcs7-mime") == 0) {
		/* RFC 8551 3.2.2: smime-type is optional; without it a .p7m
		 * is read as enveloped, the safe side, unless it says signed */
		st = smime_type(it->h, &v, &p);
		if (st == NULL || strcasecmp(st, "enveloped-data") == 0 ||
		    strcasecmp(st, "authEnveloped-data") == 0 ||
		    (st[0] == '\0' && !ends_with(it->name, ".p7s")))
			k = "S/MIME enveloped-data";
	} else if (strcmp(it->type, "application/pgp-encrypted") == 0)
		k = "PGP/MIME";
	else if (it->flags & MIME_ENCRYPTED)
		k = "an encrypted archive";
	else if (it->data && memmem(it->data, it->len, armour,
	    sizeof armour - 1) != NULL)
		k = "inline PGP";
	buf_free(&v);
	buf_free(&p);
	return k;
}
