/* opts: the option table (see opts.h). */
#include "opts.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

#define F(member) offsetof(struct cloud_config, member)

/* Every option: where it comes from, its type and typed default, and
 * the field of struct cloud_config that holds it. */
static const struct opt_def table[] = {
	{ .id = OPT_NODE,
	  .flag = "--cloud-node",
	  .type = OPT_T_NODES,
	  .field = F(nodes),
	  .source = OPT_NODES,
	  .meaning = "a node to run tests on, [user@]host[:port], a range "
	      "node[01-16], ^HOSTFILE or @slurm; repeatable" },
	{ .id = OPT_NODES,
	  .flag = "--cloud-nodes",
	  .ini = "cloud_nodes",
	  .env = "PYTEST_CLOUD_NODES",
	  .type = OPT_T_NODES,
	  .field = F(nodes),
	  .source = OPT_NODES,
	  .meaning = "space-separated nodes to run tests on (ranges, ^HOSTFILE, "
	      "@slurm too); repeatable" },
	{ .id = OPT_PYTHON,
	  .flag = "--cloud-python",
	  .ini = "cloud_python",
	  .env = "PYTEST_CLOUD_PYTHON",
	  .type = OPT_T_STRING,
	  .field = F(python),
	  .source = OPT_PYTHON,
	  .string = "python3",
	  .meaning = "python on the nodes, used when no virtualenv is synced" },
	{ .id = OPT_CHDIR,
	  .flag = "--cloud-chdir",
	  .ini = "cloud_chdir",
	  .env = "PYTEST_CLOUD_CHDIR",
	  .type = OPT_T_STRING,
	  .field = F(chdir),
	  .source = OPT_CHDIR,
	  .shown = "pytest_<user>_<rootdir name>",
	  .meaning = "folder on the nodes, relative to the remote home, that "
	      "receives the project" },
	{ .id = OPT_VIRTUALENV_PATH,
	  .flag = "--cloud-virtualenv-path",
	  .ini = "cloud_virtualenv_path",
	  .env = "PYTEST_CLOUD_VIRTUALENV_PATH",
	  .type = OPT_T_STRING,
	  .field = F(virtualenv_path),
	  .source = OPT_VIRTUALENV_PATH,
	  .shown = "detected",
	  .value = OPT_V_DIR,
	  .meaning = "virtualenv inside the project root that the workers use" },
	{ .id = OPT_MEM_PER_PROCESS,
	  .flag = "--cloud-mem-per-process",
	  .ini = "cloud_mem_per_process",
	  .env = "PYTEST_CLOUD_MEM_PER_PROCESS",
	  .type = OPT_T_POSITIVE,
	  .field = F(mem_per_process),
	  .source = OPT_MEM_PER_PROCESS,
	  .meaning = "MiB of available memory each test process needs" },
	{ .id = OPT_MAX_PROCESSES,
	  .flag = "--cloud-max-processes",
	  .ini = "cloud_max_processes",
	  .env = "PYTEST_CLOUD_MAX_PROCESSES",
	  .type = OPT_T_POSITIVE,
	  .field = F(max_processes),
	  .source = OPT_MAX_PROCESSES,
	  .meaning = "most test processes on one node" },
	{ .id = OPT_RSYNC_BANDWIDTH_LIMIT,
	  .flag = "--cloud-rsync-bandwidth-limit",
	  .ini = "cloud_rsync_bandwidth_limit",
	  .env = "PYTEST_CLOUD_RSYNC_BANDWIDTH_LIMIT",
	  .type = OPT_T_UNSIGNED,
	  .field = F(rsync_bandwidth_limit),
	  .source = OPT_RSYNC_BANDWIDTH_LIMIT,
	  .number = 10000,
	  .meaning = "KB/s for each rsync; 0 means no limit" },
	{ .id = OPT_RSYNC_MAX_PROCESSES,
	  .flag = "--cloud-rsync-max-processes",
	  .ini = "cloud_rsync_max_processes",
	  .env = "PYTEST_CLOUD_RSYNC_MAX_PROCESSES",
	  .type = OPT_T_POSITIVE,
	  .field = F(rsync_max_processes),
	  .source = OPT_RSYNC_MAX_PROCESSES,
	  .shown = "all nodes",
	  .meaning = "most rsync processes at once" },
	{ .id = OPT_RSYNC_CIPHER,
	  .flag = "--cloud-rsync-cipher",
	  .ini = "cloud_rsync_cipher",
	  .env = "PYTEST_CLOUD_RSYNC_CIPHER",
	  .type = OPT_T_STRING,
	  .field = F(rsync_cipher),
	  .source = OPT_RSYNC_CIPHER,
	  .string = "aes128-gcm@openssh.com",
	  .meaning = "ssh cipher for rsync" },
	{ .id = OPT_SSH_CONFIG,
	  .flag = "--cloud-ssh-config",
	  .ini = "cloud_ssh_config",
	  .env = "PYTEST_CLOUD_SSH_CONFIG",
	  .type = OPT_T_STRING,
	  .field = F(ssh_config),
	  .source = OPT_SSH_CONFIG,
	  .shown = "~/.ssh/config",
	  .value = OPT_V_FILE,
	  .meaning = "OpenSSH client config for every SSH connection of the run" },
	{ .id = OPT_CONNECT_TIMEOUT,
	  .flag = "--cloud-connect-timeout",
	  .ini = "cloud_connect_timeout",
	  .env = "PYTEST_CLOUD_CONNECT_TIMEOUT",
	  .type = OPT_T_POSITIVE,
	  .field = F(connect_timeout),
	  .source = OPT_CONNECT_TIMEOUT,
	  .number = 10,
	  .meaning = "seconds to set up each SSH connection" },
	{ .id = OPT_MAX_CONNECTIONS,
	  .flag = "--cloud-max-connections",
	  .ini = "cloud_max_connections",
	  .env = "PYTEST_CLOUD_MAX_CONNECTIONS",
	  .type = OPT_T_POSITIVE,
	  .field = F(max_connections),
	  .source = OPT_MAX_CONNECTIONS,
	  .number = 128,
	  .meaning = "most SSH connections being set up at once" },
	{ .id = OPT_KEEPALIVE,
	  .flag = "--cloud-keepalive",
	  .ini = "cloud_keepalive",
	  .env = "PYTEST_CLOUD_KEEPALIVE",
	  .type = OPT_T_POSITIVE,
	  .field = F(keepalive),
	  .source = OPT_KEEPALIVE,
	  .number = 15,
	  .meaning = "seconds of silence after which a node is lost" },
	{ .id = OPT_SSH_PERSIST,
	  .flag = "--cloud-ssh-persist",
	  .ini = "cloud_ssh_persist",
	  .env = "PYTEST_CLOUD_SSH_PERSIST",
	  .type = OPT_T_UNSIGNED,
	  .field = F(ssh_persist),
	  .source = OPT_SSH_PERSIST,
	  .number = 300,
	  .meaning = "seconds each node's SSH master connection stays after the "
	      "run, for the next run; 0: it ends with the run" },
	{ .id = OPT_SYNC_TIMEOUT,
	  .flag = "--cloud-sync-timeout",
	  .ini = "cloud_sync_timeout",
	  .env = "PYTEST_CLOUD_SYNC_TIMEOUT",
	  .type = OPT_T_POSITIVE,
	  .field = F(sync_timeout),
	  .source = OPT_SYNC_TIMEOUT,
	  .number = 300,
	  .meaning = "seconds each node's copy may take, and again its steps after "
	      "the copy" },
	{ .id = OPT_LOCK_TIMEOUT,
	  .flag = "--cloud-lock-timeout",
	  .ini = "cloud_lock_timeout",
	  .env = "PYTEST_CLOUD_LOCK_TIMEOUT",
	  .type = OPT_T_UNSIGNED,
	  .field = F(lock_timeout),
	  .source = OPT_LOCK_TIMEOUT,
	  .number = 600,
	  .meaning = "seconds to wait for another run that uses the node's CHDIR; "
	      "0: do not wait" },
	{ .id = OPT_REPORT,
	  .flag = "--cloud-report",
	  .ini = "cloud_report",
	  .env = "PYTEST_CLOUD_REPORT",
	  .type = OPT_T_STRING,
	  .field = F(report),
	  .source = OPT_REPORT,
	  .value = OPT_V_FILE,
	  .meaning = "JSON file the conftest writes at the end of the run: the "
		"plan, lost nodes and re-run tests" },
	{ .id = OPT_TIMELINE,
	  .flag = "--cloud-timeline",
	  .ini = "cloud_timeline",
	  .env = "PYTEST_CLOUD_TIMELINE",
	  .type = OPT_T_STRING,
	  .field = F(timeline),
	  .source = OPT_TIMELINE,
	  .value = OPT_V_FILE,
	  .meaning = "HTML file the conftest writes at the end of the run: every "
		"worker's tests on a timeline" },
	{ .id = OPT_SCHEDULE,
	  .flag = "--cloud-schedule",
	  .ini = "cloud_schedule",
	  .env = "PYTEST_CLOUD_SCHEDULE",
	  .type = OPT_T_STRING,
	  .field = F(schedule),
	  .source = OPT_SCHEDULE,
	  .string = "durations",
	  .choices = "durations collection",
	  .meaning = "the order tests are handed out in when no --dist is given: "
		"durations (longest first, from earlier runs) or collection" },
	{ .id = OPT_COPY_PYTHON,
	  .flag = "--cloud-copy-python",
	  .ini = "cloud_copy_python",
	  .env = "PYTEST_CLOUD_COPY_PYTHON",
	  .type = OPT_T_STRING,
	  .field = F(copy_python),
	  .source = OPT_COPY_PYTHON,
	  .string = "yes",
	  .choices = "yes no",
	  .meaning = "copy the virtualenv's interpreter to a node that has no "
		"python of its version: yes or no" },
	{ .id = OPT_FORK,
	  .flag = "--cloud-fork",
	  .ini = "cloud_fork",
	  .env = "PYTEST_CLOUD_FORK",
	  .type = OPT_T_STRING,
	  .field = F(fork),
	  .source = OPT_FORK,
	  .string = "yes",
	  .choices = "yes no",
	  .meaning = "start a node's workers as forks of one process that has "
		"imported and collected the suite: yes or no" },
	{ .id = OPT_IN_PLACE,
	  .flag = "--cloud-in-place",
	  .ini = "cloud_in_place",
	  .env = "PYTEST_CLOUD_IN_PLACE",
	  .type = OPT_T_STRING,
	  .field = F(in_place),
	  .source = OPT_IN_PLACE,
	  .string = "yes",
	  .choices = "yes no",
	  .meaning = "run the tests in the project itself on a node that sees "
		"it at the same path (a shared file system), copying nothing: "
		"yes or no" },
	{ .id = OPT_DEVELOP_EGGS,
	  .ini = "cloud_develop_eggs",
	  .env = "PYTEST_CLOUD_DEVELOP_EGGS",
	  .type = OPT_T_PATHS,
	  .field = F(develop_eggs),
	  .source = OPT_DEVELOP_EGGS,
	  .meaning = "packages installed in development mode on the nodes" },
	{ .id = OPT_HELPER,
	  .ini = "cloud_helper",
	  .env = "PYTEST_CLOUD_HELPER",
	  .type = OPT_T_STRING,
	  .field = F(helper),
	  .source = OPT_HELPER,
	  .shown = "pytest-cloud on PATH",
	  .value = OPT_V_FILE,
	  .meaning = "helper binary the conftest runs" },
	{ .id = OPT_RSYNC_DIRS,
	  .ini = "cloud_rsync_dirs",
	  .env = "PYTEST_CLOUD_RSYNC_DIRS",
	  .type = OPT_T_PATHS,
	  .field = F(rsyncdirs),
	  .source = OPT_RSYNC_DIRS,
	  .shown = "the project root",
	  .meaning = "the only folders copied (plus what the workers need)" },
	{ .id = OPT_RSYNC_IGNORE,
	  .ini = "cloud_rsync_ignore",
	  .env = "PYTEST_CLOUD_RSYNC_IGNORE",
	  .type = OPT_T_PATHS,
	  .field = F(rsyncignore),
	  .source = OPT_RSYNC_IGNORE,
	  .meaning = "paths not copied" },
	{ .id = OPT_RSYNC_INCLUDE,
	  .ini = "cloud_rsync_include",
	  .env = "PYTEST_CLOUD_RSYNC_INCLUDE",
	  .type = OPT_T_PATHS,
	  .field = F(rsyncinclude),
	  .source = OPT_RSYNC_INCLUDE,
	  .meaning = "paths copied although left out by default (.git, .env, "
		"...)" },
	{ .id = OPT_RSYNCDIRS,
	  .ini = "rsyncdirs",
	  .type = OPT_T_PATHS,
	  .field = F(rsyncdirs),
	  .source = OPT_RSYNC_DIRS,
	  .shown = "the project root",
	  .meaning = "pytest-xdist's key (deprecated there): as cloud_rsync_dirs" },
	{ .id = OPT_RSYNCIGNORE,
	  .ini = "rsyncignore",
	  .type = OPT_T_PATHS,
	  .field = F(rsyncignore),
	  .source = OPT_RSYNC_IGNORE,
	  .meaning = "pytest-xdist's key (deprecated there): as cloud_rsync_ignore" },
	{ .id = OPT_DRY_RUN,
	  .flag = "--dry-run",
	  .type = OPT_T_FLAG,
	  .field = F(dry_run),
	  .source = OPT_DRY_RUN,
	  .meaning = "probe and plan, write nothing to any node" },
	{ .id = OPT_QUIET,
	  .flag = "--quiet",
	  .type = OPT_T_FLAG,
	  .field = F(quiet),
	  .source = OPT_QUIET,
	  .meaning = "errors only on stderr" },
	{ .id = OPT_JSON,
	  .flag = "--json",
	  .type = OPT_T_FLAG,
	  .field = F(json_only),
	  .source = OPT_JSON,
	  .meaning = "JSON only: no table or progress on stderr" },
	{ .id = OPT_ROOTDIR,
	  .flag = "--rootdir",
	  .type = OPT_T_STRING,
	  .field = F(rootdir),
	  .source = OPT_ROOTDIR,
	  .shown = "detected",
	  .value = OPT_V_DIR,
	  .meaning = "project root (pytest's rootdir)" },
	{ .id = OPT_INIFILE,
	  .flag = "--inifile",
	  .type = OPT_T_STRING,
	  .field = F(inifile),
	  .source = OPT_INIFILE,
	  .shown = "detected",
	  .value = OPT_V_FILE,
	  .meaning = "ini file to read the cloud_* keys from" },
	{ .id = OPT_NO_INIFILE,
	  .flag = "--no-inifile",
	  .type = OPT_T_FLAG,
	  .field = F(no_inifile),
	  .source = OPT_NO_INIFILE,
	  .meaning = "read no ini file (pytest found none)" },
	{ .id = OPT_INTERPRETER_PREFIX,
	  .flag = "--interpreter-prefix",
	  .type = OPT_T_STRING,
	  .field = F(interpreter_prefix),
	  .source = OPT_INTERPRETER_PREFIX,
	  .value = OPT_V_DIR,
	  .meaning = "sys.prefix of the python running pytest (set by the conftest)" },
	{ .id = OPT_PRINT_PROBE,
	  .flag = "--print-probe",
	  .type = OPT_T_FLAG,
	  .field = F(print_probe),
	  .source = OPT_PRINT_PROBE,
	  .meaning = "print the probe's remote command and exit (for benchmarks)" },
	{ .id = OPT_HOLD,
	  .flag = "--hold",
	  .type = OPT_T_FLAG,
	  .field = F(hold),
	  .source = OPT_HOLD,
	  .meaning = "keep each node's CHDIR locked until stdin closes (set by the "
	  "conftest for the test run)" },
	{ .id = OPT_GATEWAY_CHECK,
	  .flag = "--gateway-check",
	  .type = OPT_T_FLAG,
	  .field = F(gateway_check),
	  .source = OPT_GATEWAY_CHECK,
	  .meaning = "leave the worker check to the conftest, which runs it in each "
	  "node's gateway (the plan carries it)" },
	{ .id = OPT_CONFTEST_VERSION,
	  .flag = "--conftest-version",
	  .type = OPT_T_STRING,
	  .field = F(conftest_version),
	  .source = OPT_CONFTEST_VERSION,
	  .meaning = "the release of the project's plugin that runs the helper (set by "
	  "the conftest): another contract stops here" },
	{ .id = OPT_CONFTEST,
	  .flag = "--conftest",
	  .type = OPT_T_STRING,
	  .field = F(conftest),
	  .source = OPT_CONFTEST,
	  .value = OPT_V_FILE,
	  .meaning = "the file of the project's plugin (set by the conftest; for "
	  "messages)" },
	{ .id = OPT_STACK,
	  .flag = "--stack",
	  .type = OPT_T_STRING,
	  .field = F(stack),
	  .source = OPT_STACK,
	  .meaning = "what the plugin runs on (pytest, pytest-xdist, execnet, "
	  "Python versions), named in the run's first line (set by the "
	  "conftest)" },
	{ .id = OPT_HELP,
	  .flag = "--help",
	  .type = OPT_T_FLAG,
	  .field = F(help),
	  .source = OPT_HELP,
	  .meaning = "show the options" },
	{ .id = OPT_VERSION,
	  .flag = "--version",
	  .type = OPT_T_FLAG,
	  .field = F(version),
	  .source = OPT_VERSION,
	  .meaning = "show the version" },
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

static const char *nearest(const struct opt_def *t, size_t n,
			   const char *name, int by_ini)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *cand = by_ini ? t[i].ini : t[i].flag;
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

const char *opts_default_text(const struct opt_def *def, char *buf,
			      size_t len)
{
	if (def->shown != NULL) {
		return def->shown;
	}
	if (def->string != NULL) {
		return def->string;
	}
	if ((def->type == OPT_T_POSITIVE || def->type == OPT_T_UNSIGNED) &&
	    def->number != 0) {
		snprintf(buf, len, "%ld", def->number);
		return buf;
	}
	return NULL;
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

const char *opts_nearest_ini(const char *key)
{
	return nearest(table, sizeof(table) / sizeof(table[0]), key, 1);
}

static int unknown_option(const struct opt_def *t, size_t n,
			  const char *flag, char *err, size_t errlen)
{
	const char *near = nearest(t, n, flag, 0);

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

/* The row of t whose flag is exactly flag, or NULL. */
static const struct opt_def *by_flag_in(const struct opt_def *t, size_t n,
					const char *flag)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].flag != NULL && strcmp(t[i].flag, flag) == 0) {
			return &t[i];
		}
	}
	return NULL;
}

