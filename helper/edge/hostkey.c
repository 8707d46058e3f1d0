/*
 * hostkey: whether a node's host key is trusted (see hostkey.h).
 */
#define _GNU_SOURCE
#include "hostkey.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "knownhosts.h"
#include "msgs.h"
#include "spawn.h"
#include "sshcert.h"
#include "strvec.h"

/* No known_hosts is this big. */
#define KNOWN_HOSTS_MAX_BYTES (64u << 20)

static pthread_mutex_t known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

/* The node as OpenSSH goes to it: the host (HostName applied), the port,
 * and the names known_hosts and a certificate must have. */
struct where {
	const char *host;
	int port;
	char *name;      /* looked up in known_hosts */
	const char *principal; /* a certificate must name this */
};

static int where_of(const struct sshg *g, struct where *w)
{
	memset(w, 0, sizeof(*w));
	if (g->hostname == NULL) {
		return -1;
	}
	w->host = g->hostname;
	w->port = g->port;
	w->name = knownhosts_name(w->host, w->port, g->host_key_alias);
	w->principal = g->host_key_alias ? g->host_key_alias : w->host;
	return w->name ? 0 : -1;
}

static void where_release(struct where *w)
{
	free(w->name);
	w->name = NULL;
}

/* The user's files, then the global ones (expanded by ssh); user_n is
 * how many of them are the user's. */
static int known_files(const struct sshg *g, struct strvec *files,
		       size_t *user_n, char *why, size_t whylen)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < g->user_known_hosts.n; i++) {
		rc |= strvec_push(files, g->user_known_hosts.v[i]);
	}
	*user_n = files->n;
	for (i = 0; i < g->global_known_hosts.n; i++) {
		rc |= strvec_push(files, g->global_known_hosts.v[i]);
	}
	if (rc != 0) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

/* What every file says of name and key. */
static int judge_files(const struct strvec *files, const char *name,
		       const char *type, const char *b64,
		       struct knownhosts_verdict *v, char *why, size_t whylen)
{
	size_t i;

	for (i = 0; i < files->n; i++) {
		char err[300];
		char *text = files_read(files->v[i], KNOWN_HOSTS_MAX_BYTES, 0,
					NULL, err, sizeof(err));

		if (text == NULL) {
			continue; /* as ssh: a file that is not there says nothing */
		}
		if (knownhosts_judge(text, files->v[i], name, type, b64, v) <
		    0) {
			free(text);
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		free(text);
	}
	return 0;
}

void hostkey_prefer(ssh_session s, const struct hostkey_target *t)
{
	static const char defaults[] =
		"ssh-ed25519,ecdsa-sha2-nistp521,ecdsa-sha2-nistp384,"
		"ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256";
	struct knownhosts_verdict v = KNOWNHOSTS_VERDICT_INIT;
	struct strvec files = STRVEC_INIT;
	struct where w;
	char why[300];
	char list[512] = "";
	size_t user_n;
	size_t i;
	size_t used = 0;

	if (where_of(t->g, &w) < 0) {
		return;
	}
	if (known_files(t->g, &files, &user_n, why, sizeof(why)) == 0 &&
	    judge_files(&files, w.name, "", "", &v, why, sizeof(why)) == 0 &&
	    v.types.n > 0) {
		for (i = 0; i < v.types.n; i++) {
			const char *algs = strcmp(v.types.v[i], "ssh-rsa") == 0
						   ? "rsa-sha2-512,rsa-sha2-256"
						   : v.types.v[i];

			used += (size_t)snprintf(list + used, sizeof(list) - used,
						 "%s%s", used ? "," : "", algs);
		}
		/* then the rest, once each */
		{
			char copy[sizeof(defaults)];
			char *save = NULL;
			char *alg;

			memcpy(copy, defaults, sizeof(defaults));
			for (alg = strtok_r(copy, ",", &save); alg != NULL;
			     alg = strtok_r(NULL, ",", &save)) {
				if (strstr(list, alg) == NULL &&
				    used < sizeof(list)) {
					used += (size_t)snprintf(
						list + used,
						sizeof(list) - used, ",%s", alg);
				}
			}
		}
		if (used < sizeof(list)) {
			ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, list);
		}
	}
	knownhosts_verdict_release(&v);
	strvec_clear(&files);
	where_release(&w);
}

/* "ED25519" for "ssh-ed25519", as ssh names key types to people. */
static const char *type_word(const char *type)
{
	if (strcmp(type, "ssh-ed25519") == 0) {
		return "ED25519";
	}
	if (strncmp(type, "ecdsa-", 6) == 0) {
		return "ECDSA";
	}
	if (strcmp(type, "ssh-rsa") == 0) {
		return "RSA";
	}
	return type;
}

