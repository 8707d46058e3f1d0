/*
 * sshconn: one libssh session to one node, opened once and used for every
 * command the helper runs there (the probe now; later steps reuse it).
 *
 * Model: blocking libssh calls bounded by timeouts.  sshconn_open sets
 * SSH_OPTIONS_TIMEOUT to the connect timeout, which bounds the TCP
 * connect, the banner and the key exchange; host key check and
 * authentication follow.  sshconn_exec bounds its channel reads by its own
 * deadline on the monotonic clock.  Each session belongs to one thread.
 *
 * Config: the node's settings come from the OpenSSH client config file
 * given (or ~/.ssh/config and /etc/ssh/ssh_config), parsed explicitly once;
 * libssh's own implicit config processing is turned off so the file is
 * read exactly once and on purpose.  Host keys are checked against the
 * known_hosts the config names (libssh default: ~/.ssh/known_hosts): a
 * changed key always fails the open; an unknown one fails it unless the
 * policy (StrictHostKeyChecking accept-new or no) says to add it, which
 * is done under a process-wide lock.
 *
 * Requires ssh_init() before the first thread starts.
 */
#ifndef PYTEST_CLOUD_SSHCONN_H
#define PYTEST_CLOUD_SSHCONN_H

#include <stddef.h>

#include "nodename.h"
#include "sshcfg.h"

struct sshconn; /* opaque */

struct sshconn_target {
	const char *alias;          /* host part as given (config Host) */
	const struct nodename *addr;
	const char *ssh_config;     /* NULL = ssh's default files */
	long connect_timeout;       /* seconds */
	enum host_key_policy policy; /* StrictHostKeyChecking for the node */
};

/*
 * Connects, checks the host key and authenticates.  Returns the session,
 * or NULL with the step and cause written to why ("ssh connect: ...",
 * "host key changed ...", "authentication failed ...").
 */
struct sshconn *sshconn_open(const struct sshconn_target *t, char *why,
			     size_t whylen);

struct sshconn_output {
	char *out;       /* stdout, NUL-terminated; caller frees */
	char *err;       /* stderr, NUL-terminated; caller frees */
	int exit_status; /* -1 when the node sent none */
};

/*
 * Runs command in a new exec channel and collects its output (64 KiB of
 * each stream at most), within timeout_s seconds.  Returns 0 with *res
 * filled, or -1 with why ("exec: timed out after 10s").  On 0 the caller
 * frees res->out and res->err.
 */
int sshconn_exec(struct sshconn *c, const char *command, long timeout_s,
		 struct sshconn_output *res, char *why, size_t whylen);

/* Disconnects and frees; NULL is fine. */
void sshconn_close(struct sshconn *c);

#endif
