/*
 * sshg: one node's SSH settings as OpenSSH decides them.  Pure.
 *
 * Model: OpenSSH decides, once per node, and everything of the run uses
 * its answer.  The edge (sshresolve.h) runs "ssh -G" for the node, which
 * applies the user's config exactly as the ssh that rsync and the
 * gateways run will: Host and Match blocks (exec, canonical, final
 * included), Include, tokens, environment variables and
 * CanonicalizeHostname.  This reads its output ("keyword value" lines,
 * keywords in lower case) into a struct sshg:
 *
 *   - where to connect: hostname, port, user;
 *   - how to log in: identity files, the agent, a ProxyCommand or
 *     ProxyJump;
 *   - how to judge the host key: the known_hosts files (expanded by
 *     ssh), HostKeyAlias, StrictHostKeyChecking, HashKnownHosts,
 *     RevokedHostKeys;
 *   - ControlMaster, ControlPath and ControlPersist as configured;
 *   - a digest of the whole output, which names the node's master
 *     connection (sshmux.h).
 *
 * libssh then connects to exactly that place with those settings, and
 * every later ssh of the run (rsync's, the gateways') gets hostname, port,
 * user and HostKeyAlias pinned on its command line (sshg_pin), so no
 * second reading of the config can send it elsewhere.
 *
 * Without an OpenSSH client (the static helper in an empty root) libssh
 * reads the config instead: sshg.from_ssh is 0 then, and only a dry run
 * may go on (rsync needs ssh anyway).
 */
#ifndef PYTEST_CLOUD_SSHG_H
#define PYTEST_CLOUD_SSHG_H

#include <stddef.h>

#include "nodename.h"
#include "strvec.h"

enum host_key_policy {
	POLICY_STRICT = 1, /* yes / ask: unknown hosts are refused */
	POLICY_ACCEPT_NEW, /* unknown hosts are added to known_hosts */
	POLICY_NO          /* no / off: likewise (changed keys still refused) */
};

struct sshg {
	int from_ssh;          /* 1: ssh -G said it; 0: libssh's reading */
	char *hostname;        /* where OpenSSH connects (HostName applied) */
	int port;
	char *user;
	struct strvec identity_files; /* as ssh prints them: tokens and '~'
				       * not expanded (libssh expands them) */
	char *identity_agent;  /* NULL: SSH_AUTH_SOCK; "none"; or a path */
	char *proxy_command;   /* NULL when none */
	char *proxy_jump;      /* NULL when none */
	struct strvec user_known_hosts;   /* expanded paths; none: empty */
	struct strvec global_known_hosts; /* likewise */
	char *host_key_alias;  /* NULL when not set */
	enum host_key_policy policy;
	int hash_known_hosts;  /* 1 yes, 0 no */
	char *revoked_host_keys; /* NULL when not set */
	char *control_master;  /* "false", "true", "auto", ...; NULL unset */
	char *control_path;    /* NULL when none */
	char *control_persist; /* seconds as text, "no"; NULL unset */
	char *known_hosts_command; /* NULL when none */
	char *digest;          /* SHA-256 of ssh -G's whole output, in hex:
				* the config as OpenSSH read it for the node
				* (a master is named by it: sshmux.h); NULL
				* for libssh's reading */
};

#define SSHG_INIT                                                              \
	{ 0, NULL, 22, NULL, STRVEC_INIT, NULL, NULL, NULL, STRVEC_INIT,      \
	  STRVEC_INIT, NULL, POLICY_STRICT, 0, NULL, NULL, NULL, NULL, NULL,  \
	  NULL }

/*
 * The argv of "ssh -G" for node addr (argv[0] "ssh"): -T (no terminal
 * line), -F ssh_config when given, -l and -p when the node name has them,
 * then "--" and the host as given.  Returns 0, or -1 when out of memory.
 */
int sshg_argv(const char *ssh_config, const struct nodename *addr,
	      struct strvec *out);

/*
 * Reads ssh -G's output into g (which the caller made with SSHG_INIT and
 * releases with sshg_release); keywords it does not use are skipped.
 * Returns 0, or -1 with why ("no 'hostname' line", "port 'x' is not a
 * port number", "out of memory").
 */
int sshg_parse(const char *text, struct sshg *g, char *why, size_t whylen);

/*
 * Whether g's hostname, user and HostKeyAlias can be pinned on an ssh
 * command line and put in an execnet spec: plain words of letters,
 * digits and ".-_:" (an IPv6 address), "@" in a user name too, none
 * starting with '-', no '%' (ssh would expand it).  Returns 0, or -1 with
 * why naming the keyword and its value.
 */
int sshg_check(const struct sshg *g, char *why, size_t whylen);

/*
 * What every later ssh of the run gets on its command line so that it
 * lands where the probe went: "-o HostName=H -o Port=P -o User=U" and
 * " -o HostKeyAlias=A" when one applies; "" for a g from libssh's reading
 * (no ssh runs then).  Newly allocated; NULL when out of memory.
 */
char *sshg_pin(const struct sshg *g);

/*
 * The command that carries the connection through g's ProxyJump, as
 * OpenSSH builds it: the last jump host reached through the ones before
 * it (-J), "-W '[%h]:%p'", the same -F config, in batch mode within
 * connect_timeout; every word quoted for the shell (libssh runs it with
 * /bin/sh).  NULL when g has no ProxyJump or when out of memory.
 */
char *sshg_jump_command(const struct sshg *g, const char *ssh_config,
			long connect_timeout);

/* Frees g's fields and makes it as SSHG_INIT. */
void sshg_release(struct sshg *g);

#endif
