/* config: combining the sources into one run's options (see config.h). */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodename.h"

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

int config_init(struct cloud_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strvec_init(&cfg->nodes);
	strvec_init(&cfg->develop_eggs);
	strvec_init(&cfg->rsyncdirs);
	strvec_init(&cfg->rsyncignore);
	cfg->rsync_bandwidth_limit = 10000;
	cfg->connect_timeout = 10;
	cfg->max_connections = 128;
	cfg->keepalive = 15;
	cfg->sync_timeout = 300;
	cfg->lock_timeout = 600;
	if (set_string(&cfg->python, "python3") < 0 ||
	    set_string(&cfg->schedule, "durations") < 0 ||
	    set_string(&cfg->rsync_cipher, "aes128-gcm@openssh.com") < 0) {
		config_release(cfg);
		return -1;
	}
	return 0;
}

void config_release(struct cloud_config *cfg)
{
	char **strings[] = { &cfg->python, &cfg->chdir,
			     &cfg->virtualenv_path, &cfg->rsync_cipher,
			     &cfg->ssh_config, &cfg->helper, &cfg->rootdir,
			     &cfg->inifile, &cfg->interpreter_prefix,
			     &cfg->venv_rel, &cfg->inifile_rel,
			     &cfg->worker_python, &cfg->report,
			     &cfg->schedule, &cfg->conftest_version,
			     &cfg->conftest };
	size_t i;

	for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		free(*strings[i]);
		*strings[i] = NULL;
	}
	strvec_clear(&cfg->nodes);
	strvec_clear(&cfg->develop_eggs);
	strvec_clear(&cfg->rsyncdirs);
	strvec_clear(&cfg->rsyncignore);
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

static long *number_field(struct cloud_config *cfg, enum opt_id id)
{
	switch (id) {
	case OPT_MEM_PER_PROCESS:
		return &cfg->mem_per_process;
	case OPT_MAX_PROCESSES:
		return &cfg->max_processes;
	case OPT_RSYNC_BANDWIDTH_LIMIT:
		return &cfg->rsync_bandwidth_limit;
	case OPT_RSYNC_MAX_PROCESSES:
		return &cfg->rsync_max_processes;
	case OPT_CONNECT_TIMEOUT:
		return &cfg->connect_timeout;
	case OPT_MAX_CONNECTIONS:
		return &cfg->max_connections;
	case OPT_KEEPALIVE:
		return &cfg->keepalive;
	case OPT_SYNC_TIMEOUT:
		return &cfg->sync_timeout;
	case OPT_LOCK_TIMEOUT:
		return &cfg->lock_timeout;
	default:
		return NULL;
	}
}

static char **string_field(struct cloud_config *cfg, enum opt_id id)
{
	switch (id) {
	case OPT_PYTHON:
		return &cfg->python;
	case OPT_CHDIR:
		return &cfg->chdir;
	case OPT_VIRTUALENV_PATH:
		return &cfg->virtualenv_path;
	case OPT_RSYNC_CIPHER:
		return &cfg->rsync_cipher;
	case OPT_SSH_CONFIG:
		return &cfg->ssh_config;
	case OPT_HELPER:
		return &cfg->helper;
	case OPT_ROOTDIR:
		return &cfg->rootdir;
	case OPT_INIFILE:
		return &cfg->inifile;
	case OPT_INTERPRETER_PREFIX:
		return &cfg->interpreter_prefix;
	case OPT_REPORT:
		return &cfg->report;
	case OPT_SCHEDULE:
		return &cfg->schedule;
	case OPT_CONFTEST_VERSION:
		return &cfg->conftest_version;
	case OPT_CONFTEST:
		return &cfg->conftest;
	default:
		return NULL;
	}
}

