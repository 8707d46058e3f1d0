/* copylist: what the copy sends and what it leaves out, said before it
 * runs (see copylist.h). */
#define _GNU_SOURCE
#include "copylist.h"
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "copyset.h"
#include "files.h"
#include "inifile.h"
#include "msgs.h"
#include "rsyncargs.h"
#include "spawn.h"

/* Whether path (relative to the root) is named by cloud_rsync_include,
 * or lies under or above a path it names. */
static int included(const struct cloud_config *cfg, const char *path)
{
	size_t i;
	size_t len = strlen(path);

	for (i = 0; i < cfg->rsyncinclude.n; i++) {
		const char *p = cfg->rsyncinclude.v[i];
		size_t plen = strlen(p);

		if (strcmp(p, path) == 0 ||
		    (plen < len && strncmp(p, path, plen) == 0 &&
		     path[plen] == '/') ||
		    (len < plen && strncmp(p, path, len) == 0 &&
		     p[len] == '/')) {
			return 1;
		}
	}
	return 0;
}

/* Whether path (relative to the root) is name or lies under it. */
static int included_top(const char *path, const char *name)
{
	size_t len = strlen(name);

	return strncmp(path, name, len) == 0 &&
	       (path[len] == '\0' || path[len] == '/');
}

static int root_has(const struct cloud_config *cfg, const char *name)
{
	char *path = NULL;
	struct stat st;
	int has;

	if (asprintf(&path, "%s/%s", cfg->rootdir, name) < 0) {
		return 0;
	}
	has = lstat(path, &st) == 0;
	free(path);
	return has;
}

/* The versioning tool of a develop egg's build config, or NULL. */
static const char *egg_vcs_tool(const struct cloud_config *cfg,
				const char *egg)
{
	static const char *const files[] = { "pyproject.toml", "setup.cfg",
					     "setup.py" };
	const char *tool = NULL;
	size_t i;

	for (i = 0; tool == NULL && i < sizeof(files) / sizeof(files[0]);
	     i++) {
		char err[256];
		char *path = NULL;
		char *text = NULL;
		size_t len;

		if (asprintf(&path, "%s/%s/%s", cfg->rootdir, egg, files[i]) <
		    0) {
			return NULL;
		}
		text = files_read(path, INIFILE_MAX_BYTES, FILES_TEXT, &len,
				  err, sizeof(err));
		tool = copyset_vcs_tool(text);
		free(text);
		free(path);
	}
	return tool;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int copy_decide(struct cloud_config *cfg)
{
	DIR *d;
	struct dirent *e;
	struct strvec secret = STRVEC_INIT;
	size_t i;
	int rc = 0;

	if (root_has(cfg, ".git") && !included(cfg, ".git")) {
		for (i = 0; i < cfg->develop_eggs.n; i++) {
			const char *tool =
				egg_vcs_tool(cfg, cfg->develop_eggs.v[i]);

			if (tool == NULL) {
				continue;
			}
			if (asprintf(&cfg->git_needed_by,
				     "develop egg '%s' takes its version from "
				     "git (%s)",
				     cfg->develop_eggs.v[i], tool) < 0) {
				cfg->git_needed_by = NULL;
				return -1;
			}
			infof("'.git' is copied: %s", cfg->git_needed_by);
			break;
		}
	}
	d = opendir(cfg->rootdir);
	if (d == NULL) {
		return 0;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (copyset_is_secret(copyset_default_for(e->d_name)) &&
		    !included(cfg, e->d_name) &&
		    !(cfg->venv_rel != NULL &&
		      included_top(cfg->venv_rel, e->d_name))) {
			rc = strvec_push(&secret, e->d_name);
		}
	}
	closedir(d);
	if (secret.n > 1) {
		qsort(secret.v, secret.n, sizeof(secret.v[0]), by_name);
	}
	for (i = 0; rc == 0 && i < secret.n; i++) {
		infof("not copied: '%s' (" COPYSET_SECRET "; "
		      "cloud_rsync_include = %s copies it)", secret.v[i],
		      secret.v[i]);
	}
	strvec_clear(&secret);
	return rc;
}

/* nftw's walk of a folder left out: its files and bytes. */
static long long walk_files;
static long long walk_bytes;

static int count(const char *path, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F || flag == FTW_SL) {
		walk_files++;
		walk_bytes += st->st_size;
	}
	return 0;
}