/* "ed25519" for ssh-keyscan's -t. */
static const char *keyscan_type(const char *type)
{
	if (strcmp(type, "ssh-ed25519") == 0) {
		return "ed25519";
	}
	if (strncmp(type, "ecdsa-", 6) == 0) {
		return "ecdsa";
	}
	return "rsa";
}

/* Appends the key's line to file (made with its folder if missing). */
static int add_key(const char *file, const char *name, const char *type,
		   const char *b64, int hashed, char *why, size_t whylen)
{
	unsigned char salt[20];
	char *line;
	char *dir = strdup(file);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	int fd;
	ssize_t put;
	int rc = -1;

	if (hashed && getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt)) {
		snprintf(why, whylen, "host key unknown and not added: no "
			 "random salt for its hashed name");
		free(dir);
		return -1;
	}
	line = knownhosts_line(name, type, b64, hashed ? salt : NULL);
	if (line == NULL) {
		snprintf(why, whylen, "out of memory");
		free(dir);
		return -1;
	}
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700);
	}
	pthread_mutex_lock(&known_hosts_lock);
	fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		put = write(fd, line, strlen(line));
		rc = put == (ssize_t)strlen(line) && close(fd) == 0 ? 0 : -1;
		if (put != (ssize_t)strlen(line)) {
			close(fd);
		}
	}
	pthread_mutex_unlock(&known_hosts_lock);
	if (rc < 0) {
		snprintf(why, whylen, "host key unknown and not added to '%s': "
			 "%s", file, strerror(errno));
	}
	free(line);
	free(dir);
	return rc;
}

/* A host certificate for the session's key, from the node itself
 * (ssh-keyscan -c: libssh never asks for one), judged; -1 with why. */
static int check_certificate(const struct hostkey_target *t,
			     const struct where *w, const char *type,
			     const char *b64,
			     const struct knownhosts_verdict *v, char *why,
			     size_t whylen)
{
	char *prog = spawn_find_program("ssh-keyscan");
	char timeout[24];
	char port[16];
	char *argv[11];
	struct spawn_result res;
	struct sshcert_host h;
	char spawn_why[256];
	char first_why[600] = "";
	const char *p;
	int rc = -1;

	if (t->g->proxy_command != NULL || t->g->proxy_jump != NULL) {
		snprintf(why, whylen, "host certificate: known_hosts trusts a "
			 "CA for '%s', and its certificate cannot be fetched "
			 "through a ProxyCommand or ProxyJump (ssh-keyscan "
			 "connects directly)", w->name);
		free(prog);
		return -1;
	}
	if (prog == NULL) {
		snprintf(why, whylen, "host certificate: known_hosts trusts a "
			 "CA for '%s', and ssh-keyscan (OpenSSH's client "
			 "tools), which fetches it, is not installed", w->name);
		return -1;
	}
	snprintf(timeout, sizeof(timeout), "%ld", t->timeout > 0 ? t->timeout : 5);
	snprintf(port, sizeof(port), "%d", w->port ? w->port : 22);
	argv[0] = "ssh-keyscan";
	argv[1] = "-c";
	argv[2] = "-T";
	argv[3] = timeout;
	argv[4] = "-p";
	argv[5] = port;
	argv[6] = "-t";
	argv[7] = (char *)keyscan_type(type);
	argv[8] = "--";
	argv[9] = (char *)w->host;
	argv[10] = NULL;
	if (spawn_run_watch(prog, argv, &res, NULL, NULL, t->timeout + 2,
			    spawn_why, sizeof(spawn_why)) < 0) {
		snprintf(why, whylen, "host certificate: ssh-keyscan: %s",
			 spawn_why);
		free(prog);
		return -1;
	}
	h.principal = w->principal;
	h.now = (unsigned long long)time(NULL);
	h.key_type = type;
	h.key_b64 = b64;
	h.cas = &v->cas;
	h.revoked = &v->revoked_keys;
	/* certificate lines; "#" lines are its comments */
	for (p = res.output; p != NULL && *p != '\0' && rc < 0;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		char *save = NULL;
		char *f1 = line ? strtok_r(line, " \t\r", &save) : NULL;
		char *f2 = f1 ? strtok_r(NULL, " \t\r", &save) : NULL;
		char *f3 = f2 ? strtok_r(NULL, " \t\r", &save) : NULL;

		/* ssh-keyscan -c prints "TYPE BASE64" (no host) */
		if (f2 != NULL && f1[0] != '#' &&
		    strstr(f1, "-cert-v01@openssh.com") == NULL &&
		    f3 != NULL) {
			f1 = f2;
			f2 = f3;
		}
		if (f2 != NULL && f1[0] != '#' &&
		    strstr(f1, "-cert-v01@openssh.com") != NULL) {
			char one[600];

			if (sshcert_judge(f1, f2, &h, one, sizeof(one)) == 0) {
				rc = 0;
			} else if (first_why[0] == '\0') {
				snprintf(first_why, sizeof(first_why), "%s", one);
			}
		}
		free(line);
		p = nl ? nl + 1 : NULL;
	}
	if (rc < 0) {
		if (first_why[0] != '\0') {
			snprintf(why, whylen, "%s", first_why);
		} else {
			snprintf(why, whylen, "host certificate: known_hosts "
				 "trusts a CA for '%s' (and so no key on first "
				 "use), and the node showed no certificate",
				 w->name);
		}
	}
	spawn_result_release(&res);
	free(prog);
	return rc;
}

