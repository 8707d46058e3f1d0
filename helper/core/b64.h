/*
 * b64: base64 as OpenSSH writes it in keys, certificates and hashed
 * known_hosts names (padded, no line breaks).  Pure.
 */
#ifndef PYTEST_CLOUD_B64_H
#define PYTEST_CLOUD_B64_H

#include <stddef.h>

/* The base64 text of len bytes of data (malloc'ed; the caller frees it),
 * or NULL when out of memory. */
char *b64_encode(const unsigned char *data, size_t len);

/* Decodes the len characters of base64 text into out, which holds cap
 * bytes; returns the decoded length, or -1 for text that is not padded
 * base64 or does not fit. */
int b64_decode(const char *text, size_t len, unsigned char *out, size_t cap);

#endif
