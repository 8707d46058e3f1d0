/*
 * knownhosts: known_hosts files judged as OpenSSH judges them (sshd(8),
 * "SSH_KNOWN_HOSTS FILE FORMAT").  Pure (base64 and HMAC-SHA1 from
 * libcrypto, computation only).
 *
 * A line is "[MARKER] HOSTS KEYTYPE BASE64 [COMMENT]": MARKER
 * "@cert-authority" (the key signs host certificates of those hosts) or
 * "@revoked" (never accepted, whatever its hosts); HOSTS a comma list of
 * patterns ('*', '?', '!' negates: a negated match keeps the line from
 * the host) or one hashed name "|1|SALT|HASH" (HMAC-SHA1 of the name,
 * keyed by the salt, both base64); blank lines and '#' comments skipped.
 * A host is looked up under its HostKeyAlias as it is, else its name in
 * lower case, written "[NAME]:PORT" for a port other than 22.
 */
#ifndef PYTEST_CLOUD_KNOWNHOSTS_H
#define PYTEST_CLOUD_KNOWNHOSTS_H

#include <stddef.h>

#include "strvec.h"

/* The name to look up (malloc'ed), or NULL when out of memory. */
char *knownhosts_name(const char *host, int port, const char *alias);

/* 1 when a line's HOSTS field matches name, else 0. */
int knownhosts_hosts_match(const char *hosts, const char *name);

struct knownhosts_verdict {
	int match;              /* a plain line for the name has the key */
	int other;              /* plain lines for the name have other keys */
	char other_where[300];  /* FILE:LINE of the first of those */
	int revoked;            /* an @revoked line has the key */
	char revoked_where[300];
	struct strvec cas;      /* "TYPE BASE64" of each @cert-authority
				 * key whose hosts match the name */
	struct strvec revoked_keys; /* "TYPE BASE64" of every @revoked
				     * key (a CA's too) */
	struct strvec types;    /* key types of plain lines for the name */
};

#define KNOWNHOSTS_VERDICT_INIT                                                \
	{ 0, 0, "", 0, "", STRVEC_INIT, STRVEC_INIT, STRVEC_INIT }

/*
 * Adds what one file's text says of name and of the key (type, b64: the
 * host's plain public key) to v; file names the file in v's places.
 * Returns 0, or -1 when out of memory.
 */
int knownhosts_judge(const char *text, const char *file, const char *name,
		     const char *type, const char *b64,
		     struct knownhosts_verdict *v);

/* Frees v's lists and makes it as new. */
void knownhosts_verdict_release(struct knownhosts_verdict *v);

/*
 * The line that records key (type, b64) for name, with a newline: hashed
 * ("|1|SALT|HASH TYPE BASE64") when salt (20 bytes) is given, as ssh
 * writes it under HashKnownHosts yes, else "NAME TYPE BASE64".  NULL when
 * out of memory.
 */
char *knownhosts_line(const char *name, const char *type, const char *b64,
		      const unsigned char *salt);

#endif