int opts_parse_in(const struct opt_def *t, size_t n, int argc, char **argv,
		  int *i, const struct opt_def **def, const char **value,
		  char *err, size_t errlen)
{
	const char *arg = argv[*i];
	const char *eq = strchr(arg, '=');
	size_t flaglen = eq ? (size_t)(eq - arg) : strlen(arg);
	char flag[128];

	if (t == table && strcmp(arg, "-c") == 0) {
		arg = "--inifile"; /* pytest's short form */
		flaglen = strlen(arg);
	} else if (strncmp(arg, "--", 2) != 0) {
		snprintf(err, errlen, "command line: unexpected argument '%s'",
			 arg);
		return -1;
	}
	if (flaglen >= sizeof(flag)) {
		flaglen = sizeof(flag) - 1;
	}
	memcpy(flag, arg, flaglen);
	flag[flaglen] = '\0';
	*def = by_flag_in(t, n, flag);
	if (*def == NULL) {
		return unknown_option(t, n, flag, err, errlen);
	}
	(*i)++;
	if ((*def)->type == OPT_T_FLAG) {
		if (eq != NULL) {
			snprintf(err, errlen, "%s: takes no value", flag);
			return -1;
		}
		*value = "";
	} else if (eq != NULL) {
		*value = eq + 1;
	} else if (*i < argc) {
		*value = argv[(*i)++];
	} else {
		snprintf(err, errlen, "%s: missing value", flag);
		return -1;
	}
	return 0;
}