/* The top-level entries a default leaves out, sized. */
static int left_out(const struct cloud_config *cfg, struct copyset_list *l)
{
	DIR *d = opendir(cfg->rootdir);
	struct dirent *e;
	int rc = 0;

	if (d == NULL) {
		return 0;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char *path = NULL;
		struct stat st;

		if (copyset_default_for(e->d_name) == NULL ||
		    included(cfg, e->d_name) ||
		    (cfg->venv_rel != NULL && included_top(cfg->venv_rel,
							   e->d_name)) ||
		    (cfg->git_needed_by != NULL &&
		     strcmp(e->d_name, ".git") == 0) ||
		    asprintf(&path, "%s/%s", cfg->rootdir, e->d_name) < 0) {
			continue;
		}
		walk_files = 0;
		walk_bytes = 0;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			nftw(path, count, 16, FTW_PHYS);
			rc = copyset_list_add(l, e->d_name, 1, walk_files,
					      walk_bytes);
		} else if (lstat(path, &st) == 0) {
			rc = copyset_list_add(l, e->d_name, 0, 1, st.st_size);
		}
		free(path);
	}
	closedir(d);
	copyset_list_sort(l);
	return rc;
}

/* rsync's listing, read a line at a time as it comes. */
struct reader {
	struct copyset_list *l;
	char part[8192];
	size_t used;
	int failed;
};

static void feed(const char *data, size_t len, void *arg)
{
	struct reader *rd = arg;
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (rd->used + 1 < sizeof(rd->part)) {
				rd->part[rd->used++] = data[i];
			}
			continue;
		}
		if (copyset_list_line(rd->l, rd->part, rd->used) < 0) {
			rd->failed = 1;
		}
		rd->used = 0;
	}
}

int copy_list(const struct cloud_config *cfg, struct copyset_list *copied,
	      struct copyset_list *left)
{
	struct strvec argv = STRVEC_INIT;
	struct spawn_result res;
	struct reader rd;
	char why[256];
	char *rsync = spawn_find_program("rsync");
	int rc = -1;

	memset(copied, 0, sizeof(*copied));
	memset(left, 0, sizeof(*left));
	memset(&rd, 0, sizeof(rd));
	rd.l = copied;
	if (rsync == NULL) {
		warnf("rsync is not installed here: what the copy would send "
		      "is not listed");
		return -1;
	}
	if (rsync_build_list_argv(cfg, &argv) < 0) {
		goto out;
	}
	if (spawn_run_watch(rsync, argv.v, &res, feed, &rd, 0, why,
			    sizeof(why)) < 0) {
		warnf("listing what the copy would send: %s", why);
		goto out;
	}
	if (!res.exited || res.code != 0) {
		spawn_describe(&res, why, sizeof(why));
		warnf("listing what the copy would send: rsync %s", why);
	}
	spawn_result_release(&res);
	copyset_list_sort(copied);
	rc = rd.failed || left_out(cfg, left) < 0 ? -1 : 0;
out:
	strvec_clear(&argv);
	free(rsync);
	return rc;
}

void copy_say(const struct copyset_list *copied,
	      const struct copyset_list *left)
{
	char size[32];
	size_t i;

	copyset_size_text(copied->bytes, size, sizeof(size));
	infof("--dry-run: the copy would send %lld files, %s:", copied->files,
	      size);
	for (i = 0; i < copied->n; i++) {
		const struct copyset_entry *e = &copied->v[i];

		copyset_size_text(e->bytes, size, sizeof(size));
		infof("  %-28s %9lld file%s %10s", e->name, e->files,
		      e->files == 1 ? " " : "s", size);
	}
	for (i = 0; i < left->n; i++) {
		const struct copyset_entry *e = &left->v[i];
		const struct copyset_default *d = copyset_default_for(e->name);

		copyset_size_text(e->bytes, size, sizeof(size));
		infof("  %-28s %9lld file%s %10s  left out: %s "
		      "(cloud_rsync_include = %s copies it)",
		      e->name, e->files, e->files == 1 ? " " : "s", size,
		      d ? d->why : "by default", e->name);
	}
}
