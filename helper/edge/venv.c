/* venv: the project's virtualenv as this machine knows it (see venv.h). */
#define _GNU_SOURCE
#include "venv.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "elf.h"
#include "files.h"

/* The largest interpreter executable read for its RUNPATH. */
#define EXE_MAX_BYTES (64u << 20)

/* Names in dir/bin starting "python" whose link leaves bin; the first
 * one's target, absolute, in *exe. */
static int outside_links(const char *bin, struct interp_base *b)
{
	DIR *d = opendir(bin);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		char target[PATH_MAX];
		ssize_t n;

		if (strncmp(e->d_name, "python", 6) != 0 ||
		    snprintf(path, sizeof(path), "%s/%s", bin, e->d_name) >=
			    (int)sizeof(path)) {
			continue;
		}
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0) {
			continue;
		}
		target[n] = '\0';
		if (strchr(target, '/') == NULL) {
			continue; /* python -> python3.12: inside bin */
		}
		rc |= strvec_push(&b->links, e->d_name);
		if (b->exe == NULL) {
			if (target[0] == '/') {
				b->exe = strdup(target);
			} else if (asprintf(&b->exe, "%s/%s", bin, target) < 0) {
				b->exe = NULL;
			}
			rc |= b->exe == NULL;
		}
	}
	closedir(d);
	return rc ? -1 : 0;
}

/* The prefix of real ("/p/bin/python3.12" -> "/p") when it is a prefix
 * of its own: it holds lib/pythonX.Y/os.py and is not the system's. */
static char *own_prefix(const char *real, const char *minor)
{
	char *prefix = strdup(real);
	char *slash;
	char *landmark = NULL;
	struct stat st;
	int i;

	for (i = 0; prefix != NULL && i < 2; i++) {
		slash = strrchr(prefix, '/');
		if (slash == NULL) {
			free(prefix);
			return NULL;
		}
		*slash = '\0';
	}
	if (prefix == NULL || prefix[0] == '\0' ||
	    strcmp(prefix, "/usr") == 0 || strcmp(prefix, "/usr/local") == 0 ||
	    asprintf(&landmark, "%s/lib/python%s/os.py", prefix, minor) < 0 ||
	    stat(landmark, &st) < 0) {
		free(prefix);
		prefix = NULL;
	}
	free(landmark);
	return prefix;
}

/* Whether the interpreter at real runs from another path: none of its
 * RUNPATH entries is an absolute path into prefix. */
static int relocatable(const char *real, const char *prefix)
{
	char err[300];
	char runpath[4096];
	size_t size = 0;
	char *data = files_read(real, EXE_MAX_BYTES, 0, &size, err,
				sizeof(err));
	char *p;
	size_t pl = strlen(prefix);
	int ok = 0;

	if (data == NULL ||
	    elf_runpath((const unsigned char *)data, size, runpath,
			sizeof(runpath)) < 0) {
		free(data);
		return 0; /* not an ELF file this reads: do not assume */
	}
	ok = 1;
	for (p = strtok(runpath, ":"); p != NULL; p = strtok(NULL, ":")) {
		if (strncmp(p, prefix, pl) == 0 &&
		    (p[pl] == '/' || p[pl] == '\0')) {
			ok = 0;
		}
	}
	free(data);
	return ok;
}

static int found_ext;

static int look_for_ext(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	size_t n = strlen(path);

	(void)st;
	(void)ftw;
	if (flag == FTW_F && n > 3 && strcmp(path + n - 3, ".so") == 0) {
		found_ext = 1;
		return 1;
	}
	return 0;
}

/* The deepest folder the manifest's walk enters. */
#define WALK_DEPTH 64

/*
 * Adds to m each entry under root/rel (rel: "" or "lib/x", its length
 * used) that the interpreter's copy takes (interp_copy_skips), without
 * following links, as rsync sends them; rel is a buffer of size cap.
 */