int opts_parse_arg(int argc, char **argv, int *i, const struct opt_def **def,
		   const char **value, char *err, size_t errlen)
{
	return opts_parse_in(table, sizeof(table) / sizeof(table[0]), argc,
			     argv, i, def, value, err, errlen);
}

/* 'pytest-cloud init': its own few options, parsed the same way. */
static const struct opt_def init_table[] = {
	{ .id = OPT_INIT_NODES,
	  .flag = "--nodes",
	  .type = OPT_T_NODES,
	  .source = OPT_INIT_NODES,
	  .meaning = "space-separated nodes to put in cloud_nodes" },
	{ .id = OPT_INIT_INI,
	  .flag = "--ini",
	  .type = OPT_T_STRING,
	  .source = OPT_INIT_INI,
	  .value = OPT_V_FILE,
	  .meaning = "the config file to add cloud_nodes to (as pytest -c)" },
	{ .id = OPT_INIT_DRY_RUN,
	  .flag = "--dry-run",
	  .type = OPT_T_FLAG,
	  .source = OPT_INIT_DRY_RUN,
	  .meaning = "show what would change, write nothing" },
	{ .id = OPT_INIT_HELP,
	  .flag = "--help",
	  .type = OPT_T_FLAG,
	  .source = OPT_INIT_HELP,
	  .meaning = "show init's options" },
};

const struct opt_def *opts_init_table(size_t *n)
{
	*n = sizeof(init_table) / sizeof(init_table[0]);
	return init_table;
}
