/*
 * develop: what each node does after the sync, over the probe's session
 * (described once, here; develop.c builds it):
 *   cd CHDIR; point the virtualenv at the node's python, where it has
 *   another (interp.h)                     (exit DEVELOP_EXIT_PYTHON)
 *   remove stale *.pyc outside the virtualenv
 *                                          (exit DEVELOP_EXIT_PYC)
 *   pip install --no-index --no-deps --no-build-isolation
 *       -e EGG ... into the synced virtualenv (if any eggs)
 *                                          (exit DEVELOP_EXIT_EGGS)
 *   the worker python imports pytest, xdist and every top-level package
 *   or module of each egg, from the node's copy (its own status); with
 *   --gateway-check this step is the conftest's, in each node's gateway
 *   (one python fewer per node).
 * Nodes that share one folder (a shared home) run the steps once, through
 * one of them; the others run only the worker check.
 * Pure: builds the command (every value through shquote), prints nothing.
 */
#ifndef PYTEST_CLOUD_DEVELOP_H
#define PYTEST_CLOUD_DEVELOP_H

#include <stddef.h>

#include "config.h"
#include "strvec.h"

/* Exit statuses of the script's own steps, which develop_step names. */
#define DEVELOP_EXIT_PYTHON 96 /* the virtualenv pointed at the node's
				* python (interp.h) */
#define DEVELOP_EXIT_PYC 97
#define DEVELOP_EXIT_EGGS 98

/* The remote command ("exec /bin/sh -c '...'"), newly allocated; NULL
 * when out of memory.  whole: every step; 0: only the worker check (a
 * node that shares another node's folder, which made it ready), which is
 * "exit 0" with --gateway-check.  first (may be NULL): shell text run in
 * CHDIR before the steps (interp_repoint: exit DEVELOP_EXIT_PYTHON).
 * Needs config_finish()ed cfg. */
char *develop_prepare_command(const struct cloud_config *cfg, int whole,
			      const char *first);

/*
 * The worker check's python source (static): run by the worker python in
 * CHDIR, with develop_check_args as its arguments (sys.argv[1:]); it
 * exits non-zero with the reason when pytest, xdist or an egg's package
 * does not import, or imports from elsewhere than the node's copy.  The
 * plan carries it for the conftest (--gateway-check).
 */
const char *develop_worker_check(void);

/* Appends the check's arguments ("./EGG" for each develop egg) to out.
 * Returns 0 or -1 (out of memory). */
int develop_check_args(const struct cloud_config *cfg, struct strvec *out);

/* Names the step that failed with the command's exit status; the text
 * is in buf (or static) and returned. */
const char *develop_step(const struct cloud_config *cfg, int status,
			 char *buf, size_t len);

#endif
