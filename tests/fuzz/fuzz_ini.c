#define _GNU_SOURCE
/* libFuzzer target: ini text and pyproject.toml text through the readers
 * and the option table (inifile_apply_string, pyproject_parse). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "inifile.h"
#include "pyproject.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct cloud_config cfg;
	struct ini_entries e = { NULL, 0, 0 };
	int native = 0;
	char err[512];
	char *text;

	if (!ready) {
		inifile_setup();
		
		ready = 1;
	}
	text = malloc(size + 1);
	if (text == NULL) {
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	if (config_init(&cfg) == 0) {
		if (inifile_apply_string(&cfg, text, "fuzz.ini", "pytest", "/p",
					 NULL, err, sizeof(err)) == 0 &&
		    config_verify(&cfg, err, sizeof(err)) == 0) {
			cfg.rootdir = strdup("/p");
			config_finish(&cfg, "u", NULL, err, sizeof(err));
		}
		config_release(&cfg);
	}
	pyproject_parse(text, strlen(text), "fuzz.toml", 0, &e, &native, err,
			sizeof(err));
	inifile_entries_release(&e);
	pyproject_parse(text, strlen(text), "pytest.toml", 1, &e, &native, err,
			sizeof(err));
	inifile_entries_release(&e);
	free(text);
	return 0;
}
