/*
 * venv: what this machine knows of the project's virtualenv before any
 * node is contacted (interp.h): its base interpreter (the links in
 * VENV/bin that leave bin, their real path, the prefix it lives in and
 * whether it runs from another path), its Python version (pyvenv.cfg),
 * this machine's architecture, C library and home, and whether the
 * virtualenv holds compiled extensions.  Edge: reads files.
 */
#ifndef PYTEST_CLOUD_VENV_H
#define PYTEST_CLOUD_VENV_H

#include <stddef.h>

#include "config.h"
#include "interp.h"

/*
 * Fills b for cfg's virtualenv (cfg->venv_rel).  Returns 0; 1 when the
 * virtualenv names no base interpreter this can follow (no pyvenv.cfg or
 * no version in it: why says so, and the nodes must have it at the same
 * path, as before); -1 when out of memory.
 */
int venv_inspect(const struct cloud_config *cfg, struct interp_base *b,
		 char *why, size_t len);

#endif