int hostkey_check(ssh_session s, const struct hostkey_target *t, char *why,
		  size_t whylen)
{
	const struct sshg *g = t->g;
	struct knownhosts_verdict v = KNOWNHOSTS_VERDICT_INIT;
	struct strvec files = STRVEC_INIT;
	struct where w = { 0 };
	ssh_key key = NULL;
	char *b64 = NULL;
	const char *type = NULL;
	size_t user_n = 0;
	int rc = -1;

	if (g->revoked_host_keys != NULL) {
		snprintf(why, whylen, "ssh config: RevokedHostKeys is set, and "
			 "pytest-cloud cannot read a revocation list (KRL): "
			 "whether the node's key is revoked cannot be told "
			 "(list revoked keys as @revoked lines of known_hosts "
			 "instead)");
		return -1;
	}
	if (where_of(g, &w) < 0 ||
	    ssh_get_server_publickey(s, &key) != SSH_OK ||
	    ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK ||
	    (type = ssh_key_type_to_char(ssh_key_type(key))) == NULL) {
		snprintf(why, whylen, "host key check: %s", ssh_get_error(s));
		goto out;
	}
	if (known_files(g, &files, &user_n, why, whylen) < 0 ||
	    judge_files(&files, w.name, type, b64, &v, why, whylen) < 0) {
		goto out;
	}
	if (v.revoked) {
		snprintf(why, whylen, "host key revoked: %s marks the node's "
			 "key @revoked (not connecting through it)",
			 v.revoked_where);
		goto out;
	}
	if (v.match) {
		rc = 0;
		goto out;
	}
	if (v.cas.n > 0) {
		rc = check_certificate(t, &w, type, b64, &v, why, whylen);
		goto out;
	}
	if (v.other) {
		snprintf(why, whylen, "host key changed: the node's %s key is "
			 "not the one %s lists for '%s' (not connecting "
			 "through it)", type_word(type), v.other_where, w.name);
		goto out;
	}
	/* anything but an explicit accept-new or no is strict */
	if (g->policy != POLICY_ACCEPT_NEW && g->policy != POLICY_NO) {
		snprintf(why, whylen, "host key unknown: no known_hosts file "
			 "lists '%s' (StrictHostKeyChecking accept-new would "
			 "add it)", w.name);
		goto out;
	}
	if (user_n == 0) {
		snprintf(why, whylen, "host key unknown: UserKnownHostsFile is "
			 "none, so there is nowhere to add '%s'", w.name);
		goto out;
	}
	if (t->dry_run) {
		infof("--dry-run: would add '%s' (%s) to '%s'; nothing added",
		      w.name, type_word(type), files.v[0]);
		rc = 0;
		goto out;
	}
	if (add_key(files.v[0], w.name, type, b64, g->hash_known_hosts == 1,
		    why, whylen) == 0) {
		infof("Permanently added '%s' (%s) to the list of known hosts "
		      "('%s')", w.name, type_word(type), files.v[0]);
		rc = 0;
	}
out:
	if (rc == 0 && t->judged != NULL &&
	    asprintf(t->judged, "%s %s", type, b64) < 0) {
		*t->judged = NULL;
		snprintf(why, whylen, "host key check: out of memory");
		rc = -1;
	}
	knownhosts_verdict_release(&v);
	strvec_clear(&files);
	where_release(&w);
	ssh_string_free_char(b64);
	ssh_key_free(key);
	return rc;
}
