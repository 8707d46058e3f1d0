#define _GNU_SOURCE
/* libFuzzer target: init's edits of the user's text (adopt.h) on any
 * text: the pytest_plugins edit, the copy check, cloud_nodes in each
 * config format, and the diff of each result against the input.  An
 * edit must keep the input as a part of its result (it only adds). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "cfgedit.h"
#include "udiff.h"
#include "versions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether every byte of a appears in b in order (b only adds to a). */
static int only_adds(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		a += *a == *b;
		b++;
	}
	return *a == '\0';
}

static void check(const char *text, char *out, const char *name)
{
	char *d;

	if (out == NULL) {
		return;
	}
	if (!only_adds(text, out)) {
		abort();
	}
	d = udiff_make(text, out, name);
	free(d);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char plugin[] =
		"\"\"\"pytest-cloud: run this project's tests on SSH nodes "
		"with pytest-xdist.\n\"\"\"\nPYTEST_CLOUD_VERSION = \"0.2.0\"\n"
		"def merge_durations(a):\n    return a\n";
	char why[300];
	char version[32];
	int changed;
	char *text = malloc(size + 1);
	int f;

	if (text == NULL) {
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	check(text, adopt_add_plugin(text, &changed, why, sizeof(why)),
	      "conftest.py");
	(void)adopt_classify(text, plugin, version, sizeof(version));
	(void)adopt_conftest_conflict(text, why, sizeof(why));
	for (f = FORMAT_INI; f <= FORMAT_PYTEST_TOML; f++) {
		check(text, cfgedit_add_nodes(text, (enum cfgedit_format)f, "a b:2",
					    &changed, why, sizeof(why)),
		      "pytest.ini");
		check(text, cfgedit_add_nodes(text, (enum cfgedit_format)f, NULL,
					    &changed, why, sizeof(why)),
		      "pytest.ini");
	}
	free(text);
	return 0;
}
