/* init: puts the plugin into a project (see init.h). */
#define _GNU_SOURCE
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "cfgedit.h"
#include "udiff.h"
#include "versions.h"
#include "exits.h"
#include "files.h"
#include "inifind.h"
#include "msgs.h"
#include "config.h"
#include "opts.h"
#include "strvec.h"
#include "text.h"

#define EXIT_REFUSED EXIT_BAD_INPUT

/* One file init writes. */
struct change {
	char *path;      /* absolute */
	const char *name; /* as shown: relative to the rootdir */
	char *old;       /* NULL: a new file (the config file: "") */
	int existed;     /* the file was there when it was read */
	char *text;      /* what it becomes */
	int ours;        /* pytest-cloud's own file: line is shown
			  * instead of a diff */
	char line[300];
};

struct init {
	const char *plugin;
	const char *version;
	struct strvec nodes;
	char *ini_arg;
	int dry_run;
	int plugin_module; /* the plugin goes beside the project's conftest */
	char *rootdir;
	struct change ch[3];
	size_t n;
};

static void usage(void)
{
	size_t n;
	size_t i;
	const struct opt_def *t = opts_init_table(&n);

	printf("usage: pytest-cloud init [--nodes \"NODE ...\"] [--ini FILE] "
	       "[--dry-run]\n\n"
	       "Puts pytest-cloud's plugin into the project of the current "
	       "folder: as its\nconftest.py, or as pytest_cloud_plugin.py "
	       "loaded from its own conftest.py;\nadds cloud_nodes to the "
	       "config file pytest uses (or FILE).  Shows what\nit changes.\n\n");
	for (i = 0; i < n; i++) {
		printf("  %-12s %s\n", t[i].flag, t[i].meaning);
	}
}

/* Whole file, or NULL with *missing set when it does not exist.  A
 * symbolic link is refused: init writes files in their place, and a
 * project's link may point anywhere. */
static char *read_text(const char *path, int *missing, char *err,
		       size_t errlen)
{
	char *text = files_read(path, INIFILE_MAX_BYTES,
				FILES_TEXT | FILES_NOFOLLOW, NULL, err,
				errlen);

	*missing = text == NULL && errno == ENOENT;
	if (text == NULL && strstr(err, ": is a symbolic link") != NULL) {
		snprintf(err, errlen, "%s: is a symbolic link: init edits "
			 "only regular files (it never writes through a "
			 "link): edit the file it points to by hand", path);
	}
	return text;
}

/* init's options, from the option table's rows for init (opts.h). */
static int parse_args(struct init *in, int argc, char **argv)
{
	size_t n;
	const struct opt_def *t = opts_init_table(&n);
	char err[600];
	int i = 1;

	while (i < argc) {
		const struct opt_def *def;
		const char *value;

		if (opts_parse_in(t, n, argc, argv, &i, &def, &value, err,
				  sizeof(err)) < 0) {
			errorf("init: %s", err);
			return -1;
		}
		switch (def->id) {
		case OPT_INIT_NODES:
			if (config_add_nodes(&in->nodes, value, def->flag, err,
					     sizeof(err)) < 0) {
				errorf("init: %s", err);
				return -1;
			}
			break;
		case OPT_INIT_INI:
			free(in->ini_arg);
			in->ini_arg = strdup(value);
			break;
		case OPT_INIT_DRY_RUN:
			in->dry_run = 1;
			break;
		default:
			usage();
			return 1;
		}
	}
	return 0;
}

/* path as shown: relative to the rootdir when inside it. */
static const char *shown_name(const struct init *in, const char *path)
{
	size_t len = strlen(in->rootdir);

	if (strcmp(in->rootdir, "/") == 0) {
		return path + 1;
	}
	if (strncmp(path, in->rootdir, len) == 0 && path[len] == '/') {
		return path + len + 1;
	}
	return path;
}

static struct change *add_change(struct init *in, const char *dir,
				 const char *name)
{
	struct change *c = &in->ch[in->n];

	memset(c, 0, sizeof(*c));
	if (asprintf(&c->path, "%s/%s", strcmp(dir, "/") ? dir : "",
		     name) < 0) {
		c->path = NULL;
		return NULL;
	}
	c->name = shown_name(in, c->path);
	in->n++;
	return c;
}

/* The plugin file (conftest.py or pytest_cloud_plugin.py) at c: new,
 * up to date, or an older copy replaced.  Returns 0, or -1 refused. */
