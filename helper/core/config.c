/* config: combining the sources into one run's options (see config.h). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "text.h"

/* Upper bound for every number option: big enough for any real value,
 * small enough that arithmetic on it never overflows a long. */
#define CONFIG_NUMBER_MAX 1000000000L

static int set_string(char **field, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL) {
		return -1;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* The storage of def's option in cfg (opts.h: a row's field). */
static void *field_of(struct cloud_config *cfg, const struct opt_def *def)
{
	return (char *)cfg + def->field;
}

int config_init(struct cloud_config *cfg)
{
	size_t n;
	size_t i;
	const struct opt_def *t = opts_table(&n);

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < n; i++) {
		void *f = field_of(cfg, &t[i]);

		switch (t[i].type) {
		case OPT_T_NODES:
		case OPT_T_PATHS:
			strvec_init(f);
			break;
		case OPT_T_POSITIVE:
		case OPT_T_UNSIGNED:
			*(long *)f = t[i].number;
			break;
		case OPT_T_STRING:
			if (t[i].string != NULL && set_string(f, t[i].string) < 0) {
				config_release(cfg);
				return -1;
			}
			break;
		case OPT_T_FLAG:
			break;
		}
	}
	return 0;
}

void config_release(struct cloud_config *cfg)
{
	char **derived[] = { &cfg->venv_rel, &cfg->inifile_rel,
			     &cfg->worker_python, &cfg->git_needed_by };
	size_t n;
	size_t i;
	const struct opt_def *t = opts_table(&n);

	for (i = 0; i < n; i++) {
		void *f = field_of(cfg, &t[i]);

		if (t[i].type == OPT_T_STRING) {
			free(*(char **)f);
			*(char **)f = NULL;
		} else if (t[i].type == OPT_T_NODES ||
			   t[i].type == OPT_T_PATHS) {
			strvec_clear(f);
		}
	}
	for (i = 0; i < sizeof(derived) / sizeof(derived[0]); i++) {
		free(*derived[i]);
		*derived[i] = NULL;
	}
	nodelist_caps_release(&cfg->caps);
}

/* Parses a whole number in [min, CONFIG_NUMBER_MAX]. */
static int parse_number(const char *value, long min, long *out,
			const char *origin, char *err, size_t errlen)
{
	const char *p = value;
	long v = 0;

	if (*p == '-' && p[1] >= '0' && p[1] <= '9') {
		snprintf(err, errlen, "%s: '%s' is negative", origin, value);
		return -1;
	}
	if (*p == '\0') {
		snprintf(err, errlen, "%s: empty value, expected a number",
			 origin);
		return -1;
	}
	for (; *p; p++) {
		if (*p < '0' || *p > '9') {
			snprintf(err, errlen,
				 "%s: '%s' is not a whole number", origin,
				 value);
			return -1;
		}
		if (v <= CONFIG_NUMBER_MAX) {
			v = v * 10 + (*p - '0');
		}
	}
	if (v > CONFIG_NUMBER_MAX) {
		snprintf(err, errlen, "%s: '%s' is too large (most %ld)",
			 origin, value, CONFIG_NUMBER_MAX);
		return -1;
	}
	if (v < min) {
		snprintf(err, errlen, "%s: '%s' must be at least %ld", origin,
			 value, min);
		return -1;
	}
	*out = v;
	return 0;
}

/* Calls fn on each whitespace-separated word of value. */
static int each_word(const char *value,
		     int (*fn)(void *, const char *, const char *, char *,
			       size_t),
		     void *target, const char *origin, char *err,
		     size_t errlen)
{
	const char *p = value;
	int rc = 0;

	size_t len;

	while (rc == 0 && (len = text_word(&p)) > 0) {
		char *word = strndup(p, len);

		if (word == NULL) {
			snprintf(err, errlen, "%s: out of memory", origin);
			return -1;
		}
		rc = fn(target, word, origin, err, errlen);
		free(word);
		p += len;
	}
	return rc;
}

/* each_word callback: target is the struct strvec of paths. */
static int add_path(void *target, const char *word, const char *origin,
		    char *err, size_t errlen)
{
	if (strvec_push(target, word) < 0) {
		snprintf(err, errlen, "%s: out of memory", origin);
		return -1;
	}
	return 0;
}

