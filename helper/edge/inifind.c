/* inifind: the config file on disk (see inifind.h). */
#define _GNU_SOURCE
#include "inifind.h"

#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "files.h"
#include "msgs.h"
#include "strvec.h"

/* Reads a whole file into a NUL-terminated buffer; NULL with err. */
static int find_load_kind(const char *path, struct ini_entries *out, char *err,
		     size_t errlen)
{
	size_t len = 0;
	char *text = files_read(path, INIFILE_MAX_BYTES, FILES_TEXT, &len, err, errlen);
	int rc;

	if (text == NULL) {
		return -1;
	}
	rc = inifile_parse_kind(text, len, path, out, err, errlen);
	free(text);
	return rc;
}

int inifind_load(const char *path, struct ini_entries *out, char *err,
		 size_t errlen)
{
	int rc = find_load_kind(path, out, err, errlen);

	return rc > 0 ? 1 : rc;
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Calls back with each of dir and its parents, nearest first, until the
 * callback returns non-zero; returns that value, or 0. */
static int walk_up(const char *startdir, int (*fn)(const char *, void *),
		   void *arg)
{
	char *dir = strdup(startdir);
	int rc = 0;

	if (dir == NULL) {
		return -1;
	}
	for (;;) {
		char *slash;

		rc = fn(dir[0] ? dir : "/", arg);
		if (rc != 0 || dir[0] == '\0' || strcmp(dir, "/") == 0) {
			break;
		}
		slash = strrchr(dir, '/');
		if (slash == NULL) {
			break;
		}
		*slash = '\0';
	}
	free(dir);
	return rc;
}

struct find_state {
	char **path;
	char *first_pyproject; /* the nearest pyproject.toml, config or not */
	enum inifile_rule rule;
	char *err;
	size_t errlen;
};

static int find_in_dir(const char *dir, void *arg)
{
	static const char *names[] = { "pytest.toml", ".pytest.toml",
				       "pytest.ini",  ".pytest.ini",
				       "pyproject.toml", "tox.ini",
				       "setup.cfg" };
	struct find_state *st = arg;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct ini_entries e = { NULL, 0, 0 };
		char *cand = NULL;
		int rc;

		if (asprintf(&cand, "%s/%s", strcmp(dir, "/") ? dir : "",
			     names[i]) < 0) {
			snprintf(st->err, st->errlen, "out of memory");
			return -1;
		}
		if (!is_file(cand)) {
			free(cand);
			continue;
		}
		if (strcmp(names[i], "pyproject.toml") == 0 &&
		    st->first_pyproject == NULL) {
			st->first_pyproject = strdup(cand);
		}
		rc = find_load_kind(cand, &e, st->err, st->errlen);
		inifile_entries_release(&e);
		if (rc != 0) {
			if (rc > 0) {
				*st->path = cand;
				st->rule = rc == 2 ? RULE_PYTEST9 : RULE_SAME;
			} else {
				free(cand);
			}
			return rc < 0 ? -1 : 1;
		}
		free(cand);
	}
	return 0;
}

int inifind_find(const char *startdir, char **path, enum inifile_rule *rule,
		 char *err, size_t errlen)
{
	struct find_state st = { path, NULL, RULE_SAME, err, errlen };
	int rc;

	*path = NULL;
	rc = walk_up(startdir, find_in_dir, &st);
	if (rc == 0 && st.first_pyproject != NULL) {
		/* no config anywhere up: a pyproject.toml is one (8.1) */
		*path = st.first_pyproject;
		st.first_pyproject = NULL;
		st.rule = RULE_PYTEST81_PYPROJECT;
		rc = 1;
	}
	free(st.first_pyproject);
	*rule = st.rule;
	return rc;
}

static int has_setup_py(const char *dir, void *arg)
{
	char **found = arg;
	char *cand = NULL;
	int rc = 0;

	if (asprintf(&cand, "%s/setup.py", strcmp(dir, "/") ? dir : "") < 0) {
		return -1;
	}
	if (is_file(cand)) {
		*found = strdup(dir);
		rc = *found ? 1 : -1;
	}
	free(cand);
	return rc;
}

char *inifind_rootdir(const char *startdir)
{
	char *found = NULL;

	if (walk_up(startdir, has_setup_py, &found) < 0) {
		free(found);
		return NULL;
	}
	return found ? found : strdup(startdir);
}

int inifind_apply(struct cloud_config *cfg, const char *path, char *err,
		  size_t errlen)
{
	struct ini_entries e = { NULL, 0, 0 };
	char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	int rc;

	if (dir == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (slash != NULL) {
		*slash = '\0';
	}
	rc = inifind_load(path, &e, err, errlen);
	if (rc > 0) {
		struct strvec warnings;
		size_t i;

		strvec_init(&warnings);
		rc = inifile_apply_entries(cfg, &e, path,
					   slash ? (dir[0] ? dir : "/") : NULL,
					   &warnings, err, errlen);
		for (i = 0; i < warnings.n; i++) {
			warnf("%s", warnings.v[i]);
		}
		strvec_clear(&warnings);
	}
	inifile_entries_release(&e);
	free(dir);
	return rc < 0 ? -1 : 0;
}

/* The folder of path ("/" for a file at the root), newly allocated. */
static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL || slash == path) {
		return strdup("/");
	}
	return strndup(path, (size_t)(slash - path));
}

/* given made absolute with its folder's real path (the file itself need
 * not exist); NULL with err. */
static char *real_given(const char *cwd, const char *given, char *err,
			size_t errlen)
{
	char *full = NULL;
	char *dir = NULL;
	char *real = NULL;
	char *out = NULL;
	const char *base;

	if (asprintf(&full, "%s%s%s", given[0] == '/' ? "" : cwd,
		     given[0] == '/' ? "" : "/", given) < 0) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	base = strrchr(full, '/') + 1;
	dir = folder_of(full);
	real = dir ? realpath(dir, NULL) : NULL;
	if (real == NULL || base[0] == '\0') {
		snprintf(err, errlen, "'%s': %s", given,
			 real == NULL ? strerror(errno) : "not a file name");
	} else if (asprintf(&out, "%s/%s", strcmp(real, "/") ? real : "",
			    base) < 0) {
		out = NULL;
		snprintf(err, errlen, "out of memory");
	}
	free(full);
	free(dir);
	free(real);
	return out;
}

int inifind_locate(const char *given, int none, char **ini, char **rootdir,
		   enum inifile_rule *rule, char *err, size_t errlen)
{
	char cwd[PATH_MAX];

	*ini = NULL;
	*rootdir = NULL;
	*rule = RULE_SAME;
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(err, errlen, "current folder: %s", strerror(errno));
		return -1;
	}
	if (none) {
		/* pytest found none (--no-inifile): no search */
	} else if (given != NULL) {
		*ini = real_given(cwd, given, err, errlen);
		if (*ini == NULL) {
			return -1;
		}
	} else if (inifind_find(cwd, ini, rule, err, errlen) < 0) {
		return -1;
	}
	*rootdir = *ini ? folder_of(*ini) : inifind_rootdir(cwd);
	if (*rootdir == NULL) {
		free(*ini);
		*ini = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