static int plan_plugin_file(struct init *in, struct change *c,
			    const char *text)
{
	char version[32];
	enum adopt_kind kind;

	c->existed = text != NULL;
	if (text == NULL) {
		c->text = strdup(in->plugin);
		c->ours = 1;
		snprintf(c->line, sizeof(c->line),
			 "new file %s: pytest-cloud %s's plugin", c->name,
			 in->version);
		return c->text != NULL ? 0 : -1;
	}
	kind = adopt_classify(text, in->plugin, version, sizeof(version));
	if (kind == ADOPT_NOT_OURS) {
		errorf("init: '%s' exists and is not pytest-cloud's plugin: "
		       "move it away, then run init again",
		       c->path);
		return -1;
	}
	if (kind == ADOPT_OURS_EDITED) {
		errorf("init: '%s' is pytest-cloud %s's plugin with code of "
		       "the project's own in it: move that code to another "
		       "file (init can then load the plugin from it), and "
		       "run init again",
		       c->path, version);
		return -1;
	}
	if (strcmp(text, in->plugin) == 0) {
		return 0;
	}
	if (versions_cmp(version, in->version) > 0) {
		errorf("init: '%s' is from pytest-cloud %s, newer than this "
		       "helper (%s): use the newer helper",
		       c->path, version, in->version);
		return -1;
	}
	if (versions_cmp(version, in->version) == 0) {
		errorf("init: '%s' is pytest-cloud %s's plugin with local "
		       "changes: init does not overwrite them; take them "
		       "out (or delete the file), then run init again",
		       c->path, version);
		return -1;
	}
	c->old = strdup(text);
	c->text = strdup(in->plugin);
	c->ours = 1;
	snprintf(c->line, sizeof(c->line),
		 "%s: updated from pytest-cloud %s to %s", c->name, version,
		 in->version);
	return c->old != NULL && c->text != NULL ? 0 : -1;
}

/* The conftest, and the plugin module beside it when it is the
 * project's own.  Returns 0, or -1 refused. */
