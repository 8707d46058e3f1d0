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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
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

/* One libssh option, its failure said in why. */
static int set_opt(ssh_session s, enum ssh_options_e what, const void *value,
		   char *why, size_t whylen)
{
	if (ssh_options_set(s, what, value) < 0) {
		snprintf(why, whylen, "ssh options: %s", ssh_get_error(s));
		return -1;
	}
	return 0;
}

/* IdentityAgent as ssh -G gives it: "SSH_AUTH_SOCK" (or nothing) is
 * libssh's default; "none" is no agent; "$VAR" or "${VAR}" names a
 * variable; else a path ('~' is libssh's to expand). */
static int set_agent(ssh_session s, const char *agent, char *why,
		     size_t whylen)
{
	const char *path = agent;
	char name[256];

	if (agent == NULL || strcmp(agent, "SSH_AUTH_SOCK") == 0) {
		return 0;
	}
	if (strcmp(agent, "none") == 0) {
		path = "/dev/null"; /* no agent answers there */
	} else if (agent[0] == '$') {
		snprintf(name, sizeof(name), "%s",
			 agent + (agent[1] == '{' ? 2 : 1));
		name[strcspn(name, "}")] = '\0';
		path = getenv(name);
		if (path == NULL || path[0] == '\0') {
			path = "/dev/null";
		}
	}
	return set_opt(s, SSH_OPTIONS_IDENTITY_AGENT, path, why, whylen);
}

/* The session goes where OpenSSH goes (t->g, from ssh -G), logging in
 * as it would: its user, port, identity files, agent and proxy. */
static int set_from_ssh(ssh_session s, const struct sshconn_target *t,
			char *why, size_t whylen)
{
	const struct sshg *g = t->g;
	unsigned int port = (unsigned int)g->port;
	char *jump = NULL;
	size_t i;
	int rc = 0;

	if (ssh_options_set(s, SSH_OPTIONS_HOST, g->hostname) < 0) {
		snprintf(why, whylen, "ssh options: libssh cannot take '%s' "
			 "as a host name (letters, digits, '-' and '.' only)",
			 g->hostname);
		return -1;
	}
	if ((g->user != NULL &&
	     set_opt(s, SSH_OPTIONS_USER, g->user, why, whylen) < 0) ||
	    set_opt(s, SSH_OPTIONS_PORT, &port, why, whylen) < 0 ||
	    set_agent(s, g->identity_agent, why, whylen) < 0) {
		return -1;
	}
	/* libssh puts each before the ones set so far: set in reverse, they
	 * are tried in ssh's order */
	for (i = g->identity_files.n; i > 0 && rc == 0; i--) {
		rc = set_opt(s, SSH_OPTIONS_IDENTITY, g->identity_files.v[i - 1],
			     why, whylen);
	}
	if (rc < 0) {
		return -1;
	}
	if (g->proxy_jump != NULL) {
		jump = sshg_jump_command(g, t->ssh_config, t->connect_timeout);
		if (jump == NULL) {
			snprintf(why, whylen, "ssh options: ProxyJump: out of "
				 "memory");
			return -1;
		}
		rc = set_opt(s, SSH_OPTIONS_PROXYCOMMAND, jump, why, whylen);
		free(jump);
	} else if (g->proxy_command != NULL) {
		rc = set_opt(s, SSH_OPTIONS_PROXYCOMMAND, g->proxy_command, why,
			     whylen);
	}
	return rc;
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

/* Without an OpenSSH client: libssh reads the config file itself (the
 * node's user@ and :port over it, as with ssh). */
static int set_from_libssh(ssh_session s, const struct sshconn_target *t,
			   char *why, size_t whylen)
{
	/* libssh 0.10 takes only host names of letters, digits, '-' and
	 * '.' (labels starting and ending with a letter or digit), also as
	 * a config alias, and says nothing of why */
	if (ssh_options_set(s, SSH_OPTIONS_HOST, t->addr->host) < 0) {
		snprintf(why, whylen, "ssh options: libssh cannot take '%s' "
			 "as a host name (letters, digits, '-' and '.' only): "
			 "give the node a Host alias of those in the ssh config",
			 t->addr->host);
		return -1;
	}
	if (ssh_options_parse_config(s, t->ssh_config) < 0) {
		snprintf(why, whylen, "ssh config '%s': cannot be used",
			 t->ssh_config ? t->ssh_config : "~/.ssh/config");
		return -1;
	}
	if (fix_proxy_jump(s, t) < 0) {
		snprintf(why, whylen, "ssh options: ProxyJump: out of memory");
		return -1;
	}
	if (t->addr->user != NULL &&
	    set_opt(s, SSH_OPTIONS_USER, t->addr->user, why, whylen) < 0) {
		return -1;
	}
	if (t->addr->port != 0) {
		unsigned int port = (unsigned int)t->addr->port;

		return set_opt(s, SSH_OPTIONS_PORT, &port, why, whylen);
	}
	return 0;
}

/* Moves libssh's string *v (if any) into a strvec; 0, or -1 when out of
 * memory. */
static int take_text(char *v, char **field, struct strvec *list)
{
	int rc = 0;

	if (v == NULL) {
		return 0;
	}
	if (list != NULL) {
		rc = strvec_push(list, v);
	} else {
		*field = strdup(v);
		rc = *field ? 0 : -1;
	}
	ssh_string_free_char(v);
	return rc;
}

/* After the connect, with libssh's reading: the settings the host key is
 * judged by, as libssh has them (its one known_hosts file of each kind,
 * expanded by then; its StrictHostKeyChecking is not told, so strict). */
static int read_back(ssh_session s, struct sshg *g)
{
	static const struct {
		enum ssh_options_e what;
		size_t field;  /* a char * of struct sshg, or */
		size_t list;   /* a struct strvec of it (when field is 0) */
	} from[] = {
		{ SSH_OPTIONS_HOST, offsetof(struct sshg, hostname), 0 },
		{ SSH_OPTIONS_USER, offsetof(struct sshg, user), 0 },
		{ SSH_OPTIONS_PROXYCOMMAND, offsetof(struct sshg, proxy_command),
		  0 },
		{ SSH_OPTIONS_KNOWNHOSTS, 0,
		  offsetof(struct sshg, user_known_hosts) },
		{ SSH_OPTIONS_GLOBAL_KNOWNHOSTS, 0,
		  offsetof(struct sshg, global_known_hosts) },
	};
	unsigned int port = 22;
	size_t i;
	int rc = 0;

	sshg_release(g);
	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
		char *v = NULL;

		if (ssh_options_get(s, from[i].what, &v) != SSH_OK) {
			continue;
		}
		rc |= take_text(v, (char **)((char *)g + from[i].field),
				from[i].field ? NULL
					      : (struct strvec *)((char *)g +
								  from[i].list));
	}
	if (ssh_options_get_port(s, &port) == SSH_OK) {
		g->port = (int)port;
	}
	return rc == 0 && g->hostname != NULL ? 0 : -1;
}

