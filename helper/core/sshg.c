/* sshg: a node's SSH settings as OpenSSH decides them (see sshg.h). */
#define _GNU_SOURCE
#include "sshg.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shquote.h"
#include "text.h"

int sshg_argv(const char *ssh_config, const struct nodename *addr,
	      struct strvec *out)
{
	int rc = 0;

	rc |= strvec_push(out, "ssh");
	rc |= strvec_push(out, "-G");
	rc |= strvec_push(out, "-T");
	if (ssh_config != NULL) {
		rc |= strvec_push(out, "-F");
		rc |= strvec_push(out, ssh_config);
	}
	if (addr->user != NULL) {
		rc |= strvec_push(out, "-l");
		rc |= strvec_push(out, addr->user);
	}
	if (addr->port != 0) {
		rc |= strvec_pushf(out, "-p%d", addr->port);
	}
	rc |= strvec_push(out, "--");
	rc |= strvec_push(out, addr->host);
	return rc ? -1 : 0;
}

/* Replaces *field with a copy of value ("none" gives NULL when
 * none_is_null).  Returns 0, or -1 when out of memory. */
static int set_text(char **field, const char *value, int none_is_null)
{
	char *copy = NULL;

	if (!(none_is_null && strcasecmp(value, "none") == 0)) {
		copy = strdup(value);
		if (copy == NULL) {
			return -1;
		}
	}
	free(*field);
	*field = copy;
	return 0;
}

/* The words of value, appended to list ("none": nothing). */
static int set_words(struct strvec *list, const char *value)
{
	const char *p = value;
	size_t n;

	strvec_clear(list);
	if (strcasecmp(value, "none") == 0) {
		return 0;
	}
	while ((n = text_word(&p)) > 0) {
		if (strvec_pushf(list, "%.*s", (int)n, p) < 0) {
			return -1;
		}
		p += n;
	}
	return 0;
}

static int parse_policy(const char *value, enum host_key_policy *out)
{
	static const struct {
		const char *word;
		enum host_key_policy policy;
	} words[] = {
		{ "true", POLICY_STRICT },   { "yes", POLICY_STRICT },
		{ "ask", POLICY_STRICT },    { "accept-new", POLICY_ACCEPT_NEW },
		{ "false", POLICY_NO },      { "no", POLICY_NO },
		{ "off", POLICY_NO },
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcasecmp(value, words[i].word) == 0) {
			*out = words[i].policy;
			return 0;
		}
	}
	return -1;
}

static int parse_port(const char *value, int *port)
{
	long v = 0;
	const char *p;

	for (p = value; *p >= '0' && *p <= '9' && v <= 65535; p++) {
		v = v * 10 + (*p - '0');
	}
	if (p == value || *p != '\0' || v < 1 || v > 65535) {
		return -1;
	}
	*port = (int)v;
	return 0;
}

/* One "keyword value" line into g; 0, 1 when its value is not
 * understood (why says so), -1 when out of memory. */
static int take_line(const char *key, const char *value, struct sshg *g,
		     int *have_host, char *why, size_t whylen)
{
	if (strcmp(key, "hostname") == 0) {
		*have_host = 1;
		return set_text(&g->hostname, value, 0);
	}
	if (strcmp(key, "port") == 0) {
		if (parse_port(value, &g->port) < 0) {
			snprintf(why, whylen, "port '%s' is not a port number",
				 value);
			return 1;
		}
		return 0;
	}
	if (strcmp(key, "user") == 0) {
		return set_text(&g->user, value, 0);
	}
	if (strcmp(key, "identityfile") == 0) {
		return strvec_push(&g->identity_files, value);
	}
	if (strcmp(key, "stricthostkeychecking") == 0) {
		if (parse_policy(value, &g->policy) < 0) {
			snprintf(why, whylen, "StrictHostKeyChecking '%s' is "
				 "not understood", value);
			return 1;
		}
		return 0;
	}
	if (strcmp(key, "hashknownhosts") == 0) {
		g->hash_known_hosts = strcasecmp(value, "yes") == 0 ||
				      strcasecmp(value, "true") == 0;
		return 0;
	}
	{
		static const struct {
			const char *key;
			size_t off;
			int none_is_null;
		} texts[] = {
			{ "identityagent", offsetof(struct sshg, identity_agent), 0 },
			{ "proxycommand", offsetof(struct sshg, proxy_command), 1 },
			{ "proxyjump", offsetof(struct sshg, proxy_jump), 1 },
			{ "hostkeyalias", offsetof(struct sshg, host_key_alias), 1 },
			{ "revokedhostkeys", offsetof(struct sshg, revoked_host_keys), 1 },
			{ "controlmaster", offsetof(struct sshg, control_master), 0 },
			{ "controlpath", offsetof(struct sshg, control_path), 1 },
			{ "controlpersist", offsetof(struct sshg, control_persist), 0 },
			{ "knownhostscommand",
			  offsetof(struct sshg, known_hosts_command), 1 },
		};
		size_t i;

		for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			if (strcmp(key, texts[i].key) == 0) {
				return set_text((char **)((char *)g + texts[i].off),
						value, texts[i].none_is_null);
			}
		}
	}
	if (strcmp(key, "userknownhostsfile") == 0) {
		return set_words(&g->user_known_hosts, value);
	}
	if (strcmp(key, "globalknownhostsfile") == 0) {
		return set_words(&g->global_known_hosts, value);
	}
	return 0;
}

