/* copyset: what of the project goes to the nodes (see copyset.h). */
#define _GNU_SOURCE
#include "copyset.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adopt.h"
#include "path.h"
#include "text.h"

static const struct copyset_default defaults[] = {
	{ ".git", "version control history" },
	{ ".hg", "version control history" },
	{ ".svn", "version control history" },
	{ ".tox", "tox's virtualenvs" },
	{ ".nox", "nox's virtualenvs" },
	{ ".mypy_cache", "a cache of this machine's" },
	{ ".ruff_cache", "a cache of this machine's" },
	{ ".coverage", "coverage data of this machine's" },
	{ ".coverage.*", "coverage data of this machine's" },
	{ ".env", COPYSET_SECRET },
	{ ".env.*", COPYSET_SECRET },
	/* files that exist to hold a secret: direnv's exports, passwords
	 * for ftp/http (curl, pip), PyPI's and npm's upload tokens, git's
	 * stored passwords, PostgreSQL's and MySQL's passwords, S3 and boto
	 * keys, Docker's old registry logins, a Vault token */
	{ ".envrc", COPYSET_SECRET },
	{ ".netrc", COPYSET_SECRET },
	{ ".pypirc", COPYSET_SECRET },
	{ ".npmrc", COPYSET_SECRET },
	{ ".git-credentials", COPYSET_SECRET },
	{ ".pgpass", COPYSET_SECRET },
	{ ".my.cnf", COPYSET_SECRET },
	{ ".s3cfg", COPYSET_SECRET },
	{ ".boto", COPYSET_SECRET },
	{ ".dockercfg", COPYSET_SECRET },
	{ ".vault-token", COPYSET_SECRET },
	/* folders of keys and cloud logins */
	{ ".aws", COPYSET_SECRET },
	{ ".ssh", COPYSET_SECRET },
	{ ".gnupg", COPYSET_SECRET },
	{ ".kube", COPYSET_SECRET },
	{ ".azure", COPYSET_SECRET },
};

int copyset_is_secret(const struct copyset_default *d)
{
	return d != NULL && strcmp(d->why, COPYSET_SECRET) == 0;
}

const struct copyset_default *copyset_defaults(size_t *n)
{
	*n = sizeof(defaults) / sizeof(defaults[0]);
	return defaults;
}

const struct copyset_default *copyset_default_for(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		const char *p = defaults[i].pattern;
		size_t len = strlen(p);

		if (len > 2 && strcmp(p + len - 2, ".*") == 0) {
			/* "X.*": X, a dot, then at least one character */
			if (strncmp(name, p, len - 1) == 0 &&
			    name[len - 1] != '\0') {
				return &defaults[i];
			}
		} else if (strcmp(name, p) == 0) {
			return &defaults[i];
		}
	}
	return NULL;
}

/* --include rules for path (relative to the root) and its parents; tree:
 * everything under it too. */
static int include_path(struct strvec *out, const char *path, int tree)
{
	const char *p = path;
	int rc = 0;

	while ((p = strchr(p, '/')) != NULL) {
		rc |= strvec_pushf(out, "--include=/%.*s/", (int)(p - path),
				   path);
		p++;
	}
	rc |= strvec_pushf(out, "--include=/%s%s", path, tree ? "/***" : "");
	return rc;
}

/* The first component of path that a default leaves out, as the length
 * of the path up to and including it; 0 for none. */
static size_t left_out_prefix(const char *path)
{
	const char *start = path;

	while (*start != '\0') {
		const char *end = strchr(start, '/');
		size_t len = end ? (size_t)(end - start) : strlen(start);
		char name[256];

		if (len < sizeof(name)) {
			memcpy(name, start, len);
			name[len] = '\0';
			if (copyset_default_for(name) != NULL) {
				return (size_t)(start - path) + len;
			}
		}
		if (end == NULL) {
			break;
		}
		start = end + 1;
	}
	return 0;
}

/* A path copied although a default leaves a folder above it out: the
 * path, then the rest of that folder left out. */