int config_add_nodes(struct strvec *nodes, const char *value,
		     const char *origin, char *err, size_t errlen)
{
	struct strvec check = STRVEC_INIT;
	const char *p = value;
	size_t len;
	int rc = nodelist_add(&check, NULL, value, origin, NULL, NULL, err,
			      errlen);

	strvec_clear(&check);
	for (len = text_word(&p); rc == 0 && len > 0; len = text_word(&p)) {
		char *word = strndup(p, len);

		if (word == NULL ||
		    (!strvec_contains(nodes, word) &&
		     strvec_push(nodes, word) < 0)) {
			snprintf(err, errlen, "%s: out of memory", origin);
			rc = -1;
		}
		free(word);
		p += len;
	}
	return rc;
}

int config_set(struct cloud_config *cfg, const struct opt_def *def,
	       const char *value, enum config_source src, const char *origin,
	       char *err, size_t errlen)
{
	void *f = field_of(cfg, def);
	int replacing = cfg->src[def->source] < src;

	cfg->src[def->source] = src;
	cfg->set_by[def->source] = def->id;
	switch (def->type) {
	case OPT_T_NODES:
		if (replacing) {
			strvec_clear(f);
			nodelist_caps_release(&cfg->caps);
		}
		return nodelist_add(f, &cfg->caps, value, origin,
				    src == SRC_ENV ? cfg->rootdir : NULL,
				    cfg->io, err, errlen);
	case OPT_T_PATHS:
		if (replacing) {
			strvec_clear(f);
		}
		return each_word(value, add_path, f, origin, err, errlen);
	case OPT_T_POSITIVE:
	case OPT_T_UNSIGNED:
		return parse_number(value, def->type == OPT_T_POSITIVE ? 1 : 0,
				    f, origin, err, errlen);
	case OPT_T_STRING:
		if (value[0] == '\0') {
			snprintf(err, errlen, "%s: empty value", origin);
			return -1;
		}
		if (set_string(f, value) < 0) {
			snprintf(err, errlen, "%s: out of memory", origin);
			return -1;
		}
		return 0;
	case OPT_T_FLAG:
		*(int *)f = 1;
		return 0;
	}
	snprintf(err, errlen, "%s: unknown option type", origin);
	return -1;
}

int config_apply_env(struct cloud_config *cfg,
		     const char *(*getenv_fn)(const char *name), char *err,
		     size_t errlen)
{
	size_t n;
	size_t i;
	const struct opt_def *table = opts_table(&n);

	for (i = 0; i < n; i++) {
		const char *value;

		if (table[i].env == NULL) {
			continue;
		}
		value = getenv_fn(table[i].env);
		if (value == NULL || value[0] == '\0') {
			continue;
		}
		if (config_set(cfg, &table[i], value, SRC_ENV, table[i].env,
			       err, errlen) < 0) {
			return -1;
		}
	}
	return 0;
}

int config_apply_argv(struct cloud_config *cfg, int argc, char **argv,
		      char *err, size_t errlen)
{
	int i = 1;

	while (i < argc) {
		const struct opt_def *def;
		const char *value;

		if (opts_parse_arg(argc, argv, &i, &def, &value, err, errlen) < 0 ||
		    config_set(cfg, def, value, SRC_CLI, def->flag, err,
			       errlen) < 0) {
			return -1;
		}
	}
	return 0;
}

/* 1 when every character of s is safe unquoted in a POSIX shell word. */
static int shell_safe(const char *s)
{
	return s[0] != '\0' && s[0] != '-' && text_only(s, "._/+-@%,:");
}

/* The first byte of s below 0x20 or 0x7f, or -1. */
static int first_control(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f) {
			return c;
		}
	}
	return -1;
}

/* The name of the source that set option id (the flag, variable or ini
 * key, of the row that set it), for messages. */
static const char *source_name(const struct cloud_config *cfg,
			       enum opt_id id)
{
	const struct opt_def *def =
		opts_get(cfg->src[id] == SRC_DEFAULT ? id : cfg->set_by[id]);

	switch (cfg->src[id]) {
	case SRC_CLI:
		return def->flag;
	case SRC_ENV:
		return def->env;
	default:
		return def->ini ? def->ini : def->flag;
	}
}

