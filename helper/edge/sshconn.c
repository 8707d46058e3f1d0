/*
 * sshconn: libssh sessions: connect, host key, authentication (see
 * sshconn.h for the model and timeouts); the bounds every request of a
 * session shares (sshconn_int.h).  Commands run in sshexec.c and
 * sshstream.c; the host key's judgement is hostkey.c's.
 */
#define _GNU_SOURCE
#include "sshconn.h"

#include <libssh/libssh.h>
#include <libssh/server.h> /* ssh_send_keepalive */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "hostkey.h"
#include "shquote.h"
#include "sshconn_int.h"

/* Key exchange: curve25519 first (fast, well supported), then NIST and
 * group14 for older servers. */
#define SSHCONN_KEX \
	"curve25519-sha256,curve25519-sha256@libssh.org," \
	"ecdh-sha2-nistp256,diffie-hellman-group14-sha256"

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

	/* libssh 0.10 takes only host names of letters, digits, '-' and
	 * '.' (labels starting and ending with a letter or digit), also as
	 * a config alias, and says nothing of why */
	if (ssh_options_set(s, SSH_OPTIONS_HOST, t->alias) < 0) {
		snprintf(why, whylen, "ssh options: libssh cannot take '%s' "
			 "as a host name (letters, digits, '-' and '.' only): "
			 "give the node a Host alias of those in the ssh config",
			 t->alias);
		return -1;
	}
	if (ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0) {
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
	 * ours (hostkey_check), so libssh is always strict */
	if (ssh_options_set(s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &yes) < 0) {
		snprintf(why, whylen, "ssh options: %s", ssh_get_error(s));
		return -1;
	}
	if (fix_proxy_jump(s, t) < 0) {
		snprintf(why, whylen, "ssh options: ProxyJump: out of memory");
		return -1;
	}
	hostkey_prefer(s, &(struct hostkey_target){ t->settings,
						   t->connect_timeout,
						   t->dry_run });
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
	if (hostkey_check(s, &(struct hostkey_target){ t->settings, left,
						       t->dry_run },
			  why, whylen) < 0 ||
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

/*
 * Sets the session's bound for the blocking libssh request that follows
 * (a live sshd answers one at once): what is left until deadline, and no
 * more than the keepalive; at least 1 s.  Returns the bound.
 */
long sshconn_bound(struct sshconn *c, double deadline)
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
void sshconn_step_failed(ssh_session s, const char *step, double start,
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
int sshconn_answers(ssh_session s, long timeout_s)
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
void sshconn_ping_plan(const struct sshconn *c, double *every, long *wait)
{
	long k = c->keepalive > 1 ? c->keepalive : 2;

	*every = k / 4 >= 1 ? (double)(k / 4) : 1.0;
	*wait = k - (long)*every;
	if (*wait < 1) {
		*wait = 1;
	}
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