/* The SHA-256 of text in lower-case hex, newly allocated; NULL when out
 * of memory. */
static char *sha256_hex(const char *text)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *hex;
	unsigned int i;

	if (EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL) != 1) {
		return NULL;
	}
	hex = malloc(2 * (size_t)n + 1);
	if (hex != NULL) {
		hex[0] = '\0';
	}
	for (i = 0; hex != NULL && i < n; i++) {
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	}
	return hex;
}

int sshg_parse(const char *text, struct sshg *g, char *why, size_t whylen)
{
	const char *p = text;
	int have_host = 0;
	int rc = 0;

	g->from_ssh = 1;
	while (p != NULL && *p != '\0' && rc == 0) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		char *value;
		char *end;

		if (line == NULL) {
			rc = -1;
			break;
		}
		end = line + strlen(line);
		while (end > line && (end[-1] == '\r' || end[-1] == ' ')) {
			*--end = '\0';
		}
		value = strchr(line, ' ');
		if (value != NULL) {
			*value++ = '\0';
			rc = take_line(line, value, g, &have_host, why, whylen);
		}
		free(line);
		p = nl ? nl + 1 : NULL;
	}
	if (rc < 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (rc > 0) {
		return -1;
	}
	if (!have_host || g->hostname[0] == '\0') {
		snprintf(why, whylen, "no 'hostname' line");
		return -1;
	}
	free(g->digest);
	g->digest = sha256_hex(text);
	if (g->digest == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

/* A word pinned on ssh's command line: letters, digits, extra, not
 * starting with '-'; 0 when it fits. */
static int plain_word(const char *s, const char *extra)
{
	return s[0] != '\0' && s[0] != '-' && text_only(s, extra) ? 0 : -1;
}

int sshg_check(const struct sshg *g, char *why, size_t whylen)
{
	if (plain_word(g->hostname, ".-_:") < 0) {
		snprintf(why, whylen, "ssh config: HostName '%s' cannot be "
			 "passed on (letters, digits and '.-_:' only, not "
			 "starting with '-')", g->hostname);
		return -1;
	}
	if (g->user != NULL && plain_word(g->user, ".-_@") < 0) {
		snprintf(why, whylen, "ssh config: User '%s' cannot be passed "
			 "on (letters, digits and '.-_@' only, not starting "
			 "with '-')", g->user);
		return -1;
	}
	if (g->host_key_alias != NULL &&
	    plain_word(g->host_key_alias, ".-_:[]") < 0) {
		snprintf(why, whylen, "ssh config: HostKeyAlias '%s' cannot be "
			 "passed on (letters, digits and '.-_:[]' only, not "
			 "starting with '-')", g->host_key_alias);
		return -1;
	}
	return 0;
}

char *sshg_pin(const struct sshg *g)
{
	char *s = NULL;

	if (!g->from_ssh) {
		return strdup("");
	}
	if (asprintf(&s, "-o HostName=%s -o Port=%d%s%s%s%s", g->hostname,
		     g->port, g->user ? " -o User=" : "",
		     g->user ? g->user : "",
		     g->host_key_alias ? " -o HostKeyAlias=" : "",
		     g->host_key_alias ? g->host_key_alias : "") < 0) {
		return NULL;
	}
	return s;
}

/* s with each '%' doubled: libssh expands tokens in a ProxyCommand, and
 * a value of ours is not one.  Newly allocated, or NULL. */
static char *no_tokens(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(2 * n + 1);
	size_t j = 0;
	size_t i;

	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i < n; i++) {
		out[j++] = s[i];
		if (s[i] == '%') {
			out[j++] = '%';
		}
	}
	out[j] = '\0';
	return out;
}

/* Appends " WORD" to *cmd, the word quoted for the shell and kept from
 * libssh's token expansion.  Returns 0, or -1 when out of memory. */
static int add_word(char **cmd, const char *word)
{
	char *quoted = shquote(word);
	char *safe = quoted ? no_tokens(quoted) : NULL;
	char *joined = NULL;
	int rc = -1;

	if (safe != NULL && asprintf(&joined, "%s %s", *cmd, safe) >= 0) {
		free(*cmd);
		*cmd = joined;
		rc = 0;
	}
	free(quoted);
	free(safe);
	return rc;
}

/* The ssh destination of a ProxyJump entry: "[user@]host" as it is,
 * "[user@]host:port" as the ssh:// form ssh takes. */
static char *jump_destination(const char *entry)
{
	const char *colon = strrchr(entry, ':');
	char *out = NULL;

	if (strncmp(entry, "ssh://", 6) == 0 || colon == NULL ||
	    (entry[0] == '[' && colon < strrchr(entry, ']'))) {
		return strdup(entry);
	}
	if (asprintf(&out, "ssh://%s", entry) < 0) {
		return NULL;
	}
	return out;
}

char *sshg_jump_command(const struct sshg *g, const char *ssh_config,
			long connect_timeout)
{
	const char *last;
	char *extra = NULL;
	char *dest = NULL;
	char *cmd = NULL;
	char timeout[48];
	int rc = 0;

	if (g->proxy_jump == NULL) {
		return NULL;
	}
	last = strrchr(g->proxy_jump, ',');
	if (last != NULL) {
		extra = strndup(g->proxy_jump,
				(size_t)(last - g->proxy_jump));
		last++;
	} else {
		last = g->proxy_jump;
	}
	dest = jump_destination(last);
	cmd = strdup("exec ssh");
	if (cmd == NULL || dest == NULL || (last != g->proxy_jump && !extra)) {
		rc = -1;
		goto out;
	}
	snprintf(timeout, sizeof(timeout), "ConnectTimeout=%ld",
		 connect_timeout);
	if (ssh_config != NULL) {
		rc |= add_word(&cmd, "-F");
		rc |= add_word(&cmd, ssh_config);
	}
	rc |= add_word(&cmd, "-o");
	rc |= add_word(&cmd, "BatchMode=yes");
	rc |= add_word(&cmd, "-o");
	rc |= add_word(&cmd, timeout);
	if (extra != NULL) {
		rc |= add_word(&cmd, "-J");
		rc |= add_word(&cmd, extra);
	}
	rc |= add_word(&cmd, "-W");
	if (rc == 0) {
		/* libssh puts the node's host and port here */
		char *joined = NULL;

		if (asprintf(&joined, "%s '[%%h]:%%p'", cmd) < 0) {
			rc = -1;
		} else {
			free(cmd);
			cmd = joined;
		}
	}
	rc |= add_word(&cmd, "--");
	rc |= add_word(&cmd, dest);
out:
	free(extra);
	free(dest);
	if (rc != 0) {
		free(cmd);
		return NULL;
	}
	return cmd;
}

void sshg_release(struct sshg *g)
{
	struct sshg empty = SSHG_INIT;

	free(g->hostname);
	free(g->user);
	strvec_clear(&g->identity_files);
	free(g->identity_agent);
	free(g->proxy_command);
	free(g->proxy_jump);
	strvec_clear(&g->user_known_hosts);
	strvec_clear(&g->global_known_hosts);
	free(g->host_key_alias);
	free(g->revoked_host_keys);
	free(g->control_master);
	free(g->control_path);
	free(g->control_persist);
	free(g->known_hosts_command);
	free(g->digest);
	*g = empty;
}