static int include_inside(struct strvec *out, const char *path)
{
	size_t cut = left_out_prefix(path);
	/* "P/" and three stars: a folder and what is in it; P: a file too */
	int rc = include_path(out, path, 0);

	rc |= strvec_pushf(out, "--include=/%s/***", path);

	if (cut > 0 && path[cut] == '/') {
		rc |= strvec_pushf(out, "--exclude=/%.*s/**", (int)cut, path);
	}
	return rc;
}

static int is_whole_root(const struct strvec *dirs)
{
	size_t i;

	for (i = 0; i < dirs->n; i++) {
		if (strcmp(dirs->v[i], ".") == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * rsyncignore: excluded (anchored at the root).  rsyncdirs: only those
 * folders are copied, with what the workers need besides: the
 * virtualenv, the develop eggs, the ini file, the root conftest.py and
 * the plugin module beside it (adopt.h).
 */
static int user_filters(const struct cloud_config *cfg, struct strvec *out)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < cfg->rsyncignore.n; i++) {
		rc |= strvec_pushf(out, "--exclude=/%s", cfg->rsyncignore.v[i]);
	}
	if (cfg->rsyncdirs.n == 0 || is_whole_root(&cfg->rsyncdirs)) {
		return rc;
	}
	for (i = 0; i < cfg->rsyncdirs.n; i++) {
		rc |= include_path(out, cfg->rsyncdirs.v[i], 1);
	}
	for (i = 0; i < cfg->develop_eggs.n; i++) {
		rc |= include_path(out, cfg->develop_eggs.v[i], 1);
	}
	if (cfg->venv_rel != NULL) {
		rc |= include_path(out, cfg->venv_rel, 1);
	}
	if (cfg->inifile_rel != NULL) {
		rc |= include_path(out, cfg->inifile_rel, 0);
	}
	rc |= strvec_push(out, "--include=/conftest.py");
	rc |= strvec_push(out, "--include=/" ADOPT_PLUGIN_MODULE ".py");
	rc |= strvec_push(out, "--exclude=*");
	return rc;
}

int copyset_filters(const struct cloud_config *cfg, int git_needed,
		    struct strvec *out)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < cfg->rsyncinclude.n; i++) {
		rc |= include_inside(out, cfg->rsyncinclude.v[i]);
	}
	if (cfg->venv_rel != NULL && left_out_prefix(cfg->venv_rel) > 0) {
		rc |= include_inside(out, cfg->venv_rel);
	}
	if (git_needed) {
		rc |= strvec_push(out, "--include=/.git/***");
	}
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		rc |= strvec_pushf(out, "--exclude=%s", defaults[i].pattern);
	}
	rc |= user_filters(cfg, out);
	return rc ? -1 : 0;
}

const char *copyset_vcs_tool(const char *text)
{
	static const char *const tools[][2] = {
		{ "setuptools_scm", "setuptools-scm" },
		{ "setuptools-scm", "setuptools-scm" },
		{ "hatch-vcs", "hatch-vcs" },
		{ "hatch_vcs", "hatch-vcs" },
		{ "versioningit", "versioningit" },
		{ "dunamai", "dunamai" },
		{ "poetry-dynamic-versioning", "poetry-dynamic-versioning" },
		{ "setuptools-git-versioning", "setuptools-git-versioning" },
		{ "pbr", "pbr" },
	};
	size_t i;

	for (i = 0; text != NULL && i < sizeof(tools) / sizeof(tools[0]);
	     i++) {
		const char *p = text;
		size_t len = strlen(tools[i][0]);

		while ((p = strstr(p, tools[i][0])) != NULL) {
			char before = p == text ? ' ' : p[-1];
			char after = p[len];

			/* a whole word: "pbr" in "pbr=True", not in
			 * "pbring" or "x_pbr" */
			if (!(before == '_' || before == '-' ||
			      (before >= 'a' && before <= 'z') ||
			      (before >= '0' && before <= '9')) &&
			    !(after == '_' || (after >= 'a' && after <= 'z') ||
			      (after >= '0' && after <= '9'))) {
				return tools[i][1];
			}
			p += len;
		}
	}
	return NULL;
}

