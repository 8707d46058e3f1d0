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
int inifile_load(const char *path, struct ini_entries *out, char *err,
		 size_t errlen);

/*
 * The rootdir pytest picks when no config file was found: the nearest of
 * startdir and its parents holding a setup.py, else startdir.  Returns a
 * newly allocated path, or NULL when out of memory.
 */
char *inifile_rootdir_without_ini(const char *startdir);

/*
 * Searches from startdir upwards.  On a match sets *path (malloc'ed, the
 * file) and *rule, and returns 1; returns 0 when no file matched, -1 with
 * err on a read or parse error.
 */
int inifile_find(const char *startdir, char **path, enum inifile_rule *rule,
		 char *err, size_t errlen);

/*
 * Reads path (at most 1 MiB) and applies its cloud_* keys, rsyncdirs and
 * rsyncignore to cfg as the ini source; path lists are taken relative to
 * the file's folder.  A file that is not a pytest config applies nothing.
 * Unknown cloud_* keys are reported with warnf.
 */
int inifile_apply(struct cloud_config *cfg, const char *path, char *err,
		  size_t errlen);

#endif
