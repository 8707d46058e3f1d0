/*
 * sshconn: libssh sessions (see sshconn.h for the model and timeouts).
 *
 * libssh 0.10 quirk pinned here: ssh_channel_read_timeout returns 0 both
 * at EOF and on timeout, so the loop checks ssh_channel_is_eof and the
 * deadline itself.
 */
#define _GNU_SOURCE
#include "clock.h"
#include "sshconn.h"

#include "files.h"
#include "knownhosts.h"
#include "shquote.h"
#include "text.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h> /* ssh_send_keepalive */
#include <pthread.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* No known_hosts is this big. */
#define KNOWN_HOSTS_MAX_BYTES (64u << 20)

/* Key exchange: curve25519 first (fast, well supported), then NIST and
 * group14 for older servers. */
#define SSHCONN_KEX \
	"curve25519-sha256,curve25519-sha256@libssh.org," \
	"ecdh-sha2-nistp256,diffie-hellman-group14-sha256"

struct sshconn {
	ssh_session session;
	long keepalive; /* seconds of silence before the node is given up */
};

/*
 * libssh turns ProxyJump into "ssh [-l U] [-p P] [-J REST] -W '[%h]:%p'
 * JUMP", run through the shell.  That ssh would read the default config,
 * not the one given: as OpenSSH does for its jump hosts, it gets the same
 * -F, and runs without prompts within the connect timeout.
 */
static int fix_proxy_jump(ssh_session s, const struct sshconn_target *t)
{
	char *pc = NULL;
	char *cfg_q = NULL;
	char *fixed = NULL;
	int rc = 0;

	if (ssh_options_get(s, SSH_OPTIONS_PROXYCOMMAND, &pc) != SSH_OK ||
	    pc == NULL) {
		return 0;
	}
	if (strncmp(pc, "ssh ", 4) != 0 || strstr(pc, " -W '[%h]:%p' ") == NULL) {
		goto out; /* the user's own ProxyCommand: as written */
	}
	if (t->ssh_config != NULL) {
		cfg_q = shquote(t->ssh_config);
		if (cfg_q == NULL) {
			rc = -1;
			goto out;
		}
	}
	if (asprintf(&fixed, "ssh%s%s -o BatchMode=yes -o ConnectTimeout=%ld %s",
		     cfg_q ? " -F " : "", cfg_q ? cfg_q : "",
		     t->connect_timeout, pc + 4) < 0) {
		fixed = NULL;
		rc = -1;
		goto out;
	}
	rc = ssh_options_set(s, SSH_OPTIONS_PROXYCOMMAND, fixed) < 0 ? -1 : 0;
out:
	ssh_string_free_char(pc);
	free(cfg_q);
	free(fixed);
	return rc;
}

static int set_options(ssh_session s, const struct sshconn_target *t,
		       char *why, size_t whylen)
{
	long timeout = t->connect_timeout;
	int no = 0;
	int yes = 1;

	if (ssh_options_set(s, SSH_OPTIONS_HOST, t->alias) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0) {
		snprintf(why, whylen, "ssh options: %s", ssh_get_error(s));
		return -1;
	}
	if (ssh_options_parse_config(s, t->ssh_config) < 0) {
		snprintf(why, whylen, "ssh config '%s': cannot be used",
			 t->ssh_config ? t->ssh_config : "~/.ssh/config");
		return -1;
	}
	/* libssh 0.10 returns "known" for a changed key when its own
	 * StrictHostKeyChecking (read from the config) is off; the policy is
	 * ours (check_host_key), so libssh is always strict */
	if (ssh_options_set(s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &yes) < 0) {
		snprintf(why, whylen, "ssh options: %s", ssh_get_error(s));
		return -1;
	}
	if (fix_proxy_jump(s, t) < 0) {
		snprintf(why, whylen, "ssh options: ProxyJump: out of memory");
		return -1;
	}
	/* the config's LogLevel is ssh's, not ours: libssh stays quiet */
	if (ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &no) < 0) {
		snprintf(why, whylen, "ssh options: %s", ssh_get_error(s));
		return -1;
	}
	/* the node name's user and port override the config, as with ssh */
	if (t->addr->user != NULL &&
	    ssh_options_set(s, SSH_OPTIONS_USER, t->addr->user) < 0) {
		snprintf(why, whylen, "ssh options: %s", ssh_get_error(s));
		return -1;
	}
	if (t->addr->port != 0) {
		unsigned int port = (unsigned int)t->addr->port;

		if (ssh_options_set(s, SSH_OPTIONS_PORT, &port) < 0) {
			snprintf(why, whylen, "ssh options: %s",
				 ssh_get_error(s));
			return -1;
		}
	}
	if (ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_NODELAY, &yes) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_KEY_EXCHANGE, SSHCONN_KEX) < 0) {
		snprintf(why, whylen, "ssh options: %s", ssh_get_error(s));
		return -1;
	}
	return 0;
}

