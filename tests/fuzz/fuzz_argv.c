#define _GNU_SOURCE
/* libFuzzer target: a command line (arguments split at NUL bytes) and an
 * environment value through the option table and the verify step. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_env_value;

static const char *fuzz_getenv(const char *name)
{
	return strcmp(name, "PYTEST_CLOUD_NODES") == 0 ? fuzz_env_value : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *argv[65];
	int argc = 1;
	size_t i;
	struct cloud_config cfg;
	char err[512];

	if (buf == NULL) {
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "pytest-cloud";
	argv[argc++] = buf;
	for (i = 0; i < size && argc < 64; i++) {
		if (buf[i] == '\0') {
			argv[argc++] = buf + i + 1;
		}
	}
	argv[argc] = NULL;
	fuzz_env_value = argv[argc - 1];
	if (config_init(&cfg) == 0) {
		if (config_apply_env(&cfg, fuzz_getenv, err, sizeof(err)) == 0 &&
		    config_apply_argv(&cfg, argc - 1, argv, err, sizeof(err)) ==
			    0 &&
		    config_verify(&cfg, err, sizeof(err)) == 0) {
			free(cfg.rootdir);
			cfg.rootdir = strdup("/p");
			config_finish(&cfg, "u", NULL, err, sizeof(err));
		}
		config_release(&cfg);
	}
	free(buf);
	return 0;
}
