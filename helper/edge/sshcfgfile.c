/* sshcfgfile: the ssh config files on disk, with their Includes (see
 * sshcfgfile.h). */
#define _GNU_SOURCE
#include "sshcfgfile.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"

#define SSHCFG_MAX_BYTES (16u << 20)
#define SSHCFG_MAX_DEPTH 8

struct include_ctx {
	int depth;
};

static enum host_key_policy policy_of(const char *path, const char *host,
				      struct include_ctx *ctx);

/* Include arguments: globs, relative to ~/.ssh. */
static enum host_key_policy include_files(const char *value,
					  const char *host, void *arg)
{
	struct include_ctx *ctx = arg;
	const char *home = getenv("HOME");
	char *copy = strdup(value);
	char *save = NULL;
	char *word;
	enum host_key_policy found = POLICY_UNSET;

	if (copy == NULL || ctx->depth >= SSHCFG_MAX_DEPTH) {
		free(copy);
		return POLICY_UNSET;
	}
	for (word = strtok_r(copy, " \t", &save);
	     word != NULL && found == POLICY_UNSET;
	     word = strtok_r(NULL, " \t", &save)) {
		char *pattern = NULL;
		glob_t g;
		size_t i;

		if (word[0] == '~' && word[1] == '/' && home != NULL) {
			if (asprintf(&pattern, "%s%s", home, word + 1) < 0) {
				pattern = NULL;
			}
		} else if (word[0] != '/' && home != NULL) {
			if (asprintf(&pattern, "%s/.ssh/%s", home, word) < 0) {
				pattern = NULL;
			}
		} else {
			pattern = strdup(word);
		}
		if (pattern == NULL) {
			break;
		}
		if (glob(pattern, 0, NULL, &g) == 0) {
			ctx->depth++;
			for (i = 0; i < g.gl_pathc && found == POLICY_UNSET;
			     i++) {
				found = policy_of(g.gl_pathv[i], host, ctx);
			}
			ctx->depth--;
			globfree(&g);
		}
		free(pattern);
	}
	free(copy);
	return found;
}

/* The policy the file at path gives; one that cannot be read (or is
 * larger than any config) gives none, and ssh's strict default holds. */
static enum host_key_policy policy_of(const char *path, const char *host,
				      struct include_ctx *ctx)
{
	char err[300];
	char *text = files_read(path, SSHCFG_MAX_BYTES, 0, NULL, err,
				sizeof(err));
	enum host_key_policy found = POLICY_UNSET;

	if (text != NULL) {
		found = sshcfg_policy(text, host, include_files, ctx);
		free(text);
	}
	return found;
}

enum host_key_policy sshcfg_policy_file(const char *path, const char *host)
{
	struct include_ctx ctx = { 0 };
	enum host_key_policy found = POLICY_UNSET;
	const char *home = getenv("HOME");
	char *user = NULL;

	if (path != NULL) {
		found = policy_of(path, host, &ctx);
	} else {
		if (home != NULL && asprintf(&user, "%s/.ssh/config", home) >= 0) {
			found = policy_of(user, host, &ctx);
			free(user);
		}
		if (found == POLICY_UNSET) {
			found = policy_of("/etc/ssh/ssh_config", host, &ctx);
		}
	}
	return found == POLICY_UNSET ? POLICY_STRICT : found;
}
