/* crypted: what in a message is encrypted, so that no anti-virus engine
 * can see inside it (virus-scan(8), control/encryptedpolicy): S/MIME
 * enveloped-data (RFC 8551 3.2), PGP/MIME (RFC 3156 4), inline PGP
 * armour, and the encrypted members and containers the decomposition
 * engine found.  Reads one explode item at a time; never prints. */
#ifndef PORTCULLIS_CRYPTED_H
#define PORTCULLIS_CRYPTED_H
#include "explode.h"

/* The kind of encryption of an item ("S/MIME enveloped-data",
 * "PGP/MIME", "inline PGP", "an encrypted archive"), or NULL for none. */
const char *crypted_kind(const struct explode_item *);

#endif
