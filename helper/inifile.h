/*
 * inifile: find the ini file pytest would use and read its pytest section.
 *
 * Discovery (as pytest does it, minus pyproject.toml for now): in the
 * start folder and then each parent, the first of pytest.ini (always a
 * match), tox.ini with a [pytest] section, setup.cfg with a [tool:pytest]
 * section.  The folder of that file is the rootdir.
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
	int line; /* line of the key, 1-based */
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

/* Frees every entry. */
void inifile_entries_release(struct ini_entries *e);

/*
 * Searches from startdir upwards.  On a match sets *path (malloc'ed, the
 * file) and *section ("pytest" or "tool:pytest", static) and returns 1;
 * returns 0 when no file matched, -1 with err on a read or parse error.
 */
int inifile_find(const char *startdir, char **path, const char **section,
		 char *err, size_t errlen);

/* The section pytest reads in the file at path ("tool:pytest" for
 * setup.cfg, else "pytest"). */
const char *inifile_section_for(const char *path);

/*
 * Reads path (at most 1 MiB) and applies its cloud_* keys to cfg as the
 * ini source.  Unknown cloud_* keys are reported with warnf.
 */
int inifile_apply(struct cloud_config *cfg, const char *path,
		  const char *section, char *err, size_t errlen);

/* The same for text already in memory; name is used in messages. */
int inifile_apply_string(struct cloud_config *cfg, const char *text,
			 const char *name, const char *section, char *err,
			 size_t errlen);

#endif
