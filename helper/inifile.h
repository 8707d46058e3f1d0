/*
 * inifile: find the ini file pytest would use and read its pytest section.
 *
 * Discovery, as the newest pytest (9.1) does it: in the start folder and
 * then each parent, the first of pytest.toml and .pytest.toml (always),
 * pytest.ini (always), .pytest.ini (always), pyproject.toml with a
 * [tool.pytest] or [tool.pytest.ini_options] table, tox.ini with a
 * [pytest] section, setup.cfg with a [tool:pytest] section (a setup.cfg
 * with only [pytest] is an error, as in pytest).  With none anywhere, the
 * nearest pyproject.toml found on the way (pytest 8.1).  The folder of
 * that file is the rootdir; with no file, the nearest folder holding a
 * setup.py, else the start folder.  Where pytest 7 would choose otherwise
 * the rule is said (inifile_rule).
 *
 * Values are read as pytest's ini reader gives them: "key = value" and
 * "key: value", whole-line '#' and ';' comments (no inline comments),
 * continuation lines joined with "\n", lines of any length.  The parser
 * is inih, with its Debian runtime switches set by inifile_setup().
 */
#ifndef PYTEST_CLOUD_INIFILE_H
#define PYTEST_CLOUD_INIFILE_H

#include <stddef.h>

struct cloud_config;

struct ini_entry {
	char *key;
	char *value;
	int line;    /* line of the key, 1-based */
	int is_list; /* the value was a TOML array (lines joined by \n) */
};

struct ini_entries {
	struct ini_entry *v;
	size_t n;
	size_t alloc;
};

/* Sets inih's switches (heap line buffer that grows, no inline comments).
 * Call once before any thread starts. */
void inifile_setup(void);

/*
 * Reads the entries of section from text.  Returns 0, or -1 with
 * "NAME:LINE: why" in err.  out must be empty; free with
 * inifile_entries_release.  *has_section is set to whether the section
 * appears at all.
 */
int inifile_parse_string(const char *text, const char *name,
			 const char *section, struct ini_entries *out,
			 int *has_section, char *err, size_t errlen);

/* Appends copies of key and value.  Returns 0, or -1 when out of memory. */
int inifile_entries_add(struct ini_entries *e, const char *key,
			const char *value, int line, int is_list);

/* Frees every entry. */
void inifile_entries_release(struct ini_entries *e);

/*
 * Reads the pytest settings of the file at path by its kind (.ini, .cfg,
 * .toml).  Returns 1 when the file is a pytest config (entries in out),
 * 0 when it is not, -1 with err on a read or parse error.
 */
int inifile_load(const char *path, struct ini_entries *out, char *err,
		 size_t errlen);

/* The whole file at path (at most 1 MiB), NUL-terminated, its length in
 * *len; or NULL with err ("PATH: cannot read: why"). */
char *inifile_read(const char *path, size_t *len, char *err, size_t errlen);

/* inifile_load on text already read, as the file at path (its name
 * decides how it is read). */
int inifile_parse_text(const char *text, const char *path,
		       struct ini_entries *out, char *err, size_t errlen);

/*
 * The rootdir pytest picks when no config file was found: the nearest of
 * startdir and its parents holding a setup.py, else startdir.  Returns a
 * newly allocated path, or NULL when out of memory.
 */
char *inifile_rootdir_without_ini(const char *startdir);

/* Why the file found is the one, where pytest versions differ. */
enum inifile_rule {
	RULE_SAME = 0,          /* pytest 7, 8 and 9 take it */
	RULE_PYTEST9,           /* only pytest 9 takes it */
	RULE_PYTEST81_PYPROJECT /* pytest 8.1 and later take it */
};

/*
 * Searches from startdir upwards.  On a match sets *path (malloc'ed, the
 * file) and *rule, and returns 1; returns 0 when no file matched, -1 with
 * err on a read or parse error.
 */
int inifile_find(const char *startdir, char **path, enum inifile_rule *rule,
		 char *err, size_t errlen);

/* What rule says, for a message; NULL for RULE_SAME.  Static storage. */
const char *inifile_rule_text(enum inifile_rule rule);

/*
 * Reads path (at most 1 MiB) and applies its cloud_* keys, rsyncdirs and
 * rsyncignore to cfg as the ini source; path lists are taken relative to
 * the file's folder.  A file that is not a pytest config applies nothing.
 * Unknown cloud_* keys are reported with warnf.
 */
int inifile_apply(struct cloud_config *cfg, const char *path, char *err,
		  size_t errlen);

/* The same for ini text already in memory (section "pytest" or
 * "tool:pytest"); name is used in messages, basedir for relative paths. */
int inifile_apply_string(struct cloud_config *cfg, const char *text,
			 const char *name, const char *section,
			 const char *basedir, char *err, size_t errlen);

#endif
