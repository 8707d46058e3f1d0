/*
 * hostkey: whether a node's host key is trusted, judged by the helper
 * (libssh leaves the policy to the application).  A key on an "@revoked"
 * line of the user's or the global known_hosts is refused (libssh skips
 * those lines: knownhosts.h reads them); a changed key, or a key of
 * another type, is refused whatever the policy; an unknown one is added
 * to known_hosts under StrictHostKeyChecking accept-new or no (one
 * writer at a time), else refused.  Edge: reads known_hosts files.
 */
#ifndef PYTEST_CLOUD_HOSTKEY_H
#define PYTEST_CLOUD_HOSTKEY_H

#include <libssh/libssh.h>
#include <stddef.h>

#include "sshcfg.h"

/* Judges the key of connected session s under policy.  Returns 0 when
 * it is trusted (added, for a new one allowed), -1 with why. */
int hostkey_check(ssh_session s, enum host_key_policy policy, char *why,
		  size_t whylen);

#endif