static const char *chdir_problem(const char *chdir)
{
	const char *p = chdir;
	int real_parts = 0;

	if (chdir[0] == '\0') {
		return "is empty";
	}
	if (chdir[0] == '/') {
		return "is absolute (it must be relative to the remote home)";
	}
	if (chdir[0] == '~') {
		return "starts with '~' (it is already relative to the "
		       "remote home)";
	}
	if (chdir[0] == ':') {
		return "starts with ':' (rsync would take it for a daemon "
		       "module)";
	}
	if (!shell_safe(chdir)) {
		return "has characters other than letters, digits and "
		       "._/+-@%,:";
	}
	while (*p != '\0') {
		size_t len = strcspn(p, "/");

		if (len == 2 && strncmp(p, "..", 2) == 0) {
			return "contains '..'";
		}
		if (len > 0 && !(len == 1 && p[0] == '.')) {
			real_parts++;
		}
		p += len;
		p += strspn(p, "/");
	}
	if (real_parts == 0) {
		return "is the remote home itself (rsync --delete would "
		       "empty it)";
	}
	return NULL;
}

/* Every option with a fixed set of values has one of them. */
static int check_choices(const struct cloud_config *cfg, char *err,
			 size_t errlen)
{
	size_t n;
	size_t i;
	const struct opt_def *t = opts_table(&n);

	for (i = 0; i < n; i++) {
		const char *v;
		const char *c = t[i].choices;
		size_t first;

		if (c == NULL || t[i].type != OPT_T_STRING) {
			continue;
		}
		v = *(char *const *)((const char *)cfg + t[i].field);
		if (v == NULL || opts_is_choice(&t[i], v)) {
			continue;
		}
		first = strcspn(c, " ");
		snprintf(err, errlen, "%s: '%s' is neither '%.*s' nor '%s'",
			 source_name(cfg, t[i].source), v, (int)first, c,
			 c[first] ? c + first + 1 : "");
		return -1;
	}
	return 0;
}

int config_verify(const struct cloud_config *cfg, char *err, size_t errlen)
{
	const char *why;

	if (cfg->nodes.n == 0) {
		snprintf(err, errlen,
			 "no nodes: set cloud_nodes in the ini file, "
			 "PYTEST_CLOUD_NODES, or --cloud-node");
		return -1;
	}
	if (cfg->chdir != NULL) {
		why = chdir_problem(cfg->chdir);
		if (why != NULL) {
			snprintf(err, errlen, "%s: '%s' %s",
				 source_name(cfg, OPT_CHDIR), cfg->chdir, why);
			return -1;
		}
	}
	if (cfg->rsync_cipher[0] == '-' ||
	    !text_only(cfg->rsync_cipher, "@.,_-")) {
		snprintf(err, errlen,
			 "%s: '%s' is not a cipher name (letters, digits and "
			 "@.,_- only)",
			 source_name(cfg, OPT_RSYNC_CIPHER), cfg->rsync_cipher);
		return -1;
	}
	if (check_choices(cfg, err, errlen) < 0) {
		return -1;
	}
	if (cfg->ssh_config != NULL && first_control(cfg->ssh_config) >= 0) {
		snprintf(err, errlen,
			 "%s: the path has a control character (byte 0x%02x), "
			 "which ssh's and rsync's command lines cannot carry",
			 source_name(cfg, OPT_SSH_CONFIG),
			 first_control(cfg->ssh_config));
		return -1;
	}
	if (strstr(cfg->python, "//") != NULL ||
	    cfg->python[strlen(cfg->python) - 1] == '/') {
		snprintf(err, errlen,
			 "%s: '%s' has '//' or ends with '/' (execnet's spec "
			 "syntax would split it there)",
			 source_name(cfg, OPT_PYTHON), cfg->python);
		return -1;
	}
	if (!shell_safe(cfg->python)) {
		snprintf(err, errlen,
			 "%s: '%s' has characters that would reach the remote "
			 "shell unquoted (execnet runs it as is)",
			 source_name(cfg, OPT_PYTHON), cfg->python);
		return -1;
	}
	return 0;
}

static int default_chdir(struct cloud_config *cfg, const char *local_user)
{
	const char *base = strrchr(cfg->rootdir, '/');
	char *s = NULL;
	char *p;

	base = base ? base + 1 : cfg->rootdir;
	if (base[0] == '\0') {
		base = "root";
	}
	if (asprintf(&s, "pytest_%s_%s", local_user, base) < 0) {
		return -1;
	}
	for (p = s; *p != '\0'; p++) {
		if (!text_char_in(*p, "._-")) {
			*p = '_';
		}
	}
	cfg->chdir = s;
	return 0;
}

/* CHDIR in one spelling: no "." parts, no doubled or trailing '/'
 * (config_verify has refused ".." and the home itself). */
