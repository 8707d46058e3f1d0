/*
 * hostkey: whether a node's host key is trusted, judged as ssh judges it
 * (libssh reads one known_hosts file and no certificate; the policy is
 * the application's).  Edge: reads the known_hosts files, fetches host
 * certificates (ssh-keyscan -c), appends new keys.
 *
 * The name looked up is HostKeyAlias, else the host connected to
 * ("[host]:port" for another port than 22).  Every UserKnownHostsFile and
 * GlobalKnownHostsFile that ssh -G names is read (expanded by ssh; its
 * defaults: ~/.ssh/known_hosts, ~/.ssh/known_hosts2,
 * /etc/ssh/ssh_known_hosts, /etc/ssh/ssh_known_hosts2), hashed names too
 * (knownhosts.h).  In
 * order: a key @revoked anywhere is refused; a plain line with the key
 * trusts it; a host an @cert-authority line names must show a
 * certificate of such a CA for its key (sshcert.h), and is never trusted
 * on first use; a host whose lines list only other keys has changed; an
 * unknown host is refused, or under StrictHostKeyChecking accept-new or
 * no added to the first UserKnownHostsFile (hashed under HashKnownHosts
 * yes; one writer at a time), with ssh's "Permanently added" line, or
 * with --dry-run only said.  RevokedHostKeys (a KRL, which this does not
 * read) refuses the node, saying why.
 */
#ifndef PYTEST_CLOUD_HOSTKEY_H
#define PYTEST_CLOUD_HOSTKEY_H

#include <libssh/libssh.h>
#include <stddef.h>

#include "sshg.h"

struct hostkey_target {
	const struct sshg *g;  /* the node's settings, as OpenSSH has them */
	long timeout;   /* seconds for fetching a certificate */
	int dry_run;    /* add nothing; say what would be added */
	char **judged;  /* NULL, or receives "TYPE BASE64" of the key judged
			 * trusted (newly allocated) */
};

/* Before the connect: the host key algorithms ordered as ssh orders
 * them, those of the keys known_hosts has for the host first (else a
 * host with only an ECDSA key pinned would show its Ed25519 one). */
void hostkey_prefer(ssh_session s, const struct hostkey_target *t);

/* Judges the key of connected session s.  Returns 0 when it is trusted
 * (or added, for a new one the policy allows), with the key in
 * *t->judged when asked for, or -1 with why. */
int hostkey_check(ssh_session s, const struct hostkey_target *t, char *why,
		  size_t whylen);

#endif