static int plan_conftest(struct init *in)
{
	char err[600];
	char why[400] = "";
	int missing;
	char *path = NULL;
	char *text;
	struct change *c;
	int changed = 0;
	int rc = -1;

	if (asprintf(&path, "%s/conftest.py",
		     strcmp(in->rootdir, "/") ? in->rootdir : "") < 0) {
		return -1;
	}
	text = read_text(path, &missing, err, sizeof(err));
	if (text == NULL && !missing) {
		errorf("init: %s", err);
		goto out;
	}
	if (text == NULL || adopt_classify(text, in->plugin, why,
					   sizeof(why)) != ADOPT_NOT_OURS) {
		c = add_change(in, in->rootdir, "conftest.py");
		rc = c != NULL ? plan_plugin_file(in, c, text) : -1;
		goto out;
	}
	if (adopt_conftest_conflict(text, why, sizeof(why))) {
		errorf("init: '%s': %s", path, why);
		goto out;
	}
	{
		char *ptext;
		char *ppath = NULL;

		if (asprintf(&ppath, "%s/%s.py",
			     strcmp(in->rootdir, "/") ? in->rootdir : "",
			     ADOPT_PLUGIN_MODULE) < 0) {
			goto out;
		}
		ptext = read_text(ppath, &missing, err, sizeof(err));
		free(ppath);
		if (ptext == NULL && !missing) {
			errorf("init: %s", err);
			goto out;
		}
		in->plugin_module = 1;
		c = add_change(in, in->rootdir, ADOPT_PLUGIN_MODULE ".py");
		rc = c != NULL ? plan_plugin_file(in, c, ptext) : -1;
		free(ptext);
		if (rc < 0) {
			goto out;
		}
	}
	rc = -1;
	why[0] = '\0';
	c = add_change(in, in->rootdir, "conftest.py");
	if (c == NULL) {
		goto out;
	}
	c->text = adopt_add_plugin(text, &changed, why, sizeof(why));
	if (c->text == NULL) {
		errorf("init: '%s': %s", path, why);
		goto out;
	}
	c->old = text;
	c->existed = 1;
	text = NULL;
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

/* The config file pytest uses (or --ini), with cloud_nodes. */
static int plan_ini(struct init *in, const char *ini)
{
	char err[600];
	char why[300] = "";
	char *nodes = NULL;
	char *text;
	int missing;
	int changed = 0;
	struct change *c;
	struct ini_entries e = { 0 };
	size_t i;

	text = read_text(ini, &missing, err, sizeof(err));
	if (text == NULL && !missing) {
		errorf("init: %s", err);
		return -1;
	}
	if (text != NULL && inifile_parse_text(text, ini, &e, err,
					       sizeof(err)) < 0) {
		errorf("init: cannot read the config file: %s: fix it, or "
		       "add cloud_nodes by hand",
		       err);
		free(text);
		return -1;
	}
	for (i = 0; in->plugin_module && i < e.n; i++) {
		const char *v = e.v[i].value;

		if (strcmp(e.v[i].key, "addopts") == 0 &&
		    (strstr(v, "import-mode=importlib") != NULL ||
		     strstr(v, "import-mode\nimportlib") != NULL ||
		     strstr(v, "import-mode importlib") != NULL)) {
			warnf("init: '%s' sets --import-mode=importlib, which "
			      "keeps the project root off sys.path: pytest "
			      "can import pytest_cloud_plugin only with "
			      "'pythonpath = .' in the pytest section (or "
			      "when run as 'python -m pytest' from the root)",
			      ini);
		}
	}
	inifile_entries_release(&e);
	for (i = 0; i < in->nodes.n; i++) {
		char *joined = NULL;

		if (asprintf(&joined, "%s%s%s", nodes ? nodes : "",
			     nodes ? " " : "", in->nodes.v[i]) < 0) {
			free(nodes);
			free(text);
			return -1;
		}
		free(nodes);
		nodes = joined;
	}
	c = &in->ch[in->n];
	memset(c, 0, sizeof(*c));
	c->text = cfgedit_add_nodes(text ? text : "", cfgedit_format(ini),
				  nodes, &changed, why, sizeof(why));
	if (c->text == NULL) {
		errorf("init: '%s': %s", ini, why);
		goto fail;
	}
	/* read back what a run would read */
	if (changed && inifile_parse_text(c->text, ini, &e, err,
					  sizeof(err)) < 0) {
		errorf("init: '%s': the edit would not parse (%s): add "
		       "cloud_nodes by hand",
		       ini, err);
		goto fail;
	}
	for (i = 0; changed && nodes != NULL && i <= e.n; i++) {
		if (i == e.n) {
			errorf("init: '%s': cloud_nodes did not read back: add "
			       "it by hand",
			       ini);
			goto fail;
		}
		if (strcmp(e.v[i].key, "cloud_nodes") == 0) {
			char *p;

			for (p = e.v[i].value; *p; p++) {
				*p = *p == '\n' ? ' ' : *p;
			}
			if (strcmp(e.v[i].value, nodes) != 0) {
				errorf("init: '%s': cloud_nodes read back as "
				       "'%s': add it by hand",
				       ini, e.v[i].value);
				goto fail;
			}
			break;
		}
	}
	inifile_entries_release(&e);
	c->path = strdup(ini);
	if (c->path == NULL) {
		goto fail;
	}
	c->name = shown_name(in, c->path);
	c->existed = text != NULL;
	c->old = text ? text : strdup("");
	in->n++;
	free(nodes);
	return 0;
fail:
	inifile_entries_release(&e);
	free(c->text);
	c->text = NULL;
	free(text);
	free(nodes);
	return -1;
}

/* Whether the config file, as init leaves it, sets cloud_nodes. */
static int nodes_set(const struct init *in)
{
	const struct change *c = &in->ch[in->n - 1]; /* the config file */
	struct ini_entries e = { 0 };
	char err[600];
	int set = 0;
	size_t i;

	if (inifile_parse_text(c->text, c->path, &e, err, sizeof(err)) >= 0) {
		for (i = 0; i < e.n; i++) {
			set |= strcmp(e.v[i].key, "cloud_nodes") == 0;
		}
	}
	inifile_entries_release(&e);
	return set;
}

static int is_changed(const struct change *c)
{
	return c->text != NULL && (c->old == NULL || strcmp(c->old, c->text));
}

/* Whether c can be written; says why not. */
static int writable(const struct change *c)
{
	char *dir = strdup(c->path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	int ok;

	if (slash == NULL) {
		free(dir);
		return 0;
	}
	*slash = '\0';
	if (access(c->path, F_OK) == 0) {
		ok = access(c->path, W_OK) == 0 &&
		     access(dir[0] ? dir : "/", W_OK | X_OK) == 0;
	} else {
		ok = access(dir[0] ? dir : "/", W_OK | X_OK) == 0;
	}
	if (!ok) {
		errorf("init: cannot write '%s': %s: nothing was written",
		       c->path, strerror(errno));
	}
	free(dir);
	return ok;
}

/* Writes c in place of its file, safely (files.h). */
static int write_change(const struct change *c)
{
	char err[800];

	if (files_replace(c->path, c->existed ? c->old : NULL, c->text, err,
			  sizeof(err)) < 0) {
		errorf("init: %s: nothing more was written", err);
		return -1;
	}
	return 0;
}

/* The rootdir and config file, found as a run finds them (inifind.h);
 * without one, a new pytest.ini in the rootdir. */
static char *find_ini(struct init *in)
{
	char err[600];
	char *ini = NULL;
	enum inifile_rule rule;

	if (inifind_locate(in->ini_arg, 0, &ini, &in->rootdir, &rule, err,
			   sizeof(err)) < 0) {
		if (in->ini_arg != NULL) {
			errorf("init: --ini: %s", err);
		} else {
			errorf("init: cannot read the config file: %s: fix it, "
			       "or add cloud_nodes by hand", err);
		}
		return NULL;
	}
	if (ini != NULL && inifile_rule_text(rule) != NULL) {
		infof("init: config file '%s': found by %s", ini,
		      inifile_rule_text(rule));
	}
	if (ini == NULL &&
	    asprintf(&ini, "%s/pytest.ini",
		     strcmp(in->rootdir, "/") ? in->rootdir : "") < 0) {
		ini = NULL;
	}
	return ini;
}

static void release(struct init *in)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		free(in->ch[i].path);
		free(in->ch[i].old);
		free(in->ch[i].text);
	}
	strvec_clear(&in->nodes);
	free(in->ini_arg);
	free(in->rootdir);
}

