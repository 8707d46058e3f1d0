/*
 * pyproject: pytest's TOML configuration, read with a real TOML parser
 * (toml++ from Debian, behind this C interface), as pytest 9 reads it:
 *
 *   pyproject.toml  [tool.pytest] with keys of its own (native TOML types,
 *                   pytest 9) or [tool.pytest.ini_options] (ini mode);
 *                   both at once is an error; neither: not a config
 *   pytest.toml,    the [pytest] table (native types); the file is the
 *   .pytest.toml    config even without one
 *
 * Values come out as text the way pytest gives them: strings as they are,
 * other scalars as Python's str() (3 -> "3", true -> "True"), arrays of
 * strings and numbers joined with "\n" and marked is_list.
 */
#ifndef PYTEST_CLOUD_PYPROJECT_H
#define PYTEST_CLOUD_PYPROJECT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ini_entries;

/*
 * Parses text (len bytes) named name; pytest_toml says it is a pytest.toml
 * or .pytest.toml.  Returns 1 when it is a pytest config (its keys
 * appended to out; *native set when they are native TOML, pytest 9's
 * mode), 0 when it is not, -1 on invalid TOML or an unsupported value
 * with "NAME:LINE:COL: why" in err.
 */
int pyproject_parse(const char *text, size_t len, const char *name,
		    int pytest_toml, struct ini_entries *out, int *native,
		    char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
