/* sshcfgfile: the ssh config files on disk, with their Includes (see
 * sshcfgfile.h). */
#define _GNU_SOURCE
#include "sshcfgfile.h"

#include <glob.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"

#define SSHCFG_MAX_BYTES (16u << 20)
#define SSHCFG_MAX_DEPTH 8

struct include_ctx {
	int depth;
};

static void read_file(const char *path, const char *host,
		      struct sshcfg_settings *out, struct include_ctx *ctx);

const char *sshcfg_user_home(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw != NULL && pw->pw_dir != NULL ? pw->pw_dir : getenv("HOME");
}

/* Include arguments: globs, relative to ~/.ssh. */
static void include_files(const char *value, const char *host,
			  struct sshcfg_settings *out, void *arg)
{
	struct include_ctx *ctx = arg;
	const char *home = sshcfg_user_home();
	char *copy = strdup(value);
	char *save = NULL;
	char *word;

	if (copy == NULL || ctx->depth >= SSHCFG_MAX_DEPTH) {
		free(copy);
		return;
	}
	for (word = strtok_r(copy, " \t", &save); word != NULL;
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
			for (i = 0; i < g.gl_pathc; i++) {
				read_file(g.gl_pathv[i], host, out, ctx);
			}
			ctx->depth--;
			globfree(&g);
		}
		free(pattern);
	}
	free(copy);
}

/* What the file at path gives; one that cannot be read (or is larger
 * than any config) gives nothing. */
static void read_file(const char *path, const char *host,
		      struct sshcfg_settings *out, struct include_ctx *ctx)
{
	char err[300];
	char *text = files_read(path, SSHCFG_MAX_BYTES, 0, NULL, err,
				sizeof(err));

	if (text != NULL) {
		sshcfg_read(text, host, include_files, ctx, out);
		free(text);
	}
}

/* The login running ssh, for Match's user and localuser; newly
 * allocated, or NULL. */
static char *local_user(void)
{
	struct passwd pw;
	struct passwd *got = NULL;
	char buf[4096];

	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &got) != 0 ||
	    got == NULL || got->pw_name == NULL) {
		return NULL;
	}
	return strdup(got->pw_name);
}

int sshcfg_settings_file(const char *path, const char *host,
			 const char *user_given, struct sshcfg_settings *out)
{
	struct include_ctx ctx = { 0 };
	const char *home = sshcfg_user_home();
	char *user = NULL;

	out->local_user = local_user();
	if (user_given != NULL && (out->user = strdup(user_given)) == NULL) {
		return -1;
	}

	if (path != NULL) {
		read_file(path, host, out, &ctx);
		return 0;
	}
	if (home != NULL && asprintf(&user, "%s/.ssh/config", home) >= 0) {
		read_file(user, host, out, &ctx);
		free(user);
	}
	read_file("/etc/ssh/ssh_config", host, out, &ctx);
	return 0;
}
