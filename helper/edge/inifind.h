/*
 * inifind: the config file on disk: found from a folder upwards as pytest
 * finds it (the rules are inifile.h's), read, and applied.  The edge of
 * inifile: it reads files and says warnings; the parsing is inifile's.
 */
#ifndef PYTEST_CLOUD_INIFIND_H
#define PYTEST_CLOUD_INIFIND_H

#include <stddef.h>

#include "inifile.h"

/*
 * Reads the pytest settings of the file at path by its kind (.ini, .cfg,
 * .toml).  Returns 1 when the file is a pytest config (entries in out),
 * 0 when it is not, -1 with err on a read or parse error.
 */
int inifind_load(const char *path, struct ini_entries *out, char *err,
		 size_t errlen);

/*
 * The rootdir pytest picks when no config file was found: the nearest of
 * startdir and its parents holding a setup.py, else startdir.  Returns a
 * newly allocated path, or NULL when out of memory.
 */
char *inifind_rootdir(const char *startdir);

/*
 * Searches from startdir upwards.  On a match sets *path (malloc'ed, the
 * file) and *rule, and returns 1; returns 0 when no file matched, -1 with
 * err on a read or parse error.
 */
int inifind_find(const char *startdir, char **path, enum inifile_rule *rule,
		 char *err, size_t errlen);

/*
 * Reads path (at most 1 MiB) and applies its cloud_* keys, rsyncdirs and
 * rsyncignore to cfg as the ini source; path lists are taken relative to
 * the file's folder.  A file that is not a pytest config applies nothing.
 * Unknown cloud_* keys are reported with warnf.
 */
int inifind_apply(struct cloud_config *cfg, const char *path, char *err,
		  size_t errlen);

/*
 * The config file and the rootdir a run uses, found as pytest finds them:
 * given (pytest's -c FILE, relative to the current folder: its folder
 * must exist, the file need not), else the search from the current
 * folder upwards (*rule says by which rule); with none set, no file at
 * all (pytest found none).  The rootdir is the file's
 * folder, or without one inifind_rootdir of the current folder.  *ini is
 * NULL when there is none.  Both newly allocated.  Returns 0, or -1 with
 * err.  (resolve.c for a run, init.c for init.)
 */
int inifind_locate(const char *given, int none, char **ini, char **rootdir,
		   enum inifile_rule *rule, char *err, size_t errlen);

#endif
