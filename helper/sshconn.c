/*
 * sshconn: libssh sessions (see sshconn.h for the model and timeouts).
 *
 * libssh 0.10 quirk pinned here: ssh_channel_read_timeout returns 0 both
 * at EOF and on timeout, so the loop checks ssh_channel_is_eof and the
 * deadline itself.
 */
#define _GNU_SOURCE
#include "sshconn.h"

#include "knownhosts.h"
#include "shquote.h"

#include <libssh/libssh.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SSHCONN_MAX_OUTPUT (64 * 1024)

/* Key exchange: curve25519 first (fast, well supported), then NIST and
 * group14 for older servers. */
#define SSHCONN_KEX \
	"curve25519-sha256,curve25519-sha256@libssh.org," \
	"ecdh-sha2-nistp256,diffie-hellman-group14-sha256"

struct sshconn {
	ssh_session session;
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

/* Reads a whole (small) file; NULL when it cannot be read. */
static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t size = 0;
	size_t n = 0;

	if (f == NULL) {
		return NULL;
	}
	for (;;) {
		char *grown;

		if (n + 4096 + 1 > size) {
			size = size ? size * 2 : 8192;
			if (size > (64u << 20)) { /* no known_hosts is this big */
				break;
			}
			grown = realloc(text, size);
			if (grown == NULL) {
				break;
			}
			text = grown;
		}
		n += fread(text + n, 1, size - n - 1, f);
		if (feof(f) || ferror(f)) {
			break;
		}
	}
	fclose(f);
	if (text != NULL) {
		text[n] = '\0';
	}
	return text;
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

