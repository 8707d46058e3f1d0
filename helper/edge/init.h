/*
 * init: 'pytest-cloud init [--nodes "a b"] [--ini FILE] [--dry-run]', run
 * in a project.  Finds the rootdir and config file as the helper does,
 * then, all or nothing:
 *
 *   - no root conftest.py: writes the plugin there;
 *   - a conftest.py of the project's own: writes pytest_cloud_plugin.py
 *     beside it and adds "pytest_cloud_plugin" to its pytest_plugins;
 *   - an older copy of the plugin: replaces it, saying which versions;
 *   - the config file: adds cloud_nodes (or a commented example);
 *
 * showing on stdout a diff of each edited file and one line for each of
 * pytest-cloud's own files.  Refuses (exit 2, nothing written) a file it
 * cannot parse or write, a conftest that carries pytest-cloud's hooks
 * already, a copy with code of the project's own in it.
 */
#ifndef PYTEST_CLOUD_INIT_H
#define PYTEST_CLOUD_INIT_H

/* Runs init with its own arguments (argv[0] is "init"); plugin is the
 * plugin's text as this helper carries it, version the helper's.
 * Returns the exit status: 0, 2 (refused, bad input) or 3 (internal). */
int init_main(int argc, char **argv, const char *plugin, const char *version);

#endif
