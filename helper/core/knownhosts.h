/*
 * knownhosts: what libssh leaves out of known_hosts.  libssh 0.10 skips
 * lines with a marker ("@revoked", "@cert-authority"); a revoked key must
 * never be accepted, whatever the policy (OpenSSH's sshd(8) KNOWN_HOSTS
 * FILE FORMAT: "@revoked HOSTS KEYTYPE BASE64 [COMMENT]").  Pure.
 */
#ifndef PYTEST_CLOUD_KNOWNHOSTS_H
#define PYTEST_CLOUD_KNOWNHOSTS_H

/*
 * 1 when text (a known_hosts file) has an "@revoked" line for the key
 * keytype ("ssh-ed25519") and b64 (its base64 blob), whatever its host
 * patterns; 0 otherwise.
 */
int knownhosts_revoked(const char *text, const char *keytype,
		       const char *b64);

#endif