/* known_hosts is one file for every thread: one writer at a time. */
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

static int check_host_key(ssh_session s, enum host_key_policy policy,
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

static void describe_methods(int methods, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s",
		 (methods & SSH_AUTH_METHOD_PUBLICKEY) ? " publickey" : "",
		 (methods & SSH_AUTH_METHOD_PASSWORD) ? " password" : "",
		 (methods & SSH_AUTH_METHOD_INTERACTIVE)
			 ? " keyboard-interactive" : "",
		 (methods & SSH_AUTH_METHOD_GSSAPI_MIC) ? " gssapi" : "");
}

/* An auth step that did not end: it ran out of the connect timeout. */
static int auth_timed_out(int rc, double deadline)
{
	return rc == SSH_AUTH_AGAIN ||
	       (rc == SSH_AUTH_ERROR && clock_seconds() >= deadline - 0.5);
}

/* Whether an auth step's result ends the authentication: success (0),
 * or a timeout or error (-1, said in why); 1 when the next method may
 * be tried. */
static int auth_step(ssh_session s, int rc, double deadline, long timeout_s,
		     char *why, size_t whylen)
{
	if (rc == SSH_AUTH_SUCCESS) {
		return 0;
	}
	if (auth_timed_out(rc, deadline)) {
		snprintf(why, whylen, "ssh connect: timed out after %lds "
			 "during authentication", timeout_s);
		return -1;
	}
	if (rc == SSH_AUTH_ERROR) {
		snprintf(why, whylen, "authentication: %s", ssh_get_error(s));
		return -1;
	}
	return 1;
}

static int authenticate(ssh_session s, double deadline, long timeout_s,
			char *why, size_t whylen)
{
	int rc = auth_step(s, ssh_userauth_none(s, NULL), deadline, timeout_s,
			   why, whylen);
	int methods;
	char offered[128];

	if (rc <= 0) {
		return rc;
	}
	methods = ssh_userauth_list(s, NULL);
	if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
		rc = auth_step(s, ssh_userauth_publickey_auto(s, NULL, NULL),
			       deadline, timeout_s, why, whylen);
		if (rc <= 0) {
			return rc;
		}
	}
	describe_methods(methods, offered, sizeof(offered));
	snprintf(why, whylen,
		 "authentication failed: tried publickey (agent and keys); "
		 "the node offers:%s",
		 offered[0] ? offered : " nothing");
	return -1;
}

/* Where a timed-out connect stood: no TCP connection, no SSH banner from
 * the server, or in the key exchange after the banner. */
static const char *timeout_step(ssh_session s)
{
	socket_t fd = ssh_get_fd(s);
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);

	if (ssh_get_serverbanner(s) != NULL) {
		return "in the key exchange";
	}
	if (fd != SSH_INVALID_SOCKET &&
	    getpeername(fd, (struct sockaddr *)&peer, &len) == 0) {
		return "waiting for the server's SSH banner";
	}
	return "in the TCP connect";
}

struct sshconn *sshconn_open(const struct sshconn_target *t, char *why,
			     size_t whylen)
{
	struct sshconn *c = NULL;
	ssh_session s = ssh_new();
	double start = clock_seconds();
	long left;

	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (set_options(s, t, why, whylen) < 0) {
		goto fail;
	}
	if (ssh_connect(s) != SSH_OK) {
		const char *e = ssh_get_error(s);

		if (clock_seconds() - start >= (double)t->connect_timeout - 0.5) {
			snprintf(why, whylen,
				 "ssh connect: timed out after %lds %s (%s)",
				 t->connect_timeout, timeout_step(s), e);
		} else {
			snprintf(why, whylen, "ssh connect: %s", e);
		}
		goto fail;
	}
	/* the connect timeout bounds the whole set-up: auth gets what is
	 * left of it */
	left = (long)((double)t->connect_timeout - (clock_seconds() - start) +
		      0.999);
	if (left < 1) {
		left = 1;
	}
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &left);
	if (check_host_key(s, t->policy, why, whylen) < 0 ||
	    authenticate(s, start + (double)t->connect_timeout,
			 t->connect_timeout, why, whylen) < 0) {
		ssh_disconnect(s);
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(why, whylen, "out of memory");
		ssh_disconnect(s);
		goto fail;
	}
	c->session = s;
	c->keepalive = t->keepalive;
	return c;
