/*
 * sshcert: an OpenSSH host certificate judged as ssh judges it
 * (PROTOCOL.certkeys; ssh's sshkey_cert_check_authority).  Pure:
 * parsing, and signatures checked with libcrypto (computation only).
 *
 * libssh 0.10 never asks a server for a certificate (it strips the
 * certificate types from its host key algorithms), so the edge fetches
 * the node's certificate itself (ssh-keyscan -c) and judges it here.
 * That channel need not be trusted: a certificate is believed only when
 * it is signed by a CA that known_hosts trusts for the host, and bound to
 * the session only when its key is the very key the node proved it holds
 * in the session's key exchange.
 *
 * Judged: the certificate's type (a host certificate), its CA (the
 * signature key is an @cert-authority key for the host, and neither it
 * nor the certified key is @revoked), the CA's signature over it
 * (ssh-ed25519, ecdsa-sha2-nistp256/384/521, rsa-sha2-256/512; ssh-rsa
 * with SHA-1 is refused, as ssh refuses it by default), a principal equal
 * to the name connected to (or HostKeyAlias), the validity window, no
 * critical option, and its key equal to the session's.
 */
#ifndef PYTEST_CLOUD_SSHCERT_H
#define PYTEST_CLOUD_SSHCERT_H

#include <stddef.h>

#include "strvec.h"

struct sshcert_host {
	const char *principal; /* the name connected to, or HostKeyAlias */
	unsigned long long now; /* seconds since the epoch */
	const char *key_type;  /* the session's plain key: "ssh-ed25519" */
	const char *key_b64;   /* and its base64 */
	const struct strvec *cas;     /* "TYPE BASE64" trusted for the host */
	const struct strvec *revoked; /* "TYPE BASE64" never trusted */
};

/*
 * Judges the certificate (type "ssh-ed25519-cert-v01@openssh.com" and
 * its base64, as ssh-keyscan -c prints it) for host h.  Returns 0 when it
 * vouches for the session's key, else -1 with why ("host certificate
 * expired on 2026-01-01 00:00:00 UTC", "... signed by a CA known_hosts
 * does not trust for this host", "... is for 'a, b', not 'node1'", ...).
 */
int sshcert_judge(const char *type, const char *b64,
		  const struct sshcert_host *h, char *why, size_t whylen);

#endif
