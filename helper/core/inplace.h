/*
 * inplace: a node that sees the controller's project at the same path
 * (an NFS home, the usual cluster set-up) runs the tests there, with no
 * copy, no marker, no lock and no --delete.  Pure.
 *
 * The same path is not proof of the same tree: a node may have a folder
 * of that name of its own.  So before the probe the helper writes a file
 * of a random name and text, PROJECT/.pytest_cache/pytest-cloud/seen-TOKEN
 * (inplace_mark_path; TOKEN is the run's), and the probe prints
 * "inplace yes" only when the node reads that very text at that very
 * path; the helper removes the file once every probe is done.  rsync
 * never sends .pytest_cache, so no copy can carry it.
 *
 * Such a node is "in place" when cloud_in_place is yes and the
 * virtualenv (if any) runs there as it is: its interpreter is the same
 * at the same path (interp.h INTERP_SAME), since an in-place virtualenv
 * is the user's own and is never repointed; otherwise it is copied as
 * any node.  Its folder is the project root itself, its worker python
 * the virtualenv's there (inplace_python).
 */
#ifndef PYTEST_CLOUD_INPLACE_H
#define PYTEST_CLOUD_INPLACE_H

#include "config.h"
#include "interp.h"

/* Where the mark goes, inside the project; newly allocated, NULL when out
 * of memory. */
char *inplace_mark_path(const char *rootdir, const char *token);

/* The folder of inplace_mark_path (made with its parents before the mark
 * is written); newly allocated, or NULL. */
char *inplace_mark_dir(const char *rootdir);

/* The probe's part, shell text (every value quoted): prints "inplace
 * yes" when the node reads token at inplace_mark_path, else "inplace no".
 * Newly allocated; NULL when out of memory. */
char *inplace_probe_part(const char *rootdir, const char *token);

/* 1 when a probe's output says "inplace yes", else 0. */
int inplace_seen(const char *probe_out);

/* Whether a node that sees the project may run it in place, given the
 * decision on its interpreter (INTERP_NONE without a virtualenv): 1, or
 * 0 with why (for the node's note) in buf. */
int inplace_usable(const struct cloud_config *cfg,
		   const struct interp_choice *interp, char *why,
		   size_t whylen);

/* The worker python of an in-place node (the virtualenv's in the
 * project, else cloud_python); newly allocated, or NULL. */
char *inplace_python(const struct cloud_config *cfg);

#endif
