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

/* Returns "exec /bin/sh -c 'SCRIPT'" (newly allocated), the form every
 * remote command takes: the login shell may be any shell.  NULL when out
 * of memory. */
char *shquote_sh_command(const char *script);

#endif
