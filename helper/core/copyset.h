/*
 * copyset: what of the project goes to the nodes (pure).
 *
 * Everything under the project root is copied but what is left out by
 * default, and what the user leaves out (cloud_rsync_ignore) or does not
 * list (cloud_rsync_dirs).  Left out by default, each for a reason a
 * user can read (copyset_defaults):
 *
 *   .git .hg .svn       version control history: the tests run on the
 *                       files, and the history is often most of a first
 *                       copy (it goes when a develop egg takes its
 *                       version from git: copyset_vcs_tool)
 *   .tox .nox           other tools' virtualenvs (the workers use the
 *                       run's own; one of them when it is that one)
 *   .mypy_cache .ruff_cache .coverage .coverage.*   this machine's caches
 *                       and coverage data
 *   .env .env.*         may hold credentials: never sent unasked; nor
 *                       the other files and folders that exist to hold
 *                       secrets: .envrc .netrc .pypirc .npmrc
 *                       .git-credentials .pgpass .my.cnf .s3cfg .boto
 *                       .dockercfg .vault-token, .aws .ssh .gnupg .kube
 *                       .azure (a .docker folder goes: projects keep
 *                       Dockerfiles there, Docker its logins in the home)
 *
 * and always: __pycache__, *.pyc, .pytest_cache (the controller's cache
 * is given to the workers another way).  cloud_rsync_include names paths
 * copied anyway (.git for tests that run git, .env for tests that read
 * it).
 */
#ifndef PYTEST_CLOUD_COPYSET_H
#define PYTEST_CLOUD_COPYSET_H

#include <stddef.h>

#include "config.h"
#include "strvec.h"

struct copyset_default {
	const char *pattern; /* rsync's, unanchored: any level */
	const char *why;     /* "version control history" */
};

/* The why of the entries that may hold credentials (each is said when
 * it stays behind, copylist.h). */
#define COPYSET_SECRET "may hold credentials"

/* Whether d is one of those (NULL: no). */
int copyset_is_secret(const struct copyset_default *d);

/* The entries left out by default; *n receives their number. */
const struct copyset_default *copyset_defaults(size_t *n);

/* The default entry that name (a file or folder name) matches, or
 * NULL. */
const struct copyset_default *copyset_default_for(const char *name);

/*
 * Appends rsync's filter rules for the project copy, after the rules
 * every copy starts with (caches, CHDIR's marker, kept paths): first
 * what is copied anyway (cloud_rsync_include; the virtualenv when it lies
 * in a folder left out by default, with that folder's other entries left
 * out; .git when git_needed), then the defaults, then cloud_rsync_ignore
 * and cloud_rsync_dirs.  Returns 0, or -1 when out of memory.
 */
int copyset_filters(const struct cloud_config *cfg, int git_needed,
		    struct strvec *out);

/*
 * The versioning tool a package's build config takes its version from
 * version control with (setuptools-scm, hatch-vcs, versioningit, pbr,
 * dunamai, poetry-dynamic-versioning, setuptools-git-versioning), found
 * in the text of its pyproject.toml, setup.cfg or setup.py; NULL for
 * none.  Static storage.
 */
const char *copyset_vcs_tool(const char *text);

/* A top-level entry of the copy. */
struct copyset_entry {
	char *name;
	int dir;
	long long files; /* files and links under it (1 for a file) */
	long long bytes;
};

struct copyset_list {
	struct copyset_entry *v;
	size_t n;
	size_t alloc;
	long long files;
	long long bytes;
};

/*
 * Sums the output of `rsync --list-only --no-h` of the root ("PERMS SIZE
 * DATE TIME PATH" per line, folders counted by what is in them) per
 * top-level entry, sorted by bytes, largest first.  Returns 0, or -1
 * when out of memory.  Free with copyset_list_release.
 */
int copyset_parse_list(const char *output, struct copyset_list *out);

/* The same one line at a time (l zeroed first), then sorted. */
int copyset_list_line(struct copyset_list *l, const char *line, size_t len);
void copyset_list_sort(struct copyset_list *l);

/* Adds an entry of its own (a folder left out, sized by the caller).
 * Returns 0, or -1 when out of memory. */
int copyset_list_add(struct copyset_list *l, const char *name, int dir,
		     long long files, long long bytes);

void copyset_list_release(struct copyset_list *l);

/* A size for people: "812 B", "12.3 kB", "45.6 MB", "1.2 GB". */
void copyset_size_text(long long bytes, char *buf, size_t len);

#endif
