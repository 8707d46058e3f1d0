/* spawn: CUnit tests of helper/spawn.c. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "spawn.h"
#include "suites.h"

static void test_spawn_outcomes(void)
{
	char *sh = spawn_find_program("sh");
	char *argv_exit[] = { "sh", "-c", "echo out; echo err >&2; exit 7",
			      NULL };
	char *argv_kill[] = { "sh", "-c", "kill -9 $$", NULL };
	char *argv_none[] = { "nope", NULL };
	struct spawn_result res;
	char why[128];
	char how[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	CU_ASSERT_EQUAL_FATAL(spawn_run(sh, argv_exit, &res, why, sizeof(why)),
			      0);
	CU_ASSERT_EQUAL(res.exited, 1);
	CU_ASSERT_EQUAL(res.code, 7);
	CU_ASSERT_STRING_EQUAL(res.output, "out\nerr\n");
	spawn_describe(&res, how, sizeof(how));
	CU_ASSERT_STRING_EQUAL(how, "exited 7");
	spawn_result_release(&res);

	CU_ASSERT_EQUAL_FATAL(spawn_run(sh, argv_kill, &res, why, sizeof(why)),
			      0);
	CU_ASSERT_EQUAL(res.exited, 0);
	CU_ASSERT_EQUAL(res.signal, 9);
	spawn_describe(&res, how, sizeof(how));
	CU_ASSERT_STRING_EQUAL(how, "killed by signal 9");
	spawn_result_release(&res);

	CU_ASSERT_EQUAL_FATAL(spawn_run("/nonexistent/nope", argv_none, &res,
					why, sizeof(why)),
			      0);
	CU_ASSERT_EQUAL(res.exec_errno, 2);
	spawn_describe(&res, how, sizeof(how));
	CU_ASSERT_STRING_EQUAL(how, "could not start: No such file or "
				    "directory");
	spawn_result_release(&res);
	CU_ASSERT_PTR_NULL(spawn_find_program("no-such-program-xyz"));
	free(sh);
}

/* A child past its time gets SIGTERM, and SIGKILL when it ignores that. */
static void test_spawn_timeout(void)
{
	char *sh = spawn_find_program("sh");
	char *obeys[] = { "sh", "-c", "echo started; exec sleep 30", NULL };
	char *ignores[] = { "sh", "-c", "trap '' TERM; echo started; "
			    "while :; do sleep 1; done", NULL };
	struct spawn_result res;
	char why[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	CU_ASSERT_EQUAL_FATAL(spawn_run_watch(sh, obeys, &res, NULL, NULL, 1,
					      why, sizeof(why)),
			      0);
	CU_ASSERT_EQUAL(res.timed_out, 1);
	CU_ASSERT_EQUAL(res.signal, 15);
	CU_ASSERT_STRING_EQUAL(res.output, "started\n");
	spawn_result_release(&res);
	CU_ASSERT_EQUAL_FATAL(spawn_run_watch(sh, ignores, &res, NULL, NULL, 1,
					      why, sizeof(why)),
			      0);
	CU_ASSERT_EQUAL(res.timed_out, 1);
	CU_ASSERT_EQUAL(res.signal, 9);
	spawn_result_release(&res);
	free(sh);
}

/* What a child started goes with it (its process group), and the read
 * after the stop is bounded: here the child obeys SIGTERM while what it
 * started ignores it and holds the output pipe, as rsync's ssh can. */
static void test_spawn_timeout_takes_the_group(void)
{
	char *sh = spawn_find_program("sh");
	char *argv[] = { "sh", "-c",
			 "(trap '' TERM; exec sleep 60) & echo $!; exec sleep 60",
			 NULL };
	struct spawn_result res;
	char why[128];
	double start = clock_seconds();
	long grandchild;
	int tries;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	CU_ASSERT_EQUAL_FATAL(spawn_run_watch(sh, argv, &res, NULL, NULL, 1,
					      why, sizeof(why)),
			      0);
	CU_ASSERT(clock_seconds() - start < 8);
	CU_ASSERT_EQUAL(res.timed_out, 1);
	grandchild = strtol(res.output, NULL, 10);
	CU_ASSERT_FATAL(grandchild > 1);
	for (tries = 0; tries < 50 && kill((pid_t)grandchild, 0) == 0; tries++) {
		usleep(100000); /* reaped by whoever adopted it */
	}
	CU_ASSERT_NOT_EQUAL(kill((pid_t)grandchild, 0), 0);
	spawn_result_release(&res);
	free(sh);
}

/* The child gets the environment given, whole, and this process's own
 * without one. */
static void test_spawn_env(void)
{
	char *sh = spawn_find_program("sh");
	char *argv[] = { "sh", "-c", "echo \"$LC_ALL|$TZ|${HOME-unset}\"",
			 NULL };
	char *envp[] = { "LC_ALL=C", "TZ=UTC0", NULL };
	struct spawn_result res;
	char why[128];
	char want[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	CU_ASSERT_EQUAL_FATAL(spawn_run_env(sh, argv, envp, &res, NULL, NULL,
					    0, why, sizeof(why)),
			      0);
	CU_ASSERT_STRING_EQUAL(res.output, "C|UTC0|unset\n");
	spawn_result_release(&res);
	CU_ASSERT_EQUAL_FATAL(setenv("TZ", "Europe/Paris", 1), 0);
	snprintf(want, sizeof(want), "%s|Europe/Paris|%s\n",
		 getenv("LC_ALL") ? getenv("LC_ALL") : "",
		 getenv("HOME") ? getenv("HOME") : "unset");
	CU_ASSERT_EQUAL_FATAL(spawn_run_env(sh, argv, NULL, &res, NULL, NULL,
					    0, why, sizeof(why)),
			      0);
	CU_ASSERT_STRING_EQUAL(res.output, want);
	spawn_result_release(&res);
	unsetenv("TZ");
	free(sh);
}

int suite_spawn(void)
{
	CU_pSuite s = CU_add_suite("spawn", NULL, NULL);

	return (s && CU_add_test(s, "outcomes", test_spawn_outcomes) &&
		CU_add_test(s, "timeout", test_spawn_timeout) &&
		CU_add_test(s, "timeout takes the group",
			    test_spawn_timeout_takes_the_group) &&
		CU_add_test(s, "environment", test_spawn_env))
		       ? 0
		       : -1;
}
