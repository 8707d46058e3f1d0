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
 * Config: OpenSSH's own answer for the node (sshg.h, from ssh -G): libssh
 * connects to its hostname, port and user, with its identity files,
 * agent and proxy, and reads no config itself.  Host keys are judged as
 * ssh judges them, against the known_hosts files and HostKeyAlias ssh
 * named (hostkey.h: every known_hosts file, hashed names, host
 * certificates): a changed key always fails the open; an unknown one
 * fails it unless the policy (StrictHostKeyChecking accept-new or no)
 * says to add it.  Without an OpenSSH client (a dry run of the static
 * helper in an empty root) libssh reads the config file instead, and
 * the settings the host key is judged by are read back from it.
 *
 * Requires ssh_init() before the first thread starts.
 */
#ifndef PYTEST_CLOUD_SSHCONN_H
#define PYTEST_CLOUD_SSHCONN_H

#include <stddef.h>

#include "nodename.h"
#include "sshg.h"

struct sshconn; /* opaque */

struct sshconn_target {
	const struct nodename *addr; /* the node as given */
	struct sshg *g;             /* what OpenSSH makes of it; with
				     * from_ssh 0, filled here from libssh's
				     * reading of the config */
	const char *ssh_config;     /* NULL = ssh's default files */
	long connect_timeout;       /* seconds */
	long keepalive;             /* seconds of silence: node given up */
	int dry_run;                /* add no host key, only say it */
	char **host_key;            /* NULL, or receives the key judged
				     * trusted, "TYPE BASE64" (hostkey.h) */
};

/*
 * Connects, checks the host key and authenticates.  Returns the session,
 * or NULL with the step and cause written to why ("ssh connect: ...",
 * "host key changed ...", "authentication failed ...").
 */
struct sshconn *sshconn_open(const struct sshconn_target *t, char *why,
			     size_t whylen);

#define SSHCONN_SIGNAL_LEN 32

struct sshconn_output {
	char *out;       /* stdout, NUL-terminated; caller frees */
	char *err;       /* stderr, NUL-terminated; caller frees */
	int exit_status; /* -1 when the node sent none */
	char exit_signal[SSHCONN_SIGNAL_LEN]; /* "KILL" when the command was
					       * killed by a signal, else "" */
};

/*
 * Runs command in a new exec channel and collects its output within
 * timeout_s seconds: of each stream its first and last 4 KiB (text.h
 * textcap), whatever the node sends.  Each step has what is left of the
 * time and its own name in why: "opening a channel: ...", "starting the
 * command: ...", "waiting for its output: timed out after 10s".  While
 * the command is silent the node is pinged; one that does not answer
 * within its keepalive gives "the node stopped answering (no reply for
 * 15s)".  Returns 0 with *res filled (the caller frees res->out and
 * res->err), or -1 with why.
 */
int sshconn_exec(struct sshconn *c, const char *command, long timeout_s,
		 struct sshconn_output *res, char *why, size_t whylen);

/* How a remote command ended, in buf: "exit 3", "killed by signal KILL",
 * or "ended without an exit status". */
void sshconn_describe_end(const struct sshconn_output *o, char *buf,
			  size_t len);

/*
 * A command kept running on the node, read line by line (the node's CHDIR
 * lock is held by one for the whole run).  Opaque; belongs to the thread
 * that uses its session.
 */
struct sshconn_stream;

/* Starts command in a new exec channel.  Returns the stream, or NULL
 * with why ("exec: ..."). */
struct sshconn_stream *sshconn_stream_start(struct sshconn *c,
					    const char *command, char *why,
					    size_t whylen);

/*
 * Reads the next line of the command's stdout (without its newline, cut to
 * fit len) within timeout_ms.  Returns 1 with a line, 0 at the end of the
 * output, -1 on timeout or a failed read (why says which).  Lines longer
 * than 4 KiB are cut; stderr is kept apart (sshconn_stream_stderr).
 */
int sshconn_stream_line(struct sshconn_stream *s, long timeout_ms,
			char *line, size_t len, char *why, size_t whylen);

/* What the command wrote on stderr so far (its last 4 KiB at most). */
const char *sshconn_stream_stderr(struct sshconn_stream *s);

/* Closes the channel (the command's stdin ends) and frees; NULL is fine. */
void sshconn_stream_close(struct sshconn_stream *s);

/*
 * One heartbeat of a held lock (claim.h), which never waits for the
 * node: reads the command's replies so far ("alive" for each beat, or
 * "taken TEXT" when another run wrote the lock file), then writes the
 * next beat.  Returns 0 while the command runs and replied within
 * keepalive seconds; 1 when a step's thread has the session right now
 * (nothing done: the next beat tries again); -1 with why ("the node
 * stopped answering for 15s", "the lock's command ended", "the
 * connection to the node was lost", "another run wrote its lock file
 * (...)").  A reply also counts as the node heard for that session's
 * steps, which then ping it no more.
 */
int sshconn_stream_heartbeat(struct sshconn_stream *s, long keepalive,
			     char *why, size_t whylen);

/* Disconnects and frees; NULL is fine. */
void sshconn_close(struct sshconn *c);

#endif