fail:
	ssh_free(s);
	return NULL;
}

/*
 * Sets the session's bound for the blocking libssh request that follows
 * (a live sshd answers one at once): what is left until deadline, and no
 * more than the keepalive; at least 1 s.  Returns the bound.
 */
static long bound_request(struct sshconn *c, double deadline)
{
	long left = (long)(deadline - clock_seconds() + 0.999);

	if (c->keepalive > 0 && left > c->keepalive) {
		left = c->keepalive;
	}
	if (left < 1) {
		left = 1;
	}
	ssh_options_set(c->session, SSH_OPTIONS_TIMEOUT, &left);
	return left;
}

/* A request's failure: "STEP: the node did not answer for Ns" when it
 * used up its bound, else "STEP: libssh's error". */
static void step_failed(ssh_session s, const char *step, double start,
			long bound, char *why, size_t whylen)
{
	if (clock_seconds() - start >= (double)bound - 0.5) {
		snprintf(why, whylen, "%s: the node did not answer for %lds",
			 step, bound);
	} else {
		snprintf(why, whylen, "%s: %s", step, ssh_get_error(s));
	}
}

/*
 * Asks the node for a reply (OpenSSH's "keepalive@openssh.com" global
 * request, which sshd answers even while the command is silent).  libssh
 * waits for the reply up to the session's timeout and says nothing of it:
 * an answer is a return before that time with the session up.
 */
static int node_answers(ssh_session s, long timeout_s)
{
	double start = clock_seconds();

	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout_s);
	ssh_send_keepalive(s);
	return ssh_is_connected(s) &&
	       clock_seconds() - start < (double)timeout_s - 0.05;
}

void sshconn_set_keepalive(struct sshconn *c, long keepalive_s)
{
	c->keepalive = keepalive_s;
}

/* The pause between pings and the time a ping may wait: together no more
 * than the keepalive (as ssh's ServerAliveInterval and CountMax). */
static void ping_plan(const struct sshconn *c, double *every, long *wait)
{
	long k = c->keepalive > 1 ? c->keepalive : 2;

	*every = k / 4 >= 1 ? (double)(k / 4) : 1.0;
	*wait = k - (long)*every;
	if (*wait < 1) {
		*wait = 1;
	}
}

/* Takes everything both streams have now; -1 when the session failed. */
static int drain(ssh_channel ch, struct textcap *out, struct textcap *err,
		 double *last_rx)
{
	char data[16384];
	int stream;

	for (stream = 0; stream < 2; stream++) {
		int n;

		while ((n = ssh_channel_read_nonblocking(ch, data,
							 sizeof(data),
							 stream)) > 0) {
			textcap_add(stream ? err : out, data, (size_t)n);
			*last_rx = clock_seconds();
		}
		if (n == SSH_ERROR) {
			return -1;
		}
	}
	return 0;
}

/*
 * Reads until the command's output ends, whatever the node sends: both
 * streams are drained on every turn (libssh reopens the window as we read,
 * so what it buffers stays within one window), and only their first and
 * last bytes are kept.  A node silent for a while is pinged; one that
 * does not answer is given up on.
 */
static int read_streams(struct sshconn *c, ssh_channel ch, double deadline,
			long timeout_s, struct textcap *out,
			struct textcap *err, char *why, size_t whylen)
{
	double last_rx = clock_seconds();
	double every;
	long wait;

	ping_plan(c, &every, &wait);
	for (;;) {
		double left = deadline - clock_seconds();

		if (drain(ch, out, err, &last_rx) < 0) {
			snprintf(why, whylen, "waiting for its output: the "
				 "connection failed (%s)",
				 ssh_get_error(c->session));
			return -1;
		}
		if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch)) {
			return 0;
		}
		if (left <= 0) {
			snprintf(why, whylen, "waiting for its output: timed "
				 "out after %lds", timeout_s);
			return -1;
		}
		if (clock_seconds() - last_rx >= every) {
			if (!node_answers(c->session, wait)) {
				snprintf(why, whylen, "the node stopped "
					 "answering (no reply for %lds)",
					 (long)every + wait);
				return -1;
			}
			last_rx = clock_seconds();
		}
		ssh_channel_poll_timeout(ch, left > 0.2 ? 200 : 10, 0);
	}
}

