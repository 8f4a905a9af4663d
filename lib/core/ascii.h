#ifndef PORTCULLIS_ASCII_H
#define PORTCULLIS_ASCII_H

/* Byte-level case and hex digits for the parsers of untrusted text:
 * ASCII only, whatever the locale, one copy for every parser. */
static inline int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The value of a hex digit, or -1. */
static inline int
ascii_hex(int c)
{
	c = ascii_lower(c);
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : -1;
}

#endif