static void manifest_walk(const char *root, char *rel, size_t used,
			  size_t cap, const struct interp_base *b,
			  struct interp_manifest *m, int depth)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *e;

	if (depth > WALK_DEPTH ||
	    snprintf(path, sizeof(path), "%s%s%s", root, used ? "/" : "",
		     rel) >= (int)sizeof(path)) {
		return;
	}
	d = opendir(path);
	if (d == NULL) {
		return;
	}
	while ((e = readdir(d)) != NULL) {
		char full[PATH_MAX];
		char target[PATH_MAX];
		struct stat st;
		size_t n = strlen(e->d_name);
		char type;
		ssize_t tl;

		if (strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 ||
		    used + n + 2 > cap ||
		    snprintf(full, sizeof(full), "%s/%s", path, e->d_name) >=
			    (int)sizeof(full) ||
		    lstat(full, &st) < 0) {
			continue;
		}
		snprintf(rel + used, cap - used, "%s%s", used ? "/" : "",
			 e->d_name);
		type = S_ISDIR(st.st_mode) ? 'd'
		       : S_ISREG(st.st_mode) ? 'f'
		       : S_ISLNK(st.st_mode) ? 'l'
					     : 'o';
		if (!interp_copy_skips(b, rel, type == 'd')) {
			tl = type == 'l' ? readlink(full, target,
						    sizeof(target) - 1)
					 : -1;
			if (tl >= 0) {
				target[tl] = '\0';
			}
			interp_manifest_add(m, rel, type, (long long)st.st_size,
					    (long long)st.st_mtime,
					    (unsigned)(st.st_mode & 07777),
					    tl >= 0 ? target : NULL);
			if (type == 'd') {
				manifest_walk(root, rel, strlen(rel), cap, b, m,
					      depth + 1);
			}
		}
		rel[used] = '\0';
	}
	closedir(d);
}

/* The copy's manifest (interp.h) and its name in the nodes' cache. */
static void cache_id(struct interp_base *b)
{
	struct interp_manifest m = { 0, 0 };
	char rel[PATH_MAX] = "";

	if (b->prefix != NULL) {
		manifest_walk(b->prefix, rel, 0, sizeof(rel), b, &m, 0);
	}
	interp_manifest_finish(&m, b);
}

static void this_machine(struct interp_base *b)
{
	struct utsname u;
	char libc[64] = "";
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (uname(&u) == 0) {
		snprintf(b->arch, sizeof(b->arch), "%.31s", u.machine);
	}
	if (confstr(_CS_GNU_LIBC_VERSION, libc, sizeof(libc)) > 0) {
		snprintf(b->libc, sizeof(b->libc), "%s", libc);
	}
	if (home == NULL || home[0] != '/') {
		pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (home != NULL) {
		char real[PATH_MAX];

		b->home = strdup(realpath(home, real) ? real : home);
	}
}

int venv_inspect(const struct cloud_config *cfg, struct interp_base *b,
		 char *why, size_t len)
{
	char *venv = NULL;
	char *path = NULL;
	char err[600];
	char real[PATH_MAX];
	int rc = 1;

	memset(b, 0, sizeof(*b));
	strvec_init(&b->links);
	if (asprintf(&venv, "%s/%s", cfg->rootdir, cfg->venv_rel) < 0 ||
	    asprintf(&path, "%s/pyvenv.cfg", venv) < 0) {
		rc = -1;
		goto out;
	}
	b->cfg_text = files_read(path, 64 * 1024, FILES_TEXT, NULL, err,
				 sizeof(err));
	if (b->cfg_text == NULL) {
		snprintf(why, len, "%s", err);
		goto out;
	}
	if (interp_parse_cfg(b->cfg_text, b, err, sizeof(err)) < 0) {
		snprintf(why, len, "%s: %s", path, err);
		goto out;
	}
	free(path);
	path = NULL;
	if (asprintf(&path, "%s/bin", venv) < 0 ||
	    outside_links(path, b) < 0) {
		rc = -1;
		goto out;
	}
	if (b->exe == NULL) {
		snprintf(why, len, "%s: no python in it links to its base "
			 "interpreter", path);
		goto out;
	}
	b->real = strdup(realpath(b->exe, real) ? real : b->exe);
	this_machine(b);
	if (b->real == NULL) {
		rc = -1;
		goto out;
	}
	b->prefix = own_prefix(b->real, b->minor);
	b->relocatable = b->prefix != NULL && relocatable(b->real, b->prefix);
	free(path);
	path = NULL;
	if (asprintf(&path, "%s/lib/python%s/site-packages", venv,
		     b->minor) >= 0) {
		found_ext = 0;
		nftw(path, look_for_ext, 16, FTW_PHYS);
		b->has_ext = found_ext;
	}
	cache_id(b);
	rc = 0;
out:
	free(venv);
	free(path);
	if (rc != 0) {
		interp_base_release(b);
	}
	return rc;
}
