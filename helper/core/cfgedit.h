/*
 * cfgedit: cloud_nodes added to the pytest section of a config file's
 * text, in that file's own format, by one inserted line (edits.h); the
 * file's other lines, comments and newline style are kept.  Pure.
 */
#ifndef PYTEST_CLOUD_CFGEDIT_H
#define PYTEST_CLOUD_CFGEDIT_H

#include <stddef.h>

enum cfgedit_format {
	FORMAT_INI,       /* [pytest]: pytest.ini, .pytest.ini, tox.ini */
	FORMAT_SETUP_CFG, /* [tool:pytest] */
	FORMAT_PYPROJECT, /* [tool.pytest.ini_options] (strings) or
			   * [tool.pytest] (native TOML) */
	FORMAT_PYTEST_TOML /* [pytest] of pytest.toml (native TOML) */
};

/* The format of a config file by its name (path or base name). */
enum cfgedit_format cfgedit_format(const char *path);

/*
 * Adds cloud_nodes to the pytest section of a config file's text:
 * "cloud_nodes = a b" (ini, ini_options), cloud_nodes = ["a", "b"]
 * (native TOML); with nodes NULL a commented example.  The line goes
 * after the section's last setting (or after an earlier commented
 * example); a missing section is added at the end.  nodes are
 * space-separated, checked node names.  Returns the new text
 * (malloc'ed; *changed 0 when cloud_nodes, or the example when nodes is
 * NULL, is there already), or NULL with why.
 */
char *cfgedit_add_nodes(const char *text, enum cfgedit_format format,
			const char *nodes, int *changed, char *why,
			size_t whylen);

#endif
