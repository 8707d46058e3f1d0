/*
 * resolve: every option of the run from its sources, lowest first:
 * defaults, the config file pytest would use (found from the current
 * folder, or --inifile / --rootdir), the environment, the command line;
 * then the checks and what is derived (config.h); the version handshake
 * with the project's copy of the plugin first (adopt.h).
 */
#ifndef PYTEST_CLOUD_RESOLVE_H
#define PYTEST_CLOUD_RESOLVE_H

#include "run.h"

enum resolve_result {
	RESOLVE_RUN,       /* run->cfg holds the run's options */
	RESOLVE_SHOWN,     /* --help or --version was printed: done */
	RESOLVE_BAD_INPUT, /* said on stderr; nothing was contacted */
	RESOLVE_INTERNAL   /* out of memory (said) */
};

/* Fills run->cfg from argv, the environment and the config file. */
enum resolve_result resolve(struct run *run, int argc, char **argv);

/* The local user's name (for CHDIR and lock owners); malloc'ed, NULL
 * when out of memory. */
char *local_user(void);

/* This machine's host name (for CHDIR's marker and lock owners);
 * malloc'ed, NULL when out of memory. */
char *local_host(void);

#endif
