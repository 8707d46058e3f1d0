/*
 * sshcfg: the OpenSSH client settings the helper must read itself.
 *
 * libssh applies the config file (HostName, Port, User, IdentityFile,
 * ProxyJump, ConnectTimeout...) but leaves host keys to the application:
 * it reads one known_hosts file and no certificate.  This reads what
 * judging a host key as ssh does needs: StrictHostKeyChecking,
 * UserKnownHostsFile and GlobalKnownHostsFile (each a list of files),
 * HostKeyAlias, HashKnownHosts and RevokedHostKeys.  As ssh: "Host"
 * blocks with patterns ('*', '?', '!negation') matched against the host
 * as given, the first value found wins, keywords in any case, "Key
 * value" or "Key=value", "Include" of further files (at the edge,
 * sshcfgfile.h).  "Match" blocks are evaluated as ssh evaluates them
 * for the criteria that need nothing but the config and the names: all,
 * host (the HostName set so far, %h expanded, else the host as given),
 * originalhost, user (the name's "user@", else the User set so far,
 * else the local user) and localuser, each with pattern lists and '!'
 * (criteria and patterns); every criterion must hold.  Others (exec,
 * canonical, final, localnetwork, tagged, version, any unknown word)
 * cannot be told here, and a block whose other criteria do not rule it
 * out is "unknown": a StrictHostKeyChecking in one could apply and come
 * first, so such a config gives the strictest of that value and what the
 * rest gives (ssh's default, strict, when it gives nothing); any other
 * of these keywords in one is named (match_keyword) for the caller to
 * refuse, since what it would change cannot be known.
 */
#ifndef PYTEST_CLOUD_SSHCFG_H
#define PYTEST_CLOUD_SSHCFG_H

enum host_key_policy {
	POLICY_UNSET = 0,  /* no StrictHostKeyChecking line applied */
	POLICY_STRICT,     /* yes / ask: unknown hosts are refused */
	POLICY_ACCEPT_NEW, /* unknown hosts are added to known_hosts */
	POLICY_NO          /* no / off: likewise (changed keys still refused) */
};

struct sshcfg_settings {
	enum host_key_policy policy;       /* POLICY_UNSET: no line */
	enum host_key_policy match_policy; /* strictest in Match blocks */
	char *user_known_hosts;   /* the value as written, or NULL */
	char *global_known_hosts; /* likewise */
	char *host_key_alias;
	char *revoked_host_keys;
	int hash_known_hosts;     /* -1 unset, 0 no, 1 yes */
	const char *match_keyword; /* static: a keyword above set in a
				    * Match block that cannot be told, or
				    * NULL */
	/* what Match blocks are judged by (set the last two before reading) */
	char *hostname;   /* the first HostName applied, as written */
	char *user;       /* the name's "user@", else the first User */
	char *local_user; /* the login running ssh */
};

#define SSHCFG_SETTINGS_INIT                                                   \
	{ POLICY_UNSET, POLICY_UNSET, NULL, NULL, NULL, NULL, -1, NULL,       \
	  NULL, NULL, NULL }

/* Reads an "Include" argument for host into out (first value wins);
 * given by the edge, which reads files. */
typedef void (*sshcfg_include_fn)(const char *pattern, const char *host,
				  struct sshcfg_settings *out, void *arg);

/*
 * Pure: fills what out lacks from config text for host.  include_fn (may
 * be NULL) reads each "Include" that applies.  Returns 0, or -1 when out
 * of memory.
 */
int sshcfg_read(const char *text, const char *host, sshcfg_include_fn include_fn,
		void *arg, struct sshcfg_settings *out);

/* The policy that applies: ssh's strict default when nothing set one,
 * the stricter of the Host blocks' and the Match blocks' when both did. */
enum host_key_policy sshcfg_effective_policy(const struct sshcfg_settings *s);

/* The policy text sets for host (no Include), or POLICY_UNSET; for tests
 * and callers that need only this. */
enum host_key_policy sshcfg_policy(const char *text, const char *host);

void sshcfg_settings_release(struct sshcfg_settings *s);

#endif
