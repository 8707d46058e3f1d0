/*
 * sshcfg: the one OpenSSH client setting the helper must read itself.
 *
 * libssh applies the config file (HostName, Port, User, IdentityFile,
 * ProxyJump, UserKnownHostsFile, ConnectTimeout...) but leaves the host
 * key policy to the application and has no getter for it.  This reads
 * StrictHostKeyChecking for a host the way ssh does: "Host" blocks with
 * patterns ('*', '?', '!negation'), the first value found wins, keywords
 * in any case, "Key value" or "Key=value", "Include" of further files
 * (at the edge, sshcfgfile.h).  "Match" blocks are not evaluated:
 * a StrictHostKeyChecking in one could apply and come first, so a config
 * with any gives the strictest of that value and what the Host blocks
 * give (ssh's default, strict, when they give nothing).
 */
#ifndef PYTEST_CLOUD_SSHCFG_H
#define PYTEST_CLOUD_SSHCFG_H

enum host_key_policy {
	POLICY_UNSET = 0,  /* no StrictHostKeyChecking line applied */
	POLICY_STRICT,     /* yes / ask: unknown hosts are refused */
	POLICY_ACCEPT_NEW, /* unknown hosts are added to known_hosts */
	POLICY_NO          /* no / off: likewise (changed keys still refused) */
};

/*
 * Pure: the policy text sets for host, or POLICY_UNSET.  include_fn (may
 * be NULL) is called for each "Include" argument that applies and returns
 * the policy found in those files (or POLICY_UNSET).
 */
enum host_key_policy sshcfg_policy(const char *text, const char *host,
				   enum host_key_policy (*include_fn)(
					   const char *pattern,
					   const char *host, void *arg),
				   void *arg);

#endif