int init_main(int argc, char **argv, const char *plugin, const char *version)
{
	struct init in;
	char *ini = NULL;
	size_t i;
	size_t writes = 0;
	int status = EXIT_REFUSED;
	int rc;

	memset(&in, 0, sizeof(in));
	in.plugin = plugin;
	in.version = version;
	strvec_init(&in.nodes);
	rc = parse_args(&in, argc, argv);
	if (rc != 0) {
		release(&in);
		return rc > 0 ? 0 : EXIT_REFUSED;
	}
	ini = find_ini(&in);
	if (ini == NULL || in.rootdir == NULL) {
		goto out;
	}
	if (plan_conftest(&in) < 0 || plan_ini(&in, ini) < 0) {
		goto out;
	}
	for (i = 0; i < in.n; i++) {
		if (is_changed(&in.ch[i])) {
			writes++;
			if (!writable(&in.ch[i])) {
				goto out;
			}
		}
	}
	for (i = 0; i < in.n; i++) {
		const struct change *c = &in.ch[i];
		char *d;

		if (!is_changed(c)) {
			continue;
		}
		if (c->ours) { /* its text is ours: what happens, not a diff */
			printf("%s\n", c->line);
			continue;
		}
		d = udiff_make(c->old, c->text, c->name);
		if (d == NULL) {
			status = EXIT_INTERNAL;
			goto out;
		}
		fputs(d, stdout);
		free(d);
	}
	fflush(stdout);
	if (writes == 0) {
		infof("init: nothing to change: the plugin (pytest-cloud %s) "
		      "and cloud_nodes are in place",
		      version);
		status = 0;
		goto out;
	}
	if (in.dry_run) {
		infof("init: --dry-run: %zu file%s would change; nothing was "
		      "written",
		      writes, writes > 1 ? "s" : "");
		status = 0;
		goto out;
	}
	for (i = 0; i < in.n; i++) {
		if (is_changed(&in.ch[i]) && write_change(&in.ch[i]) < 0) {
			status = EXIT_INTERNAL;
			goto out;
		}
	}
	infof("init: %zu file%s written; %s%s%s", writes, writes > 1 ? "s" : "",
	      nodes_set(&in) ? "" : "set cloud_nodes in '",
	      nodes_set(&in) ? "" : ini,
	      nodes_set(&in) ? "run pytest" : "', then run pytest");
	status = 0;
out:
	free(ini);
	release(&in);
	return status;
}
