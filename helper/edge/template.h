/*
 * template: the plugin (conftest_template/conftest.py) as this helper
 * carries it for 'pytest-cloud init'; generated into build/ by make.
 */
#ifndef PYTEST_CLOUD_TEMPLATE_H
#define PYTEST_CLOUD_TEMPLATE_H

#include <stddef.h>

/* The plugin's text, NUL-terminated; template_plugin_len bytes. */
extern const char template_plugin[];
extern const size_t template_plugin_len;

#endif