static void on_exit_signal(ssh_session session, ssh_channel channel,
			   const char *signal, int core, const char *errmsg,
			   const char *lang, void *userdata)
{
	char *name = userdata;

	(void)session;
	(void)channel;
	(void)core;
	(void)errmsg;
	(void)lang;
	snprintf(name, SSHCONN_SIGNAL_LEN, "%s", signal ? signal : "?");
}

/* Output kept by read_streams, as the caller gets it. */
static int take_output(struct textcap *out, struct textcap *err,
		       struct sshconn_output *res, char *why, size_t whylen)
{
	res->out = textcap_text(out);
	res->err = textcap_text(err);
	if (res->out == NULL || res->err == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

int sshconn_exec(struct sshconn *c, const char *command, long timeout_s,
		 struct sshconn_output *res, char *why, size_t whylen)
{
	ssh_channel ch = ssh_channel_new(c->session);
	struct ssh_channel_callbacks_struct cb;
	double start = clock_seconds();
	double deadline = start + (double)timeout_s;
	struct textcap *caps = calloc(2, sizeof(*caps));
	double step;
	long bound;
	int rc = -1;

	res->out = NULL;
	res->err = NULL;
	res->exit_status = -1;
	res->exit_signal[0] = '\0';
	memset(&cb, 0, sizeof(cb));
	if (ch == NULL || caps == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	cb.userdata = res->exit_signal;
	cb.channel_exit_signal_function = on_exit_signal;
	ssh_callbacks_init(&cb);
	ssh_set_channel_callbacks(ch, &cb);
	bound = bound_request(c, deadline);
	step = clock_seconds();
	if (ssh_channel_open_session(ch) != SSH_OK) {
		step_failed(c->session, "opening a channel", step, bound, why,
			    whylen);
		goto out;
	}
	bound = bound_request(c, deadline);
	step = clock_seconds();
	if (ssh_channel_request_exec(ch, command) != SSH_OK) {
		step_failed(c->session, "starting the command", step, bound,
			    why, whylen);
		goto out;
	}
	if (read_streams(c, ch, deadline, timeout_s, &caps[0], &caps[1], why,
			 whylen) < 0 ||
	    take_output(&caps[0], &caps[1], res, why, whylen) < 0) {
		goto out;
	}
	ssh_channel_send_eof(ch);
	bound_request(c, deadline);
	res->exit_status = ssh_channel_get_exit_status(ch);
	rc = 0;
out:
	if (rc < 0) {
		free(res->out);
		res->out = NULL;
		free(res->err);
		res->err = NULL;
	}
	if (ch != NULL) {
		/* libssh keeps a freed channel until the node confirms its
		 * close, and may get more of its data meanwhile: the callbacks
		 * (on this stack) go first */
		ssh_remove_channel_callbacks(ch, &cb);
		ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	free(caps);
	return rc;
}

#define STREAM_BUF 4096

struct sshconn_stream {
	struct sshconn *c;
	ssh_channel ch;
	char out[STREAM_BUF]; /* stdout not yet returned as lines */
	size_t outlen;
	struct textcap err;   /* stderr: first and last bytes */
	char *err_text;       /* what sshconn_stream_stderr last gave */
	double last_rx;
	int eof;
};

struct sshconn_stream *sshconn_stream_start(struct sshconn *c,
					    const char *command, char *why,
					    size_t whylen)
{
	struct sshconn_stream *s = calloc(1, sizeof(*s));
	double start = clock_seconds();
	double deadline = start + (double)(c->keepalive > 0 ? c->keepalive
							     : 10);
	long bound;

	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	s->c = c;
	s->last_rx = start;
	textcap_init(&s->err);
	s->ch = ssh_channel_new(c->session);
	if (s->ch == NULL) {
		snprintf(why, whylen, "out of memory");
		sshconn_stream_close(s);
		return NULL;
	}
	bound = bound_request(c, deadline);
	if (ssh_channel_open_session(s->ch) != SSH_OK) {
		step_failed(c->session, "opening a channel", start, bound, why,
			    whylen);
		sshconn_stream_close(s);
		return NULL;
	}
	start = clock_seconds();
	bound = bound_request(c, start + (double)bound);
	if (ssh_channel_request_exec(s->ch, command) != SSH_OK) {
		step_failed(c->session, "starting the command", start, bound,
			    why, whylen);
		sshconn_stream_close(s);
		return NULL;
	}
	return s;
}

/* Moves one line out of the buffer; 1 when there was one (or a full
 * buffer, cut), 0 otherwise. */
static int take_line(struct sshconn_stream *s, char *line, size_t len,
		     int at_end)
{
	char *nl = memchr(s->out, '\n', s->outlen);
	size_t n;

	if (nl == NULL && s->outlen < STREAM_BUF && !(at_end && s->outlen)) {
		return 0;
	}
	n = nl ? (size_t)(nl - s->out) : s->outlen;
	snprintf(line, len, "%.*s", (int)n, s->out);
	n = nl ? n + 1 : n;
	memmove(s->out, s->out + n, s->outlen - n);
	s->outlen -= n;
	return 1;
}

/* Takes what the channel has now: stdout while there is room for it
 * (the rest waits in libssh, within its window), all of stderr. */
static int stream_drain(struct sshconn_stream *s)
{
	char data[4096];
	int n;

	while (s->outlen < STREAM_BUF &&
	       (n = ssh_channel_read_nonblocking(
			s->ch, s->out + s->outlen, STREAM_BUF - s->outlen,
			0)) > 0) {
		s->outlen += (size_t)n;
		s->last_rx = clock_seconds();
	}
	while ((n = ssh_channel_read_nonblocking(s->ch, data, sizeof(data),
						 1)) > 0) {
		textcap_add(&s->err, data, (size_t)n);
		s->last_rx = clock_seconds();
	}
	return n == SSH_ERROR ? -1 : 0;
}

int sshconn_stream_line(struct sshconn_stream *s, long timeout_ms,
			char *line, size_t len, char *why, size_t whylen)
{
	double deadline = clock_seconds() + (double)timeout_ms / 1000.0;
	double every;
	long wait;

	ping_plan(s->c, &every, &wait);
	for (;;) {
		if (stream_drain(s) < 0) {
			snprintf(why, whylen, "the connection failed (%s)",
				 ssh_get_error(s->c->session));
			return -1;
		}
		if (!s->eof && (ssh_channel_is_eof(s->ch) ||
				ssh_channel_is_closed(s->ch)) &&
		    ssh_channel_poll(s->ch, 0) <= 0) {
			s->eof = 1;
		}
		if (take_line(s, line, len, s->eof)) {
			return 1;
		}
		if (s->eof) {
			return 0;
		}
		if (clock_seconds() >= deadline) {
			snprintf(why, whylen, "no answer within %lds",
				 (timeout_ms + 999) / 1000);
			return -1;
		}
		if (clock_seconds() - s->last_rx >= every) {
			if (!node_answers(s->c->session, wait)) {
				snprintf(why, whylen, "the node stopped "
					 "answering (no reply for %lds)",
					 (long)every + wait);
				return -1;
			}
			s->last_rx = clock_seconds();
		}
		ssh_channel_poll_timeout(s->ch, 200, 0);
	}
}

const char *sshconn_stream_stderr(struct sshconn_stream *s)
{
	free(s->err_text);
	s->err_text = textcap_text(&s->err);
	return s->err_text ? s->err_text : "";
}

int sshconn_stream_alive(struct sshconn_stream *s)
{
	if (s == NULL || s->ch == NULL || stream_drain(s) < 0) {
		return 0;
	}
	s->outlen = 0; /* nothing more is expected; keep no more of it */
	return !ssh_channel_is_closed(s->ch) && !ssh_channel_is_eof(s->ch);
}

void sshconn_stream_close(struct sshconn_stream *s)
{
	if (s == NULL) {
		return;
	}
	if (s->ch != NULL) {
		if (ssh_channel_is_open(s->ch)) {
			ssh_channel_send_eof(s->ch);
			ssh_channel_close(s->ch);
		}
		ssh_channel_free(s->ch);
	}
	free(s->err_text);
	free(s);
}

void sshconn_close(struct sshconn *c)
{
	if (c == NULL) {
		return;
	}
	ssh_disconnect(c->session);
	ssh_free(c->session);
	free(c);
}