static struct copyset_entry *entry_for(struct copyset_list *l,
				       const char *name, size_t len, int dir)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (strlen(l->v[i].name) == len &&
		    strncmp(l->v[i].name, name, len) == 0) {
			l->v[i].dir |= dir;
			return &l->v[i];
		}
	}
	if (l->n == l->alloc) {
		size_t want = l->alloc ? l->alloc * 2 : 16;
		struct copyset_entry *grown =
			realloc(l->v, want * sizeof(*grown));

		if (grown == NULL) {
			return NULL;
		}
		l->v = grown;
		l->alloc = want;
	}
	l->v[l->n].name = strndup(name, len);
	if (l->v[l->n].name == NULL) {
		return NULL;
	}
	l->v[l->n].dir = dir;
	l->v[l->n].files = 0;
	l->v[l->n].bytes = 0;
	return &l->v[l->n++];
}

static int by_bytes(const void *a, const void *b)
{
	const struct copyset_entry *x = a;
	const struct copyset_entry *y = b;

	if (x->bytes != y->bytes) {
		return x->bytes > y->bytes ? -1 : 1;
	}
	return strcmp(x->name, y->name);
}

/* One line: PERMS SIZE DATE TIME PATH; 0 skipped, -1 out of memory. */
int copyset_list_line(struct copyset_list *l, const char *line, size_t len)
{
	char perms[16];
	long long size;
	int used = 0;
	const char *path;
	const char *slash;
	const char *end = line + len;
	size_t name_len;
	struct copyset_entry *e;
	int fields = 0;
	const char *p = line;

	if (len < 10 || sscanf(line, "%15s %lld%n", perms, &size, &used) != 2) {
		return 0;
	}
	/* the path follows the fourth field (date, time) */
	while (p < end && fields < 4) {
		while (p < end && *p != ' ') {
			p++;
		}
		while (p < end && *p == ' ') {
			p++;
		}
		fields++;
	}
	path = p;
	if (path >= end || (end - path == 1 && path[0] == '.')) {
		return 0;
	}
	if (perms[0] == 'l') {
		/* "name -> target": the name */
		const char *arrow = path;

		while (arrow + 4 <= end && strncmp(arrow, " -> ", 4) != 0) {
			arrow++;
		}
		if (arrow + 4 <= end) {
			end = arrow;
		}
	}
	slash = memchr(path, '/', (size_t)(end - path));
	name_len = slash ? (size_t)(slash - path) : (size_t)(end - path);
	e = entry_for(l, path, name_len, perms[0] == 'd' || slash != NULL);
	if (e == NULL) {
		return -1;
	}
	if (perms[0] != 'd') {
		e->files++;
		e->bytes += size;
		l->files++;
		l->bytes += size;
	}
	return 0;
}

int copyset_parse_list(const char *output, struct copyset_list *out)
{
	const char *p = output;
	const char *line;
	size_t len;

	memset(out, 0, sizeof(*out));
	for (line = text_line(&p, &len); line != NULL;
	     line = text_line(&p, &len)) {
		if (copyset_list_line(out, line, len) < 0) {
			copyset_list_release(out);
			return -1;
		}
	}
	copyset_list_sort(out);
	return 0;
}

void copyset_list_sort(struct copyset_list *l)
{
	if (l->n > 1) {
		qsort(l->v, l->n, sizeof(l->v[0]), by_bytes);
	}
}

int copyset_list_add(struct copyset_list *l, const char *name, int dir,
		     long long files, long long bytes)
{
	struct copyset_entry *e = entry_for(l, name, strlen(name), dir);

	if (e == NULL) {
		return -1;
	}
	e->files += files;
	e->bytes += bytes;
	l->files += files;
	l->bytes += bytes;
	return 0;
}

void copyset_list_release(struct copyset_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void copyset_size_text(long long bytes, char *buf, size_t len)
{
	static const char *const units[] = { "kB", "MB", "GB", "TB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1000) {
		snprintf(buf, len, "%lld B", bytes);
		return;
	}
	v /= 1000.0;
	while (v >= 1000.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000.0;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
}
