/*
 * opts: the one table of every option the helper understands.
 *
 * Each row names the option once for each source: its command-line flag,
 * its ini key and its environment variable (NULL where the option cannot
 * come from that source), its value type and its default.  The ini path,
 * the environment path and the argv path all look options up here and
 * hand the raw text to the same per-type parser in config.c.
 */
#ifndef PYTEST_CLOUD_OPTS_H
#define PYTEST_CLOUD_OPTS_H

#include <stddef.h>

enum opt_id {
	OPT_NODE,
	OPT_NODES,
	OPT_PYTHON,
	OPT_CHDIR,
	OPT_VIRTUALENV_PATH,
	OPT_MEM_PER_PROCESS,
	OPT_MAX_PROCESSES,
	OPT_RSYNC_BANDWIDTH_LIMIT,
	OPT_RSYNC_MAX_PROCESSES,
	OPT_RSYNC_CIPHER,
	OPT_SSH_CONFIG,
	OPT_CONNECT_TIMEOUT,
	OPT_MAX_CONNECTIONS,
	OPT_KEEPALIVE,
	OPT_SYNC_TIMEOUT,
	OPT_LOCK_TIMEOUT,
	OPT_REPORT,
	OPT_SCHEDULE,
	OPT_DEVELOP_EGGS,
	OPT_HELPER,
	OPT_RSYNC_DIRS,
	OPT_RSYNC_IGNORE,
	OPT_RSYNCDIRS,
	OPT_RSYNCIGNORE,
	/* run options: command line of the helper only */
	OPT_DRY_RUN,
	OPT_QUIET,
	OPT_JSON,
	OPT_ROOTDIR,
	OPT_INIFILE,
	OPT_NO_INIFILE,
	OPT_INTERPRETER_PREFIX,
	OPT_PRINT_PROBE,
	OPT_HOLD,
	OPT_GATEWAY_CHECK,
	OPT_CONFTEST_VERSION,
	OPT_CONFTEST,
	OPT_HELP,
	OPT_VERSION,
	OPT_COUNT_
};

enum opt_type {
	OPT_T_NODES,    /* whitespace-separated node names, accumulate */
	OPT_T_STRING,   /* non-empty string */
	OPT_T_POSITIVE, /* whole number >= 1 */
	OPT_T_UNSIGNED, /* whole number >= 0 */
	OPT_T_PATHS,    /* whitespace-separated paths, accumulate */
	OPT_T_FLAG      /* no value */
};

/* What a value names, for completion and the man page. */
enum opt_value {
	OPT_V_TEXT = 0, /* anything of its type */
	OPT_V_FILE,     /* a local file */
	OPT_V_DIR       /* a local folder */
};

struct opt_def {
	enum opt_id id;
	const char *flag; /* "--cloud-mem-per-process", or NULL */
	const char *ini;  /* "cloud_mem_per_process", or NULL */
	const char *env;  /* "PYTEST_CLOUD_MEM_PER_PROCESS", or NULL */
	enum opt_type type;
	const char *defval; /* default as shown to people, or NULL */
	const char *meaning;
	const char *choices; /* the only values, space-separated, or NULL */
	enum opt_value value;
};

/* The whole table; *n receives its length.  Static storage. */
const struct opt_def *opts_table(size_t *n);

/* The row for an id (never NULL for a valid id). */
const struct opt_def *opts_get(enum opt_id id);

/* The row whose flag is exactly flag (no "=value" part), or NULL. */
const struct opt_def *opts_by_flag(const char *flag);

/* The row whose ini key is key, or NULL. */
const struct opt_def *opts_by_ini(const char *key);

/* Whether value is one of def's choices (or def has none). */
int opts_is_choice(const struct opt_def *def, const char *value);

/* The flag nearest to an unknown flag by edit distance (for "did you
 * mean"), or NULL when nothing is reasonably close.  Static storage. */
const char *opts_nearest_flag(const char *flag);

/* The same for an unknown ini key. */
const char *opts_nearest_ini(const char *key);

#endif
