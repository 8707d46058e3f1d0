/*
 * hostkey: whether a node's host key is trusted (see hostkey.h).
 */
#define _GNU_SOURCE
#include "hostkey.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "files.h"
#include "knownhosts.h"

/* No known_hosts is this big. */
#define KNOWN_HOSTS_MAX_BYTES (64u << 20)

static pthread_mutex_t known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

static int add_host_key(ssh_session s, char *why, size_t whylen)
{
	int rc;

	pthread_mutex_lock(&known_hosts_lock);
	rc = ssh_session_update_known_hosts(s);
	pthread_mutex_unlock(&known_hosts_lock);
	if (rc != SSH_OK) {
		snprintf(why, whylen,
			 "host key unknown and not added to known_hosts: %s",
			 ssh_get_error(s));
		return -1;
	}
	return 0;
}

/* 1 when the node's key is on an "@revoked" line of the user's or the
 * global known_hosts (libssh skips those lines). */
static int host_key_revoked(ssh_session s)
{
	static const enum ssh_options_e files[] = {
		SSH_OPTIONS_KNOWNHOSTS, SSH_OPTIONS_GLOBAL_KNOWNHOSTS
	};
	ssh_key key = NULL;
	char *b64 = NULL;
	const char *type;
	size_t i;
	int revoked = 0;

	if (ssh_get_server_publickey(s, &key) != SSH_OK ||
	    ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
		goto out;
	}
	type = ssh_key_type_to_char(ssh_key_type(key));
	for (i = 0; i < sizeof(files) / sizeof(files[0]) && !revoked; i++) {
		char *path = NULL;
		char *text;
		char err[300];

		if (ssh_options_get(s, files[i], &path) != SSH_OK ||
		    path == NULL) {
			continue;
		}
		text = files_read(path, KNOWN_HOSTS_MAX_BYTES, 0, NULL, err,
				  sizeof(err));
		revoked = text != NULL && type != NULL &&
			  knownhosts_revoked(text, type, b64);
		free(text);
		ssh_string_free_char(path);
	}
out:
	ssh_string_free_char(b64);
	ssh_key_free(key);
	return revoked;
}

int hostkey_check(ssh_session s, enum host_key_policy policy,
			  char *why, size_t whylen)
{
	enum ssh_known_hosts_e k;

	if (host_key_revoked(s)) {
		snprintf(why, whylen,
			 "host key revoked: known_hosts marks the node's key "
			 "@revoked (not connecting through it)");
		return -1;
	}
	k = ssh_session_is_known_server(s);

	switch (k) {
	case SSH_KNOWN_HOSTS_OK:
		return 0;
	case SSH_KNOWN_HOSTS_CHANGED:
		snprintf(why, whylen,
			 "host key changed: the node's key differs from the "
			 "one in known_hosts (not connecting through it)");
		return -1;
	case SSH_KNOWN_HOSTS_OTHER:
		snprintf(why, whylen,
			 "host key changed: known_hosts has a key of another "
			 "type for this node (not connecting through it)");
		return -1;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		if (policy == POLICY_ACCEPT_NEW || policy == POLICY_NO) {
			return add_host_key(s, why, whylen);
		}
		snprintf(why, whylen,
			 "host key unknown: the node is not in known_hosts "
			 "(StrictHostKeyChecking accept-new would add it)");
		return -1;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		snprintf(why, whylen, "host key check: %s", ssh_get_error(s));
		return -1;
	}
}
