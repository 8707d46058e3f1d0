/*
 * inifile: read a config file's pytest section from text (pure; the
 * files on disk are inifind.h's).
 *
 * Discovery (inifind.h), as the newest pytest (9.1) does it: in the start folder and
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

#define INIFILE_MAX_BYTES (1024 * 1024) /* the largest config file read */

struct strvec;

struct cloud_config;
struct opt_def;

/* What a value was in native TOML (pytest 9's [tool.pytest], pytest.toml,
 * where pytest takes each key only in the type it registered); INI_TEXT
 * in an ini file and in [tool.pytest.ini_options], where it reads text. */
enum ini_toml {
	INI_TEXT = 0,
	INI_TOML_STRING,
	INI_TOML_INTEGER,
	INI_TOML_FLOAT,
	INI_TOML_BOOL,
	INI_TOML_STRINGS, /* an array of strings only */
	INI_TOML_ARRAY    /* an array holding something else too */
};

struct ini_entry {
	char *key;
	char *value;
	int line;    /* line of the key, 1-based */
	int is_list; /* the value was a TOML array (lines joined by \n) */
	enum ini_toml toml;
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

/*
 * Whether a native TOML value (e->toml) is of the type pytest 9 takes for
 * def's key, given how the conftest and xdist register it: a list of
 * strings for nodes and paths, an integer for numbers, a string for the
 * rest.  Returns 0, or -1 with "ORIGIN: pytest 9 reads this file in TOML
 * types, where this key takes WHAT, not GOT: write KEY = FORM" in err,
 * FORM made from the value where it can be (["node1", "node2"] from
 * "node1 node2").
 */
int inifile_check_toml(const struct opt_def *def, const struct ini_entry *e,
		       const char *origin, char *err, size_t errlen);

/* Frees every entry. */
void inifile_entries_release(struct ini_entries *e);

/* inifind_load on text already read, as the file at path (its name
 * decides how it is read). */
int inifile_parse_text(const char *text, const char *path,
		       struct ini_entries *out, char *err, size_t errlen);

/* Why the file found is the one, where pytest versions differ. */
enum inifile_rule {
	RULE_SAME = 0,          /* pytest 7, 8 and 9 take it */
	RULE_PYTEST9,           /* only pytest 9 takes it */
	RULE_PYTEST81_PYPROJECT /* pytest 8.1 and later take it */
};

/* What rule says, for a message; NULL for RULE_SAME.  Static storage. */
const char *inifile_rule_text(enum inifile_rule rule);

/*
 * Applies the cloud_* keys, rsyncdirs and rsyncignore of ini text in
 * memory (section "pytest" or "tool:pytest") to cfg as the ini source;
 * name is used in messages, basedir for relative paths.  An unknown
 * cloud_* key is not an error: a line for it is added to warnings (when
 * not NULL), for the caller to say.
 */
int inifile_apply_string(struct cloud_config *cfg, const char *text,
			 const char *name, const char *section,
			 const char *basedir, struct strvec *warnings, char *err,
			 size_t errlen);

/* The same for entries already read (inifile_parse_text, inifind.h). */
int inifile_apply_entries(struct cloud_config *cfg,
			  const struct ini_entries *e, const char *name,
			  const char *basedir, struct strvec *warnings,
			  char *err, size_t errlen);

/* Reads text (len bytes) as the config file at path (its name decides
 * how): 2 a pytest config in pytest 9's native TOML, 1 a pytest config
 * (entries in out), 0 not one, -1 with err. */
int inifile_parse_kind(const char *text, size_t len, const char *path,
		       struct ini_entries *out, char *err, size_t errlen);

#endif
