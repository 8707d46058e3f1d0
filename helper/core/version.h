/*
 * version: this helper's release.  The plugin it carries
 * (conftest_template/conftest.py, PYTEST_CLOUD_VERSION) must say the same;
 * the build checks it.  major.minor is the contract with a project's copy
 * of the plugin (see README.md, "Versions"): bump the minor for any change
 * of the JSON plan, the helper's options or the spec form, the patch for
 * anything else.
 */
#ifndef PYTEST_CLOUD_VERSION_H
#define PYTEST_CLOUD_VERSION_H

#define PYTEST_CLOUD_VERSION "0.3.0"

#endif
