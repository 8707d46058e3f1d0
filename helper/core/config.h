/*
 * config: the resolved options of one run.
 *
 * Sources are applied lowest first: defaults (config_init), the config
 * file (each entry through config_set; inifind.h reads the file), the
 * environment (config_apply_env), the command line (config_apply_argv);
 * then config_verify checks the combination and config_finish derives
 * CHDIR, the virtualenv and the worker python.
 *
 * Precedence rule: a source that sets an option replaces every value a
 * lower source gave it; within one source, list options (nodes, develop
 * eggs) accumulate and scalars take the last value.  Node names are kept
 * once, in the order first seen.
 *
 * Errors: every function returning int returns 0 on success and -1 on
 * error with one line written to err: where the value came from, then
 * what is wrong ("setup.cfg:7: cloud_max_processes: 'x' is not a whole
 * number").  Pure: no I/O.
 */
#ifndef PYTEST_CLOUD_CONFIG_H
#define PYTEST_CLOUD_CONFIG_H

#include <stddef.h>

#include "nodelist.h"
#include "opts.h"
#include "strvec.h"

enum config_source {
	SRC_DEFAULT = 0,
	SRC_INI = 1,
	SRC_ENV = 2,
	SRC_CLI = 3
};

struct cloud_config {
	struct strvec nodes;        /* de-duplicated, first-seen order */
	struct nodelist_caps caps;  /* CPUs per node in the Slurm job's
				     * allocation (@slurm), or none */
	const struct nodelist_io *io; /* host files and the Slurm job (the
				       * edge's, not owned); NULL: '^PATH'
				       * and '@slurm' are kept as typed */
	char *python;               /* never NULL after config_init */
	char *chdir;                /* NULL until set or config_finish */
	char *virtualenv_path;      /* as given, or NULL */
	long mem_per_process;       /* MiB; 0 = no memory limit */
	long max_processes;         /* 0 = no limit */
	long rsync_bandwidth_limit; /* KB/s; 0 = unlimited */
	long rsync_max_processes;   /* 0 = one per node */
	char *rsync_cipher;         /* never NULL after config_init */
	char *ssh_config;           /* NULL = ssh's own defaults */
	long connect_timeout;       /* seconds, >= 1 */
	long max_connections;       /* probes in flight, >= 1 */
	long keepalive;             /* seconds of silence: node lost */
	long ssh_persist;           /* seconds a master stays after the run
				     * (sshmux.h); 0: it ends with it */
	long sync_timeout;          /* seconds for a node's copy, and again
				     * for its after-copy steps */
	long lock_timeout;          /* seconds to wait for a busy CHDIR */
	char *report;               /* the conftest's report file, or NULL */
	char *timeline;             /* the conftest's timeline file, or NULL */
	char *schedule;             /* "durations" or "collection" */
	char *copy_python;          /* "yes" or "no" */
	char *fork;                 /* "yes" or "no" */
	char *in_place;             /* "yes" or "no" */
	struct strvec develop_eggs; /* absolute, or relative to rootdir; after
				     * config_finish relative to rootdir */
	struct strvec rsyncdirs;    /* likewise */
	struct strvec rsyncignore;  /* likewise */
	struct strvec rsyncinclude; /* likewise */
	char *helper;

	int dry_run;
	int quiet;
	int json_only;
	int help;
	int version;
	int no_inifile;
	int print_probe;
	int hold;
	int gateway_check;
	char *rootdir;            /* absolute; set by the caller or --rootdir */
	char *inifile;            /* NULL when the run has no ini file */
	char *interpreter_prefix; /* sys.prefix given by the conftest */
	char *conftest_version;   /* the plugin copy's release, or NULL */
	char *conftest;           /* the plugin copy's file, or NULL */
	char *stack;              /* what the plugin runs on, or NULL */

	/* derived by config_finish */
	char *venv_rel;      /* virtualenv relative to rootdir, or NULL */
	char *inifile_rel;   /* inifile relative to rootdir, or NULL */
	char *worker_python; /* python= of the xdist specs */
	char *git_needed_by; /* set by the run: "develop egg 'x' takes its
			      * version from git (hatch-vcs)", or NULL */

	enum config_source src[OPT_COUNT_];
	enum opt_id set_by[OPT_COUNT_]; /* the row that set it (another name
					 * of it, as rsyncdirs, counts) */
};

/* Fills cfg with the defaults.  Returns 0, or -1 when out of memory. */
int config_init(struct cloud_config *cfg);

/* Frees every field; cfg may be config_init()ed again. */
void config_release(struct cloud_config *cfg);

/*
 * Sets one option from raw text.  origin names the source for messages
 * ("--cloud-nodes", "PYTEST_CLOUD_NODES", "pytest.ini:3: cloud_nodes").
 * Node lists go through nodelist.h with cfg->io: a relative '^PATH' of
 * the environment is taken against cfg->rootdir (the project root), of
 * the command line against the current folder (the ini file's were made
 * absolute against its folder by inifile.h).
 */
int config_set(struct cloud_config *cfg, const struct opt_def *def,
	       const char *value, enum config_source src, const char *origin,
	       char *err, size_t errlen);

/* Checks the node words of value (nodelist.h without io: a range's every
 * name; '^PATH' and '@slurm' by their form) and adds the words as typed
 * to nodes, each once, in the order first seen: pytest-cloud init's
 * --nodes, which writes them so. */
int config_add_nodes(struct strvec *nodes, const char *value,
		     const char *origin, char *err, size_t errlen);

/*
 * Applies the environment.  getenv_fn looks a variable up (getenv, or a
 * table in tests).  Empty variables count as unset.
 */
int config_apply_env(struct cloud_config *cfg,
		     const char *(*getenv_fn)(const char *name), char *err,
		     size_t errlen);

/* Applies argv[1..argc-1]: "--flag=value", "--flag value" and flags. */
int config_apply_argv(struct cloud_config *cfg, int argc, char **argv,
		      char *err, size_t errlen);

/*
 * Checks what no single value shows: at least one node, a CHDIR that
 * stays inside the remote home, names safe for the remote shell.
 */
int config_verify(const struct cloud_config *cfg, char *err, size_t errlen);

/*
 * Derives chdir (default pytest_<local_user>_<rootdir name>), venv_rel and
 * worker_python, and makes the path lists relative to rootdir (a develop
 * egg or rsyncdir outside it is an error).  virtual_env is $VIRTUAL_ENV or NULL.  A virtualenv given
 * with --cloud-virtualenv-path outside rootdir is an error; a detected one
 * outside rootdir is ignored (the workers use --cloud-python).
 */
int config_finish(struct cloud_config *cfg, const char *local_user,
		  const char *virtual_env, char *err, size_t errlen);

#endif
