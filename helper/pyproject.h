/*
 * pyproject: the [tool.pytest.ini_options] table of a pyproject.toml, read
 * with a real TOML parser (toml++ from Debian, behind this C interface).
 *
 * Values come out as pytest gives them: strings as they are, other
 * scalars as text (3 -> "3", true -> "True"), arrays of strings joined
 * with "\n" and marked is_list.
 */
#ifndef PYTEST_CLOUD_PYPROJECT_H
#define PYTEST_CLOUD_PYPROJECT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ini_entries;

/*
 * Parses text (len bytes) named name.  Returns 1 when the table exists
 * (its keys appended to out), 0 when it does not, -1 on invalid TOML or
 * an unsupported value with "NAME:LINE:COL: why" in err.
 */
int pyproject_parse(const char *text, size_t len, const char *name,
		    struct ini_entries *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
