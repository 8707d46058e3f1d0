/*
 * develop: what each node does after the sync, over the probe's session:
 *   cd CHDIR; remove stale *.pyc outside the virtualenv     (exit 97)
 *   pip install --no-index --no-deps --no-build-isolation
 *       -e EGG ... into the synced virtualenv (if any eggs) (exit 98)
 *   the worker python imports pytest, xdist and every top-level package
 *   or module of each egg, from the node's copy             (its status)
 * Pure: builds the command (every value through shquote), prints nothing.
 */
#ifndef PYTEST_CLOUD_DEVELOP_H
#define PYTEST_CLOUD_DEVELOP_H

#include <stddef.h>

#include "config.h"

/* The remote command ("exec /bin/sh -c '...'"), newly allocated; NULL
 * when out of memory.  Needs config_finish()ed cfg. */
char *develop_prepare_command(const struct cloud_config *cfg);

/* Names the step that failed with the command's exit status; the text
 * is in buf (or static) and returned. */
const char *develop_step(const struct cloud_config *cfg, int status,
			 char *buf, size_t len);

#endif