static int set_options(ssh_session s, const struct sshconn_target *t,
		       char *why, size_t whylen)
{
	long timeout = t->connect_timeout;
	int no = 0;
	int yes = 1;

	if (set_opt(s, SSH_OPTIONS_PROCESS_CONFIG, &no, why, whylen) < 0 ||
	    (t->g->from_ssh ? set_from_ssh(s, t, why, whylen)
			    : set_from_libssh(s, t, why, whylen)) < 0) {
		return -1;
	}
	/* libssh 0.10 returns "known" for a changed key when its own
	 * StrictHostKeyChecking is off; the policy is ours (hostkey_check),
	 * so libssh is always strict */
	if (set_opt(s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &yes, why, whylen) < 0) {
		return -1;
	}
	if (t->g->from_ssh) {
		hostkey_prefer(s, &(struct hostkey_target){ t->g,
							   t->connect_timeout,
							   t->dry_run });
	}
	/* the config's LogLevel is ssh's, not ours: libssh stays quiet */
	if (set_opt(s, SSH_OPTIONS_LOG_VERBOSITY, &no, why, whylen) < 0 ||
	    set_opt(s, SSH_OPTIONS_TIMEOUT, &timeout, why, whylen) < 0 ||
	    set_opt(s, SSH_OPTIONS_NODELAY, &yes, why, whylen) < 0 ||
	    set_opt(s, SSH_OPTIONS_KEY_EXCHANGE, SSHCONN_KEX, why, whylen) < 0) {
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
	if (!t->g->from_ssh && read_back(s, t->g) < 0) {
		snprintf(why, whylen, "ssh options: out of memory");
		ssh_disconnect(s);
		goto fail;
	}
	if (hostkey_check(s, &(struct hostkey_target){ t->g, left,
						       t->dry_run,
						       t->host_key },
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
	pthread_mutex_init(&c->mu, NULL);
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

void sshconn_lock(struct sshconn *c)
{
	pthread_mutex_lock(&c->mu);
}

void sshconn_unlock(struct sshconn *c)
{
	pthread_mutex_unlock(&c->mu);
}

int sshconn_trylock(struct sshconn *c)
{
	return pthread_mutex_trylock(&c->mu) == 0;
}

void sshconn_wait_input(struct sshconn *c, int ms)
{
	struct pollfd p = { ssh_get_fd(c->session), POLLIN, 0 };

	pthread_mutex_unlock(&c->mu);
	if (p.fd >= 0) {
		poll(&p, 1, ms);
	}
	pthread_mutex_lock(&c->mu);
}

double sshconn_heard(const struct sshconn *c, double last_rx)
{
	return c->last_alive > last_rx ? c->last_alive : last_rx;
}

void sshconn_close(struct sshconn *c)
{
	if (c == NULL) {
		return;
	}
	ssh_disconnect(c->session);
	ssh_free(c->session);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