		if (ssh_options_get(s, files[i], &path) != SSH_OK ||
		    path == NULL) {
			continue;
		}
		text = read_text(path);
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

static int authenticate(ssh_session s, char *why, size_t whylen)
{
	int rc = ssh_userauth_none(s, NULL);
	int methods;
	char offered[128];

	if (rc == SSH_AUTH_SUCCESS) {
		return 0;
	}
	if (rc == SSH_AUTH_ERROR) {
		snprintf(why, whylen, "authentication: %s", ssh_get_error(s));
		return -1;
	}
	methods = ssh_userauth_list(s, NULL);
	if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
		rc = ssh_userauth_publickey_auto(s, NULL, NULL);
		if (rc == SSH_AUTH_SUCCESS) {
			return 0;
		}
		if (rc == SSH_AUTH_ERROR) {
			snprintf(why, whylen, "authentication: %s",
				 ssh_get_error(s));
			return -1;
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
	double start = now_seconds();
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

		if (now_seconds() - start >= (double)t->connect_timeout - 0.5) {
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
	left = (long)((double)t->connect_timeout - (now_seconds() - start) +
		      0.999);
	if (left < 1) {
		left = 1;
	}
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &left);
	if (check_host_key(s, t->policy, why, whylen) < 0 ||
	    authenticate(s, why, whylen) < 0) {
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
	return c;
fail:
	ssh_free(s);
	return NULL;
}

/* Appends up to n bytes to a capped buffer. */
static int buf_append(char **buf, size_t *len, const char *data, size_t n)
{
	char *grown;

	if (*len + n > SSHCONN_MAX_OUTPUT) {
		n = SSHCONN_MAX_OUTPUT - *len;
	}
	grown = realloc(*buf, *len + n + 1);
	if (grown == NULL) {
		return -1;
	}
	memcpy(grown + *len, data, n);
	*len += n;
	grown[*len] = '\0';
	*buf = grown;
	return 0;
}

static int read_streams(ssh_channel ch, double deadline,
			struct sshconn_output *res, char *why, size_t whylen,
			long timeout_s)
{
	size_t outlen = 0;
	size_t errlen = 0;
	char data[4096];

	res->out = calloc(1, 1);
	res->err = calloc(1, 1);
	if (res->out == NULL || res->err == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (;;) {
		int n;
		double left = deadline - now_seconds();

		if (left <= 0) {
			snprintf(why, whylen, "exec: timed out after %lds",
				 timeout_s);
			return -1;
		}
		n = ssh_channel_read_timeout(ch, data, sizeof(data), 0,
					     left > 0.2 ? 200 : 10);
		if (n == SSH_ERROR) {
			snprintf(why, whylen, "exec: read failed");
			return -1;
		}
		if (n > 0 && buf_append(&res->out, &outlen, data,
					(size_t)n) < 0) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		n = ssh_channel_read_nonblocking(ch, data, sizeof(data), 1);
		if (n > 0 && buf_append(&res->err, &errlen, data,
					(size_t)n) < 0) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		if (ssh_channel_is_eof(ch) &&
		    ssh_channel_poll(ch, 0) <= 0 &&
		    ssh_channel_poll(ch, 1) <= 0) {
			return 0;
		}
	}
}

int sshconn_exec(struct sshconn *c, const char *command, long timeout_s,
		 struct sshconn_output *res, char *why, size_t whylen)
{
	ssh_channel ch = ssh_channel_new(c->session);
	double deadline = now_seconds() + (double)timeout_s;
	int rc = -1;

	res->out = NULL;
	res->err = NULL;
	res->exit_status = -1;
	if (ch == NULL) {
		snprintf(why, whylen, "exec: out of memory");
		return -1;
	}
	if (ssh_channel_open_session(ch) != SSH_OK ||
	    ssh_channel_request_exec(ch, command) != SSH_OK) {
		snprintf(why, whylen, "exec: %s", ssh_get_error(c->session));
		goto out;
	}
	if (read_streams(ch, deadline, res, why, whylen, timeout_s) < 0) {
		goto out;
	}
	ssh_channel_send_eof(ch);
	res->exit_status = ssh_channel_get_exit_status(ch);
	rc = 0;
out:
	if (rc < 0) {
		free(res->out);
		res->out = NULL;
		free(res->err);
		res->err = NULL;
	}
	ssh_channel_close(ch);
	ssh_channel_free(ch);
	return rc;
}

#define STREAM_BUF 4096

struct sshconn_stream {
	ssh_channel ch;
	char out[STREAM_BUF]; /* stdout not yet returned as lines */
	size_t outlen;
	char err[STREAM_BUF + 1]; /* the last stderr bytes */
	size_t errlen;
	int eof;
};

struct sshconn_stream *sshconn_stream_start(struct sshconn *c,
					    const char *command, char *why,
					    size_t whylen)
{
	struct sshconn_stream *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		snprintf(why, whylen, "exec: out of memory");
		return NULL;
	}
	s->ch = ssh_channel_new(c->session);
	if (s->ch == NULL || ssh_channel_open_session(s->ch) != SSH_OK ||
	    ssh_channel_request_exec(s->ch, command) != SSH_OK) {
		snprintf(why, whylen, "exec: %s", ssh_get_error(c->session));
		sshconn_stream_close(s);
		return NULL;
	}
	return s;
}

/* Keeps the last bytes of stderr. */
static void keep_stderr(struct sshconn_stream *s, const char *data, size_t n)
{
	if (n >= STREAM_BUF) {
		data += n - STREAM_BUF;
		n = STREAM_BUF;
	}
	if (s->errlen + n > STREAM_BUF) {
		size_t drop = s->errlen + n - STREAM_BUF;

		memmove(s->err, s->err + drop, s->errlen - drop);
		s->errlen -= drop;
	}
	memcpy(s->err + s->errlen, data, n);
	s->errlen += n;
	s->err[s->errlen] = '\0';
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

int sshconn_stream_line(struct sshconn_stream *s, long timeout_ms,
			char *line, size_t len, char *why, size_t whylen)
{
	double deadline = now_seconds() + (double)timeout_ms / 1000.0;
	char data[1024];

	for (;;) {
		double left = deadline - now_seconds();
		int n;

		if (take_line(s, line, len, s->eof)) {
			return 1;
		}
		if (s->eof) {
			return 0;
		}
		if (left <= 0) {
			snprintf(why, whylen, "no answer within %lds",
				 (timeout_ms + 999) / 1000);
			return -1;
		}
		n = ssh_channel_read_timeout(s->ch, data,
					     sizeof(data) <
					     STREAM_BUF - s->outlen ?
					     sizeof(data) :
					     STREAM_BUF - s->outlen,
					     0, left > 0.2 ? 200 : 10);
		if (n == SSH_ERROR) {
			snprintf(why, whylen, "read failed");
			return -1;
		}
		if (n > 0) {
			memcpy(s->out + s->outlen, data, (size_t)n);
			s->outlen += (size_t)n;
		}
		n = ssh_channel_read_nonblocking(s->ch, data, sizeof(data), 1);
		if (n > 0) {
			keep_stderr(s, data, (size_t)n);
		}
		if (ssh_channel_is_eof(s->ch) && ssh_channel_poll(s->ch, 0) <= 0) {
			s->eof = 1;
		}
	}
}

const char *sshconn_stream_stderr(const struct sshconn_stream *s)
{
	return s->err;
}

int sshconn_stream_alive(struct sshconn_stream *s)
{
	char data[1024];
	int n;

	if (s == NULL || s->ch == NULL) {
		return 0;
	}
	/* reading processes every packet that came, replies included */
	n = ssh_channel_read_nonblocking(s->ch, data, sizeof(data), 0);
	if (n == SSH_ERROR) {
		return 0;
	}
	n = ssh_channel_read_nonblocking(s->ch, data, sizeof(data), 1);
	if (n > 0) {
		keep_stderr(s, data, (size_t)n);
	}
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
