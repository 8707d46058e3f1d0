/*
 * adopt: the plugin in a project, the pure part of 'pytest-cloud init'
 * and of the version handshake: what a conftest is, and the edit that
 * makes it load the plugin.
 *
 * Model.  A project carries pytest-cloud's plugin either as its root
 * conftest.py (a project without one) or as pytest_cloud_plugin.py next
 * to the project's own conftest.py, which loads it with
 * pytest_plugins = ["pytest_cloud_plugin"].  The copy says which release
 * it came with (PYTEST_CLOUD_VERSION = "X.Y.Z"); copies from before the
 * handshake (0.1.0) have no such line and are known by their first line.
 * The contract between copy and helper (JSON fields, option names, spec
 * form) is major.minor: another one stops the run, another patch level
 * only warns.
 *
 * init edits the user's text files in place of a person: it adds one
 * line (pytest_plugins here, cloud_nodes in cfgedit.h) or one element,
 * keeps the file's newline style and never rewrites anything else; what
 * it cannot do that way it refuses with a reason.  Every function here
 * works on text in memory (pylex.h reads the Python) and returns new
 * text; nothing is read or written.  Releases: versions.h.
 */
#ifndef PYTEST_CLOUD_ADOPT_H
#define PYTEST_CLOUD_ADOPT_H

#include <stddef.h>

/* The plugin module's name, as pytest_plugins lists it. */
#define ADOPT_PLUGIN_MODULE "pytest_cloud_plugin"

enum adopt_kind {
	ADOPT_NOT_OURS,   /* the project's own file */
	ADOPT_OURS,       /* pytest-cloud's plugin and nothing else */
	ADOPT_OURS_EDITED /* pytest-cloud's plugin with code of the
			   * project's own (fixtures, functions) */
};

/*
 * What text (a conftest.py or pytest_cloud_plugin.py) is, next to the
 * plugin as this helper carries it (plugin).  A copy of ours is edited
 * when it defines a top-level function or class that is neither private
 * (_name), nor a pytest hook, nor defined in plugin, or decorates one
 * with anything but @pytest.hookimpl.  For a copy of ours, version
 * receives its release ("0.1.0" for one from before the handshake).
 */
enum adopt_kind adopt_classify(const char *text, const char *plugin,
			       char *version, size_t versionlen);

/*
 * Whether the project's own conftest already carries pytest-cloud's
 * hooks (pasted by hand: it adds the --cloud-* options, and pytest would
 * stop with "option names already added" once the plugin loads too).
 * Returns 1 with a reason in why, else 0.
 */
int adopt_conftest_conflict(const char *text, char *why, size_t whylen);

/*
 * Makes the conftest text load the plugin module: extends a
 * pytest_plugins list, tuple or string assigned at the top level, or
 * adds the line pytest_plugins = ["pytest_cloud_plugin"] after the
 * module docstring and __future__ imports (before the first other
 * statement).  Returns the new text (malloc'ed; *changed 0 when the
 * module was listed already), or NULL with why (a pytest_plugins set
 * in a way this cannot edit safely, or out of memory).
 */
char *adopt_add_plugin(const char *text, int *changed, char *why,
		       size_t whylen);

#endif