static int *flag_field(struct cloud_config *cfg, enum opt_id id)
{
	switch (id) {
	case OPT_DRY_RUN:
		return &cfg->dry_run;
	case OPT_QUIET:
		return &cfg->quiet;
	case OPT_JSON:
		return &cfg->json_only;
	case OPT_HELP:
		return &cfg->help;
	case OPT_NO_INIFILE:
		return &cfg->no_inifile;
	case OPT_PRINT_PROBE:
		return &cfg->print_probe;
	case OPT_HOLD:
		return &cfg->hold;
	case OPT_GATEWAY_CHECK:
		return &cfg->gateway_check;
	case OPT_VERSION:
		return &cfg->version;
	default:
		return NULL;
	}
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

	while (*p != '\0' && rc == 0) {
		size_t len;
		char *word;

		p += strspn(p, " \t\r\n");
		len = strcspn(p, " \t\r\n");
		if (len == 0) {
			break;
		}
		word = strndup(p, len);
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

/* each_word callback: target is the struct strvec of nodes. */
static int add_node(void *target, const char *word, const char *origin,
		    char *err, size_t errlen)
{
	struct strvec *nodes = target;
	struct nodename n;
	char why[160];

	if (nodename_parse(word, &n, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: node '%s': %s", origin, word, why);
		return -1;
	}
	nodename_release(&n);
	if (strvec_contains(nodes, word)) {
		return 0;
	}
	if (strvec_push(nodes, word) < 0) {
		snprintf(err, errlen, "%s: out of memory", origin);
		return -1;
	}
	return 0;
}

static struct strvec *paths_field(struct cloud_config *cfg, enum opt_id id)
{
	switch (id) {
	case OPT_RSYNC_DIRS:
	case OPT_RSYNCDIRS:
		return &cfg->rsyncdirs;
	case OPT_RSYNC_IGNORE:
	case OPT_RSYNCIGNORE:
		return &cfg->rsyncignore;
	default:
		return &cfg->develop_eggs;
	}
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

/* The slot that records which source set an option; both node options
 * share one, so a higher source's nodes replace a lower one's. */
static enum opt_id source_slot(enum opt_id id)
{
	switch (id) {
	case OPT_NODE:
		return OPT_NODES;
	case OPT_RSYNCDIRS: /* xdist's keys are ours by another name */
		return OPT_RSYNC_DIRS;
	case OPT_RSYNCIGNORE:
		return OPT_RSYNC_IGNORE;
	default:
		return id;
	}
}

int config_set(struct cloud_config *cfg, const struct opt_def *def,
	       const char *value, enum config_source src, const char *origin,
	       char *err, size_t errlen)
{
	enum opt_id slot = source_slot(def->id);
	int replacing = cfg->src[slot] < src;

	cfg->src[slot] = src;
	switch (def->type) {
	case OPT_T_NODES:
		if (replacing) {
			strvec_clear(&cfg->nodes);
		}
		return each_word(value, add_node, &cfg->nodes, origin, err,
				 errlen);
	case OPT_T_PATHS:
		if (replacing) {
			strvec_clear(paths_field(cfg, def->id));
		}
		return each_word(value, add_path, paths_field(cfg, def->id),
				 origin, err, errlen);
	case OPT_T_POSITIVE:
	case OPT_T_UNSIGNED:
		return parse_number(value, def->type == OPT_T_POSITIVE ? 1 : 0,
				    number_field(cfg, def->id), origin, err,
				    errlen);
	case OPT_T_STRING:
		if (value[0] == '\0') {
			snprintf(err, errlen, "%s: empty value", origin);
			return -1;
		}
		if (set_string(string_field(cfg, def->id), value) < 0) {
			snprintf(err, errlen, "%s: out of memory", origin);
			return -1;
		}
		return 0;
	case OPT_T_FLAG:
		*flag_field(cfg, def->id) = 1;
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

static int unknown_option(const char *flag, char *err, size_t errlen)
{
	const char *near = opts_nearest_flag(flag);

	if (near != NULL) {
		snprintf(err, errlen,
			 "command line: unknown option '%s' (did you mean "
			 "'%s'?)",
			 flag, near);
	} else {
		snprintf(err, errlen,
			 "command line: unknown option '%s' (see --help)",
			 flag);
	}
	return -1;
}

int config_apply_argv(struct cloud_config *cfg, int argc, char **argv,
		      char *err, size_t errlen)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq = strchr(arg, '=');
		size_t flaglen = eq ? (size_t)(eq - arg) : strlen(arg);
		char flag[128];
		const struct opt_def *def;
		const char *value;

		if (strcmp(arg, "-c") == 0) {
			arg = "--inifile"; /* pytest's short form */
			flaglen = strlen(arg);
		} else if (strncmp(arg, "--", 2) != 0) {
			snprintf(err, errlen,
				 "command line: unexpected argument '%s'",
				 arg);
			return -1;
		}
		if (flaglen >= sizeof(flag)) {
			flaglen = sizeof(flag) - 1;
		}
		memcpy(flag, arg, flaglen);
		flag[flaglen] = '\0';
		def = opts_by_flag(flag);
		if (def == NULL) {
			return unknown_option(flag, err, errlen);
		}
		if (def->type == OPT_T_FLAG) {
			if (eq != NULL) {
				snprintf(err, errlen,
					 "%s: takes no value", flag);
				return -1;
			}
			value = "";
		} else if (eq != NULL) {
			value = eq + 1;
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			snprintf(err, errlen, "%s: missing value", flag);
			return -1;
		}
		if (config_set(cfg, def, value, SRC_CLI, flag, err, errlen) <
		    0) {
			return -1;
		}
	}
	return 0;
}

/* 1 when every character of s is safe unquoted in a POSIX shell word. */
static int shell_safe(const char *s)
{
	return s[0] != '\0' && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._/+-@%,:") == strlen(s);
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

/* The name of the source that set option id, for messages. */
static const char *source_name(const struct cloud_config *cfg,
			       enum opt_id id)
{
	const struct opt_def *def = opts_get(id);

	switch (cfg->src[id]) {
	case SRC_CLI:
		return def->flag;
	case SRC_ENV:
		return def->env;
	default:
		return def->ini;
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
	    strspn(cfg->rsync_cipher, "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				      "@.,_-") != strlen(cfg->rsync_cipher)) {
		snprintf(err, errlen,
			 "%s: '%s' is not a cipher name (letters, digits and "
			 "@.,_- only)",
			 source_name(cfg, OPT_RSYNC_CIPHER), cfg->rsync_cipher);
		return -1;
	}
	if (!opts_is_choice(opts_get(OPT_SCHEDULE), cfg->schedule)) {
		snprintf(err, errlen,
			 "%s: '%s' is neither 'durations' nor 'collection'",
			 source_name(cfg, OPT_SCHEDULE), cfg->schedule);
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

/* Appends the components of path to the component stack in out. */
static int push_components(char *out, size_t outlen, const char *path)
{
	const char *p = path;
	size_t len = strlen(out);

	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* empty or "." component */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(out, '/');

			if (slash != NULL) {
				*slash = '\0';
				len = (size_t)(slash - out);
			}
		} else {
			if (len + 1 + n + 1 > outlen) {
				return -1;
			}
			out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
		p += n;
		p += strspn(p, "/");
	}
	return 0;
}

static int normalise(char *out, size_t outlen, const char *base,
		     const char *path)
{
	out[0] = '\0';
	if (path[0] != '/' && base != NULL &&
	    push_components(out, outlen, base) < 0) {
		return -1;
	}
	return push_components(out, outlen, path);
}

char *config_path_inside(const char *root, const char *base,
			 const char *path)
{
	char nroot[PATH_MAX];
	char npath[PATH_MAX];
	size_t rlen;

	if (normalise(nroot, sizeof(nroot), NULL, root) < 0 ||
	    normalise(npath, sizeof(npath), base, path) < 0) {
		return NULL;
	}
	rlen = strlen(nroot);
	if (strncmp(npath, nroot, rlen) != 0) {
		return NULL;
	}
	if (npath[rlen] == '\0') {
		return strdup(".");
	}
	if (npath[rlen] != '/') {
		return NULL;
	}
	return strdup(npath + rlen + 1);
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
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		      *p == '_')) {
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
	char *norm = config_path_inside("/", "/", cfg->chdir);

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
		cfg->venv_rel = config_path_inside(cfg->rootdir, cfg->rootdir,
						   cfg->virtualenv_path);
		if (cfg->venv_rel == NULL ||
		    strcmp(cfg->venv_rel, ".") == 0) {
			snprintf(err, errlen,
				 "cloud_virtualenv_path: '%s' is not inside "
				 "the project root '%s' (only what is inside "
				 "it is copied to the nodes)",
				 cfg->virtualenv_path, cfg->rootdir);
			return -1;
		}
	} else if (detected != NULL && detected[0] == '/') {
		cfg->venv_rel = config_path_inside(cfg->rootdir, NULL,
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
static int paths_inside(struct cloud_config *cfg, struct strvec *list,
			const char *what, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		char *rel = config_path_inside(cfg->rootdir, cfg->rootdir,
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
	    paths_inside(cfg, &cfg->develop_eggs, "cloud_develop_eggs", err,
			 errlen) < 0 ||
	    paths_inside(cfg, &cfg->rsyncdirs, "rsyncdirs", err, errlen) < 0 ||
	    paths_inside(cfg, &cfg->rsyncignore, "rsyncignore", err,
			 errlen) < 0) {
		return -1;
	}
	if (cfg->develop_eggs.n > 0 && cfg->venv_rel == NULL) {
		snprintf(err, errlen,
			 "cloud_develop_eggs: installing develop eggs needs a "
			 "virtualenv inside the project root (none was found "
			 "or given with cloud_virtualenv_path); the nodes' "
			 "system python is not ours to change");
		return -1;
	}
	free(cfg->inifile_rel);
	cfg->inifile_rel = NULL;
	if (cfg->inifile != NULL) {
		cfg->inifile_rel = config_path_inside(cfg->rootdir, NULL,
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
