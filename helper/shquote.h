/*
 * shquote: quoting for the POSIX shell (local or remote).  Pure.
 *
 * The result is one shell word that expands to exactly s, whatever bytes
 * s holds: 'abc' stays 'abc', and each ' becomes '\''.
 */
#ifndef PYTEST_CLOUD_SHQUOTE_H
#define PYTEST_CLOUD_SHQUOTE_H

/* Returns a newly allocated quoted copy of s (caller frees), or NULL when
 * out of memory. */
char *shquote(const char *s);

#endif