static int normalise_chdir(struct cloud_config *cfg)
{
	char *norm = path_inside("/", "/", cfg->chdir);

	if (norm == NULL) {
		return -1;
	}
	free(cfg->chdir);
	cfg->chdir = norm;
	return 0;
}

static int find_venv(struct cloud_config *cfg, const char *virtual_env,
		     char *err, size_t errlen)
{
	const char *detected = cfg->interpreter_prefix ? cfg->interpreter_prefix
						       : virtual_env;

	if (cfg->virtualenv_path != NULL) {
		cfg->venv_rel = path_inside(cfg->rootdir, cfg->rootdir,
						   cfg->virtualenv_path);
		if (cfg->venv_rel == NULL ||
		    strcmp(cfg->venv_rel, ".") == 0) {
			snprintf(err, errlen,
				 "%s: '%s' is not inside the project root "
				 "'%s' (only what is inside it is copied to "
				 "the nodes)",
				 source_name(cfg, OPT_VIRTUALENV_PATH),
				 cfg->virtualenv_path, cfg->rootdir);
			return -1;
		}
	} else if (detected != NULL && detected[0] == '/') {
		cfg->venv_rel = path_inside(cfg->rootdir, NULL,
						   detected);
		if (cfg->venv_rel != NULL && strcmp(cfg->venv_rel, ".") == 0) {
			free(cfg->venv_rel);
			cfg->venv_rel = NULL;
		}
	}
	if (cfg->venv_rel != NULL && !shell_safe(cfg->venv_rel)) {
		snprintf(err, errlen,
			 "virtualenv '%s': its path has characters that "
			 "would reach the remote shell unquoted",
			 cfg->venv_rel);
		return -1;
	}
	return 0;
}

/* Rewrites each path of list relative to rootdir; what lies outside is
 * an error naming the option. */
static int paths_inside(struct cloud_config *cfg, enum opt_id id,
			char *err, size_t errlen)
{
	struct strvec *list = field_of(cfg, opts_get(id));
	const char *what = source_name(cfg, id);
	size_t i;

	for (i = 0; i < list->n; i++) {
		char *rel = path_inside(cfg->rootdir, cfg->rootdir,
					       list->v[i]);

		if (rel == NULL) {
			snprintf(err, errlen,
				 "%s: '%s' is outside the project root '%s' "
				 "(only what is inside it reaches the nodes)",
				 what, list->v[i], cfg->rootdir);
			return -1;
		}
		free(list->v[i]);
		list->v[i] = rel;
	}
	return 0;
}

int config_finish(struct cloud_config *cfg, const char *local_user,
		  const char *virtual_env, char *err, size_t errlen)
{
	if (cfg->rootdir == NULL || cfg->rootdir[0] != '/') {
		snprintf(err, errlen, "rootdir: '%s' is not an absolute path",
			 cfg->rootdir ? cfg->rootdir : "");
		return -1;
	}
	if (cfg->chdir == NULL && default_chdir(cfg, local_user) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (normalise_chdir(cfg) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (find_venv(cfg, virtual_env, err, errlen) < 0 ||
	    paths_inside(cfg, OPT_DEVELOP_EGGS, err, errlen) < 0 ||
	    paths_inside(cfg, OPT_RSYNC_DIRS, err, errlen) < 0 ||
	    paths_inside(cfg, OPT_RSYNC_IGNORE, err, errlen) < 0 ||
	    paths_inside(cfg, OPT_RSYNC_INCLUDE, err, errlen) < 0) {
		return -1;
	}
	if (cfg->develop_eggs.n > 0 && cfg->venv_rel == NULL) {
		snprintf(err, errlen,
			 "%s: installing develop eggs needs a virtualenv "
			 "inside the project root (none was found or given "
			 "with cloud_virtualenv_path); the nodes' system "
			 "python is not ours to change",
			 source_name(cfg, OPT_DEVELOP_EGGS));
		return -1;
	}
	free(cfg->inifile_rel);
	cfg->inifile_rel = NULL;
	if (cfg->inifile != NULL) {
		cfg->inifile_rel = path_inside(cfg->rootdir, NULL,
						      cfg->inifile);
	}
	free(cfg->worker_python);
	cfg->worker_python = NULL;
	if (cfg->venv_rel != NULL) {
		if (asprintf(&cfg->worker_python, "%s/%s/bin/python",
			     cfg->chdir, cfg->venv_rel) < 0) {
			cfg->worker_python = NULL;
		}
	} else {
		cfg->worker_python = strdup(cfg->python);
	}
	if (cfg->worker_python == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
