/* sshmux: the nodes' OpenSSH master connections (see sshmux.h). */
#define _GNU_SOURCE
#include "sshmux.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knownhosts.h"
#include "sshopts.h"
#include "text.h"

const char *sshmux_state_name(int state)
{
	switch (state) {
	case SSHMUX_STARTED:
		return "started";
	case SSHMUX_REUSED:
		return "reused";
	case SSHMUX_YOURS:
		return "yours";
	default:
		return NULL;
	}
}

#define FOLDER_LEAF "/pytest-cloud"

int sshmux_folder(const char *runtime_dir, unsigned long uid, char *buf,
		  size_t len)
{
	int n;

	if (runtime_dir != NULL && runtime_dir[0] == '/' &&
	    text_only(runtime_dir, "/._-") &&
	    strlen(runtime_dir) + strlen(FOLDER_LEAF) <= SSHMUX_FOLDER_MAX) {
		n = snprintf(buf, len, "%s%s", runtime_dir, FOLDER_LEAF);
	} else {
		n = snprintf(buf, len, "/tmp/pytest-cloud-%lu", uid);
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int sshmux_users(const struct sshg *g)
{
	return g->control_path != NULL;
}

char *sshmux_key_line(const struct sshg *g, const char *key)
{
	char *name = knownhosts_name(g->hostname, g->port, g->host_key_alias);
	char *line = NULL;

	if (name != NULL && asprintf(&line, "%s %s\n", name, key) < 0) {
		line = NULL;
	}
	free(name);
	return line;
}

/* Appends the space-separated words of s to out. */
static int push_words(struct strvec *out, const char *s)
{
	const char *p = s;
	size_t n;
	int rc = 0;

	while (rc == 0 && (n = text_word(&p)) > 0) {
		rc = strvec_pushf(out, "%.*s", (int)n, p);
		p += n;
	}
	return rc;
}

int sshmux_master_words(const struct cloud_config *cfg,
			const struct node_report *r, struct strvec *out)
{
	char *common = sshopts_common(cfg);
	char *pin = sshg_pin(&r->ssh);
	int rc = common == NULL || pin == NULL ? -1 : 0;

	rc |= strvec_push(out, "-N");
	rc |= strvec_push(out, "-T");
	rc |= common ? push_words(out, common) : -1;
	/* the one key the probe judged, and nothing else that could add
	 * one: CheckHostIP, SSHFP records, a KnownHostsCommand */
	rc |= push_words(out, "-o GlobalKnownHostsFile=/dev/null "
			 "-o CheckHostIP=no -o VerifyHostKeyDNS=no");
	if (r->ssh.known_hosts_command != NULL) {
		rc |= push_words(out, "-o KnownHostsCommand=none");
	}
	/* it outlives the run: no forwarding of the config goes with it */
	rc |= push_words(out, "-o ClearAllForwardings=yes "
			 "-o RemoteCommand=none");
	rc |= pin ? push_words(out, pin) : -1;
	rc |= push_words(out, "-o Compression=no -c");
	rc |= strvec_push(out, cfg->rsync_cipher);
	if (cfg->ssh_config != NULL) {
		rc |= strvec_push(out, "-F");
		rc |= strvec_push(out, cfg->ssh_config);
	}
	if (r->addr.user != NULL) {
		rc |= strvec_push(out, "-l");
		rc |= strvec_push(out, r->addr.user);
	}
	if (r->addr.port != 0) {
		rc |= strvec_pushf(out, "-p%d", r->addr.port);
	}
	rc |= strvec_push(out, "--");
	rc |= strvec_push(out, r->addr.host);
	free(common);
	free(pin);
	return rc ? -1 : 0;
}

/* The word is this run's alone (not part of a master's name). */
static int run_only(const char *word)
{
	return strncmp(word, "ConnectTimeout=", 15) == 0;
}

int sshmux_name(const struct strvec *words, const char *digest,
		const char *key, char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	size_t i;

	/* each part ends in a NUL, so that no two lists hash alike */
	ok = ok && EVP_DigestUpdate(ctx, "pytest-cloud master 1", 22);
	for (i = 0; ok && i < words->n; i++) {
		if (!run_only(words->v[i])) {
			ok = EVP_DigestUpdate(ctx, words->v[i],
					      strlen(words->v[i]) + 1);
		}
	}
	ok = ok && EVP_DigestUpdate(ctx, "digest", 7);
	ok = ok && EVP_DigestUpdate(ctx, digest ? digest : "",
				    strlen(digest ? digest : "") + 1);
	ok = ok && EVP_DigestUpdate(ctx, "key", 4);
	ok = ok && EVP_DigestUpdate(ctx, key, strlen(key) + 1);
	ok = ok && EVP_DigestFinal_ex(ctx, md, &n) && n * 2 >= SSHMUX_NAME_LEN;
	EVP_MD_CTX_free(ctx);
	for (i = 0; ok && i < SSHMUX_NAME_LEN / 2; i++) {
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	}
	return ok ? 0 : -1;
}

int sshmux_master_argv(const struct cloud_config *cfg,
		       const struct strvec *words, const char *path,
		       struct strvec *out)
{
	int rc = 0;
	size_t i;

	rc |= strvec_push(out, "ssh");
	rc |= strvec_push(out, "-o");
	rc |= strvec_push(out, "ControlMaster=yes");
	rc |= strvec_push(out, "-o");
	rc |= strvec_pushf(out, "ControlPath=%s", path);
	rc |= strvec_push(out, "-o");
	/* OpenSSH reads 0 as "for ever": 1 s after the run instead */
	rc |= strvec_pushf(out, "ControlPersist=%ld",
			   cfg->ssh_persist > 0 ? cfg->ssh_persist : 1);
	rc |= strvec_push(out, "-o");
	rc |= strvec_pushf(out, "UserKnownHostsFile=%s.key", path);
	for (i = 0; i < words->n; i++) {
		rc |= strvec_push(out, words->v[i]);
	}
	return rc ? -1 : 0;
}

char *sshmux_client_opts(const struct node_report *r)
{
	char *s = NULL;

	if (r->mux_path == NULL || (r->mux != SSHMUX_STARTED &&
				    r->mux != SSHMUX_REUSED)) {
		return strdup("");
	}
	if (asprintf(&s, "-o ControlMaster=no -o ControlPath=%s",
		     r->mux_path) < 0) {
		return NULL;
	}
	return s;
}
