/* develop: CUnit tests of helper/develop.c. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "develop.h"
#include "spawn.h"
#include "suites.h"

/* The after-sync command, run for real by sh against a fake python that
 * records its arguments: hostile egg names arrive as single arguments. */
static void test_develop_command(void)
{
	char dir[] = "/tmp/pytest-cloud-unit.XXXXXX";
	char path[512];
	char *sh = spawn_find_program("sh");
	struct cloud_config cfg;
	struct spawn_result res;
	char why[200];
	char *cmd;
	char *argv[] = { "sh", "-c", NULL, NULL };
	char *script = NULL;
	FILE *f;
	char log[4096] = "";
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "mkdir -p %s/c/.venv/bin && printf "
		 "'#!/bin/sh\\nfor a in \"$@\"; do echo \"[$a]\"; done >> "
		 "%s/log\\n' > %s/c/.venv/bin/python && chmod +x "
		 "%s/c/.venv/bin/python", dir, dir, dir, dir);
	argv[2] = path;
	CU_ASSERT_EQUAL_FATAL(spawn_run(sh, argv, &res, why, sizeof(why)), 0);
	spawn_result_release(&res);

	config_init(&cfg);
	cfg.chdir = strdup("c");
	cfg.venv_rel = strdup(".venv");
	cfg.worker_python = strdup("c/.venv/bin/python");
	strvec_push(&cfg.develop_eggs, "libs/a b");
	strvec_push(&cfg.develop_eggs, "libs/it's$(touch pwned)");
	cmd = develop_prepare_command(&cfg, 1, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cmd);
	CU_ASSERT_EQUAL_FATAL(asprintf(&script, "cd %s && %s", dir, cmd) > 0,
			      1);
	argv[2] = script;
	CU_ASSERT_EQUAL_FATAL(spawn_run(sh, argv, &res, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(res.code, 0);
	spawn_result_release(&res);
	snprintf(path, sizeof(path), "%s/log", dir);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(log, 1, sizeof(log) - 1, f);
	log[n] = '\0';
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "[-m]\n[pip]\n[install]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "[--no-index]\n[--no-deps]\n"
					   "[--no-build-isolation]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "[-e]\n[./libs/a b]\n[-e]\n"
					   "[./libs/it's$(touch pwned)]\n"));
	/* then the check, with the eggs as its arguments */
	CU_ASSERT_PTR_NOT_NULL(strstr(log, "[-c]\n"));
	snprintf(path, sizeof(path), "%s/c/pwned", dir);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/pwned", dir);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	CU_ASSERT_STRING_EQUAL(develop_step(&cfg, 98, why, sizeof(why)),
			       "installing the develop eggs failed");
	/* a node that shares another's folder: the check alone */
	free(cmd);
	cmd = develop_prepare_command(&cfg, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cmd, "import"));
	CU_ASSERT_PTR_NULL(strstr(cmd, "pip"));
	CU_ASSERT_PTR_NULL(strstr(cmd, "find"));
	cfg.gateway_check = 1;
	free(cmd);
	cmd = develop_prepare_command(&cfg, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(cmd, "exit 0"));
	CU_ASSERT_PTR_NULL(strstr(cmd, "import"));
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	argv[2] = path;
	spawn_run(sh, argv, &res, why, sizeof(why));
	spawn_result_release(&res);
	free(script);
	free(cmd);
	free(sh);
	config_release(&cfg);
}

int suite_develop(void)
{
	CU_pSuite s = CU_add_suite("develop", NULL, NULL);

	return (s && CU_add_test(s, "command", test_develop_command)) ? 0 : -1;
}
