/* opts: the option table (see opts.h). */
#include "opts.h"

#include <string.h>

#define CLOUD(id, name, ini, env, type, def, meaning) \
	{ id, "--cloud-" name, "cloud_" ini, "PYTEST_CLOUD_" env, type, def, \
	  meaning, NULL, OPT_V_TEXT }
/* the same with fixed choices or a local path for a value */
#define CLOUD_V(id, name, ini, env, type, def, meaning, choices, value) \
	{ id, "--cloud-" name, "cloud_" ini, "PYTEST_CLOUD_" env, type, def, \
	  meaning, choices, value }

static const struct opt_def table[] = {
	{ OPT_NODE, "--cloud-node", NULL, NULL, OPT_T_NODES, NULL,
	  "a node to run tests on, [user@]host[:port]; repeatable" },
	CLOUD(OPT_NODES, "nodes", "nodes", "NODES", OPT_T_NODES, NULL,
	      "space-separated nodes to run tests on; repeatable"),
	CLOUD(OPT_PYTHON, "python", "python", "PYTHON", OPT_T_STRING,
	      "python3",
	      "python on the nodes, used when no virtualenv is synced"),
	CLOUD(OPT_CHDIR, "chdir", "chdir", "CHDIR", OPT_T_STRING,
	      "pytest_<user>_<rootdir name>",
	      "folder on the nodes, relative to the remote home, that "
	      "receives the project"),
	CLOUD_V(OPT_VIRTUALENV_PATH, "virtualenv-path", "virtualenv_path",
		"VIRTUALENV_PATH", OPT_T_STRING, "detected",
		"virtualenv inside the project root that the workers use",
		NULL, OPT_V_DIR),
	CLOUD(OPT_MEM_PER_PROCESS, "mem-per-process", "mem_per_process",
	      "MEM_PER_PROCESS", OPT_T_POSITIVE, NULL,
	      "MiB of available memory each test process needs"),
	CLOUD(OPT_MAX_PROCESSES, "max-processes", "max_processes",
	      "MAX_PROCESSES", OPT_T_POSITIVE, NULL,
	      "most test processes on one node"),
	CLOUD(OPT_RSYNC_BANDWIDTH_LIMIT, "rsync-bandwidth-limit",
	      "rsync_bandwidth_limit", "RSYNC_BANDWIDTH_LIMIT",
	      OPT_T_UNSIGNED, "10000",
	      "KB/s for each rsync; 0 means no limit"),
	CLOUD(OPT_RSYNC_MAX_PROCESSES, "rsync-max-processes",
	      "rsync_max_processes", "RSYNC_MAX_PROCESSES", OPT_T_POSITIVE,
	      "all nodes", "most rsync processes at once"),
	CLOUD(OPT_RSYNC_CIPHER, "rsync-cipher", "rsync_cipher",
	      "RSYNC_CIPHER", OPT_T_STRING, "aes128-gcm@openssh.com",
	      "ssh cipher for rsync"),
	CLOUD_V(OPT_SSH_CONFIG, "ssh-config", "ssh_config", "SSH_CONFIG",
		OPT_T_STRING, "~/.ssh/config",
		"OpenSSH client config for every SSH connection of the run",
		NULL, OPT_V_FILE),
	CLOUD(OPT_CONNECT_TIMEOUT, "connect-timeout", "connect_timeout",
	      "CONNECT_TIMEOUT", OPT_T_POSITIVE, "10",
	      "seconds to set up each SSH connection"),
	CLOUD(OPT_MAX_CONNECTIONS, "max-connections", "max_connections",
	      "MAX_CONNECTIONS", OPT_T_POSITIVE, "128",
	      "most SSH connections being set up at once"),
	CLOUD(OPT_KEEPALIVE, "keepalive", "keepalive", "KEEPALIVE",
	      OPT_T_POSITIVE, "15",
	      "seconds of silence after which a node is lost"),
	CLOUD(OPT_SYNC_TIMEOUT, "sync-timeout", "sync_timeout",
	      "SYNC_TIMEOUT", OPT_T_POSITIVE, "300",
	      "seconds each node's copy may take, and again its steps after "
	      "the copy"),
	CLOUD(OPT_LOCK_TIMEOUT, "lock-timeout", "lock_timeout",
	      "LOCK_TIMEOUT", OPT_T_UNSIGNED, "600",
	      "seconds to wait for another run that uses the node's CHDIR; "
	      "0: do not wait"),
	CLOUD_V(OPT_REPORT, "report", "report", "REPORT", OPT_T_STRING, NULL,
		"JSON file the conftest writes at the end of the run: the "
		"plan, lost nodes and re-run tests",
		NULL, OPT_V_FILE),
	CLOUD_V(OPT_SCHEDULE, "schedule", "schedule", "SCHEDULE", OPT_T_STRING,
		"durations",
		"the order tests are handed out in when no --dist is given: "
		"durations (longest first, from earlier runs) or collection",
		"durations collection", OPT_V_TEXT),
	{ OPT_DEVELOP_EGGS, NULL, "cloud_develop_eggs",
	  "PYTEST_CLOUD_DEVELOP_EGGS", OPT_T_PATHS, NULL,
	  "packages installed in development mode on the nodes" },
	{ OPT_HELPER, NULL, "cloud_helper", "PYTEST_CLOUD_HELPER",
	  OPT_T_STRING, "pytest-cloud on PATH",
	  "helper binary the conftest runs", NULL, OPT_V_FILE },
	{ OPT_RSYNC_DIRS, NULL, "cloud_rsync_dirs", "PYTEST_CLOUD_RSYNC_DIRS",
	  OPT_T_PATHS, "the project root",
	  "the only folders copied (plus what the workers need)" },
	{ OPT_RSYNC_IGNORE, NULL, "cloud_rsync_ignore",
	  "PYTEST_CLOUD_RSYNC_IGNORE", OPT_T_PATHS, NULL,
	  "paths not copied" },
	{ OPT_RSYNCDIRS, NULL, "rsyncdirs", NULL, OPT_T_PATHS, "the project root",
	  "pytest-xdist's key (deprecated there): as cloud_rsync_dirs" },
	{ OPT_RSYNCIGNORE, NULL, "rsyncignore", NULL, OPT_T_PATHS, NULL,
	  "pytest-xdist's key (deprecated there): as cloud_rsync_ignore" },
	{ OPT_DRY_RUN, "--dry-run", NULL, NULL, OPT_T_FLAG, NULL,
	  "probe and plan, write nothing to any node" },
	{ OPT_QUIET, "--quiet", NULL, NULL, OPT_T_FLAG, NULL,
	  "errors only on stderr" },
	{ OPT_JSON, "--json", NULL, NULL, OPT_T_FLAG, NULL,
	  "JSON only: no table or progress on stderr" },
	{ OPT_ROOTDIR, "--rootdir", NULL, NULL, OPT_T_STRING, "detected",
	  "project root (pytest's rootdir)", NULL, OPT_V_DIR },
	{ OPT_INIFILE, "--inifile", NULL, NULL, OPT_T_STRING, "detected",
	  "ini file to read the cloud_* keys from", NULL, OPT_V_FILE },
	{ OPT_NO_INIFILE, "--no-inifile", NULL, NULL, OPT_T_FLAG, NULL,
	  "read no ini file (pytest found none)" },
	{ OPT_INTERPRETER_PREFIX, "--interpreter-prefix", NULL, NULL,
	  OPT_T_STRING, NULL,
	  "sys.prefix of the python running pytest (set by the conftest)",
	  NULL, OPT_V_DIR },
	{ OPT_PRINT_PROBE, "--print-probe", NULL, NULL, OPT_T_FLAG, NULL,
	  "print the probe's remote command and exit (for benchmarks)" },
	{ OPT_HOLD, "--hold", NULL, NULL, OPT_T_FLAG, NULL,
	  "keep each node's CHDIR locked until stdin closes (set by the "
	  "conftest for the test run)" },
	{ OPT_GATEWAY_CHECK, "--gateway-check", NULL, NULL, OPT_T_FLAG, NULL,
	  "leave the worker check to the conftest, which runs it in each "
	  "node's gateway (the plan carries it)" },
	{ OPT_CONFTEST_VERSION, "--conftest-version", NULL, NULL, OPT_T_STRING,
	  NULL,
	  "the release of the project's plugin that runs the helper (set by "
	  "the conftest): another contract stops here" },
	{ OPT_CONFTEST, "--conftest", NULL, NULL, OPT_T_STRING, NULL,
	  "the file of the project's plugin (set by the conftest; for "
	  "messages)",
	  NULL, OPT_V_FILE },
	{ OPT_HELP, "--help", NULL, NULL, OPT_T_FLAG, NULL,
	  "show the options" },
	{ OPT_VERSION, "--version", NULL, NULL, OPT_T_FLAG, NULL,
	  "show the version" },
};

