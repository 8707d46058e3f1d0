/*
 * opts: the one table of every option the helper understands.
 *
 * Each row names the option once for each source: its command-line flag,
 * its ini key and its environment variable (NULL where the option cannot
 * come from that source), its value type, its typed default and the field
 * of struct cloud_config that holds it (as git's parse-options and curl's
 * tool_getparam do).  The ini path, the environment path and the argv
 * path all look options up here and hand the raw text to the same
 * per-type parser in config.c, which stores it through the row.
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
	OPT_SSH_PERSIST,
	OPT_SYNC_TIMEOUT,
	OPT_LOCK_TIMEOUT,
	OPT_REPORT,
	OPT_TIMELINE,
	OPT_SCHEDULE,
	OPT_COPY_PYTHON,
	OPT_FORK,
	OPT_IN_PLACE,
	OPT_DEVELOP_EGGS,
	OPT_HELPER,
	OPT_RSYNC_DIRS,
	OPT_RSYNC_IGNORE,
	OPT_RSYNC_INCLUDE,
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
	OPT_STACK,
	OPT_HELP,
	OPT_VERSION,
	OPT_COUNT_,
	/* 'pytest-cloud init' (opts_init_table): no field of a run */
	OPT_INIT_NODES,
	OPT_INIT_INI,
	OPT_INIT_DRY_RUN,
	OPT_INIT_HELP
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
	size_t field;        /* offsetof its storage in struct cloud_config:
			      * struct strvec (nodes, paths), long
			      * (numbers), char * (strings), int (flags) */
	enum opt_id source;  /* the option whose source it records: itself,
			      * or the one it is another name of */
	long number;         /* default of a number */
	const char *string;  /* default of a string, or NULL (unset) */
	const char *shown;   /* the default in words, where the typed one
			      * does not say it ("all nodes"), or NULL */
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

/* The default as shown to people: shown, else the typed default (a
 * number other than 0, a string); NULL when there is none to show.  buf
 * holds a number's text. */
const char *opts_default_text(const struct opt_def *def, char *buf,
			      size_t len);

/* Whether value is one of def's choices (or def has none). */
int opts_is_choice(const struct opt_def *def, const char *value);

/*
 * Reads the option at argv[*i]: "--flag=value", "--flag value", a flag
 * alone, or pytest's "-c FILE" for --inifile; advances *i past it.
 * Returns 0 with its row in *def and its text in *value ("" for a
 * flag), or -1 with "command line: ..." or "--flag: ..." in err (an
 * unknown flag gets the nearest known one as a suggestion).
 */
int opts_parse_arg(int argc, char **argv, int *i, const struct opt_def **def,
		   const char **value, char *err, size_t errlen);

/* The same over table t (n rows): 'pytest-cloud init' reads its own
 * options (opts_init_table) with it. */
int opts_parse_in(const struct opt_def *t, size_t n, int argc, char **argv,
		  int *i, const struct opt_def **def, const char **value,
		  char *err, size_t errlen);

/* The options of 'pytest-cloud init'; *n receives how many.  Their rows
 * hold no field of a run's config. */
const struct opt_def *opts_init_table(size_t *n);

/* The ini key nearest to an unknown one by edit distance (for "did you
 * mean"), or NULL when nothing is reasonably close.  Static storage.
 * (Unknown flags get theirs from opts_parse_arg.) */
const char *opts_nearest_ini(const char *key);

#endif