const struct opt_def *opts_table(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const struct opt_def *opts_get(enum opt_id id)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].id == id) {
			return &table[i];
		}
	}
	return NULL;
}

const struct opt_def *opts_by_flag(const char *flag)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].flag != NULL && strcmp(table[i].flag, flag) == 0) {
			return &table[i];
		}
	}
	return NULL;
}

const struct opt_def *opts_by_ini(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (table[i].ini != NULL && strcmp(table[i].ini, key) == 0) {
			return &table[i];
		}
	}
	return NULL;
}

/* Levenshtein distance, capped: strings longer than 64 are "far". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a);
	size_t lb = strlen(b);
	size_t row[65];
	size_t i;
	size_t j;

	if (la > 64 || lb > 64) {
		return (size_t)-1;
	}
	for (j = 0; j <= lb; j++) {
		row[j] = j;
	}
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] == b[j - 1] ? 0 : 1);

			if (up + 1 < best) {
				best = up + 1;
			}
			if (row[j - 1] + 1 < best) {
				best = row[j - 1] + 1;
			}
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

static const char *nearest(const char *name, int by_ini)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const char *cand = by_ini ? table[i].ini : table[i].flag;
		size_t d;

		if (cand == NULL) {
			continue;
		}
		d = edit_distance(name, cand);
		if (d < best_d) {
			best_d = d;
			best = cand;
		}
	}
	/* farther than a third of the name is a guess, not a suggestion */
	if (best == NULL || best_d * 3 > strlen(name)) {
		return NULL;
	}
	return best;
}

int opts_is_choice(const struct opt_def *def, const char *value)
{
	const char *p = def->choices;
	size_t len = strlen(value);

	if (p == NULL) {
		return 1;
	}
	while (*p != '\0') {
		size_t w = strcspn(p, " ");

		if (w == len && strncmp(p, value, len) == 0) {
			return 1;
		}
		p += w;
		p += *p == ' ';
	}
	return 0;
}

const char *opts_nearest_flag(const char *flag)
{
	return nearest(flag, 0);
}

const char *opts_nearest_ini(const char *key)
{
	return nearest(key, 1);
}
