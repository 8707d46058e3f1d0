#define _GNU_SOURCE
/* Tests of the small pure modules: nodename, plan, probe_parse, shquote,
 * and of spawn against /bin/sh-free real programs. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodename.h"
#include "plan.h"
#include "probe_parse.h"
#include "shquote.h"
#include "spawn.h"
#include "develop.h"
#include <unistd.h>
#include "sshcfg.h"
#include "suites.h"

static void test_nodename_good(void)
{
	static const struct {
		const char *in;
		const char *user;
		const char *host;
		int port;
	} rows[] = {
		{ "node1", NULL, "node1", 0 },
		{ "root@node1", "root", "node1", 0 },
		{ "ci_user@10.0.0.1", "ci_user", "10.0.0.1", 0 },
		{ "u@h.example.com:2222", "u", "h.example.com", 2222 },
		{ "h:1", NULL, "h", 1 },
		{ "h:65535", NULL, "h", 65535 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nodename n;
		char why[128];

		CU_ASSERT_EQUAL_FATAL(
			nodename_parse(rows[i].in, &n, why, sizeof(why)), 0);
		if (rows[i].user) {
			CU_ASSERT_STRING_EQUAL(n.user, rows[i].user);
		} else {
			CU_ASSERT_PTR_NULL(n.user);
		}
		CU_ASSERT_STRING_EQUAL(n.host, rows[i].host);
		CU_ASSERT_EQUAL(n.port, rows[i].port);
		nodename_release(&n);
	}
}

static void test_nodename_bad(void)
{
	static const struct {
		const char *in;
		const char *why;
	} rows[] = {
		{ "host;rm -rf ~", "character ';'" },
		{ "a b", "byte 0x20" },
		{ "-oProxyCommand=x", "starts with '-'" },
		{ "u@-x", "starts with '-'" },
		{ "@h", "empty user name" },
		{ "u@", "empty host name" },
		{ "", "empty host name" },
		{ "h:0", "not in 1..65535" },
		{ "h:65536", "not in 1..65535" },
		{ "h:99999999999999999999", "not in 1..65535" },
		{ "h:x", "not a number" },
		{ "h:", "empty port" },
		{ "u$(id)@h", "character '$'" },
		{ "h\x01", "byte 0x01" },
		{ "a@b@c", "character '@'" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct nodename n;
		char why[128] = "";

		CU_ASSERT_EQUAL(nodename_parse(rows[i].in, &n, why, sizeof(why)),
				-1);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, rows[i].why));
		CU_ASSERT_PTR_NULL(n.host);
	}
}

static void test_plan_rows(void)
{
	static const struct {
		long cpus, mem, have_mem, max, per, want;
		const char *why;
	} rows[] = {
		{ 4, 8000, 1, 0, 0, 4, "" },
		{ 4, 8000, 1, 2, 0, 2, "" },
		{ 4, 8000, 1, 8, 0, 4, "" },
		{ 4, 8000, 1, 0, 3000, 2, "" },
		{ 4, 8000, 1, 0, 2000, 4, "" },
		{ 4, 8000, 1, 0, 1000, 4, "" },
		{ 4, 8000, 1, 1, 1000, 1, "" },
		{ 4, 999, 1, 0, 1000, 0, "999 MiB available, 1000 MiB" },
		{ 4, 0, 1, 0, 1, 0, "0 MiB available" },
		{ 4, 0, 0, 0, 1000, 4, "no memory figure" },
		{ 1, 1000000000, 1, 0, 1, 1, "" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct plan_limits lim = { rows[i].max, rows[i].per };
		char why[200];
		long got = plan_processes(rows[i].cpus, rows[i].mem,
					  (int)rows[i].have_mem, &lim, why,
					  sizeof(why));

		CU_ASSERT_EQUAL(got, rows[i].want);
		if (rows[i].why[0] == '\0') {
			CU_ASSERT_STRING_EQUAL(why, "");
		} else {
			CU_ASSERT_PTR_NOT_NULL(strstr(why, rows[i].why));
		}
	}
}

static void test_probe_parse_good(void)
{
	struct probe_result r;
	char why[200];

	CU_ASSERT_EQUAL(probe_parse("pytest-cloud-probe 1\ncpus 4\n"
				    "mem_available_kb 8388608\n",
				    &r, why, sizeof(why)),
			0);
	CU_ASSERT_EQUAL(r.cpus, 4);
	CU_ASSERT_EQUAL(r.mem_available_mb, 8192);
	CU_ASSERT_EQUAL(r.have_mem, 1);
	/* memory figure missing (not Linux): planned by CPUs alone */
	CU_ASSERT_EQUAL(probe_parse("pytest-cloud-probe 1\r\ncpus 8\r\n"
				    "mem_available_kb \r\n",
				    &r, why, sizeof(why)),
			0);
	CU_ASSERT_EQUAL(r.cpus, 8);
	CU_ASSERT_EQUAL(r.have_mem, 0);
	/* floor to MiB; motd noise before the header is ignored */
	CU_ASSERT_EQUAL(probe_parse("Welcome!\npytest-cloud-probe 1\ncpus 1\n"
				    "mem_available_kb 2047\n",
				    &r, why, sizeof(why)),
			0);
	CU_ASSERT_EQUAL(r.mem_available_mb, 1);
}

/* Outputs recorded from real nodes (Linux ones on this machine: a plain
 * login, and one inside cgroup v1 limits of 512 MiB and 1.5 CPUs) and in
 * the formats of cgroup v2, macOS and FreeBSD. */
static void test_probe_recorded(void)
{
	static const struct {
		const char *name;
		const char *text;
		long cpus;
		long mem;
		int have_mem, cg_cpu, cg_mem;
		enum chdir_state chdir;
	} rows[] = {
		{ "linux, cgroup v1 without limits",
		  "pytest-cloud-probe 1\nos Linux\ncpus 2\n"
		  "mem_available_kb 24348936\n"
		  "cg memory.limit_in_bytes 9223372036854771712\n"
		  "cg memory.usage_in_bytes 204730368\n"
		  "cg memory.limit_in_bytes 9223372036854771712\n"
		  "cg memory.usage_in_bytes 215580672\n"
		  "cg cpu.cfs_quota_us -1\ncg cpu.cfs_period_us 100000\n"
		  "chdir absent\n",
		  2, 23778, 1, 0, 0, CHDIR_ABSENT },
		{ "linux, cgroup v1 limits",
		  "pytest-cloud-probe 1\nos Linux\ncpus 4\n"
		  "mem_available_kb 24347724\n"
		  "cg memory.limit_in_bytes 536870912\n"
		  "cg memory.usage_in_bytes 1486848\n"
		  "cg memory.limit_in_bytes 9223372036854771712\n"
		  "cg memory.usage_in_bytes 147795968\n"
		  "cg cpu.cfs_quota_us 150000\ncg cpu.cfs_period_us 100000\n"
		  "cg cpu.cfs_quota_us -1\ncg cpu.cfs_period_us 100000\n"
		  "chdir dir\n",
		  2, 510, 1, 1, 1, CHDIR_DIR },
		{ "linux container, cgroup v2, limit at a parent",
		  "pytest-cloud-probe 1\nos Linux\ncpus 8\n"
		  "mem_available_kb 16000000\n"
		  "cg cpu.max max 100000\ncg memory.max max\n"
		  "cg memory.current 5000000\n"
		  "cg cpu.max 300000 100000\ncg memory.max 2147483648\n"
		  "cg memory.current 1073741824\n"
		  "chdir notdir\n",
		  3, 1024, 1, 1, 1, CHDIR_NOTDIR },
		{ "macOS",
		  "pytest-cloud-probe 1\nos Darwin\ncpus 10\n"
		  "mem_available_kb \npagesize 16384\nfree_pages 21000\n"
		  "inactive_pages 250000\nchdir readonly\n",
		  10, 4234, 1, 0, 0, CHDIR_READONLY },
		{ "FreeBSD",
		  "pytest-cloud-probe 1\nos FreeBSD\ncpus 4\n"
		  "mem_available_kb \npagesize 4096\nfree_pages 500000\n"
		  "inactive_pages 12000\nchdir absent\n",
		  4, 2000, 1, 0, 0, CHDIR_ABSENT },
		{ "OpenBSD: no memory figure",
		  "pytest-cloud-probe 1\nos OpenBSD\ncpus 2\n"
		  "mem_available_kb \npagesize 4096\nfree_pages \n",
		  2, 0, 0, 0, 0, CHDIR_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct probe_result r;
		char why[200] = "";

		CU_ASSERT_EQUAL(probe_parse(rows[i].text, &r, why, sizeof(why)),
				0);
		if (r.cpus != rows[i].cpus || r.mem_available_mb != rows[i].mem) {
			fprintf(stderr, "\n%s: cpus %ld mem %ld\n",
				rows[i].name, r.cpus, r.mem_available_mb);
		}
		CU_ASSERT_EQUAL(r.cpus, rows[i].cpus);
		CU_ASSERT_EQUAL(r.mem_available_mb, rows[i].mem);
		CU_ASSERT_EQUAL(r.have_mem, rows[i].have_mem);
		CU_ASSERT_EQUAL(r.cgroup_cpu, rows[i].cg_cpu);
		CU_ASSERT_EQUAL(r.cgroup_mem, rows[i].cg_mem);
		CU_ASSERT_EQUAL(r.chdir, rows[i].chdir);
	}
}

/* The script itself runs here and its output parses (this machine). */
static void test_probe_script_runs(void)
{
	char *sh = spawn_find_program("sh");
	char *script = probe_script("no such dir; touch canary");
	char *argv[] = { "sh", "-c", script, NULL };
	struct spawn_result res;
	struct probe_result r;
	char why[200];

	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(script);
	CU_ASSERT_EQUAL_FATAL(spawn_run(sh, argv, &res, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(res.code, 0);
	CU_ASSERT_EQUAL(probe_parse(res.output, &r, why, sizeof(why)), 0);
	CU_ASSERT_TRUE(r.cpus >= 1);
	CU_ASSERT_EQUAL(r.have_mem, 1);
	CU_ASSERT_EQUAL(r.chdir, CHDIR_ABSENT);
	CU_ASSERT_NOT_EQUAL(access("canary", F_OK), 0);
	spawn_result_release(&res);
	free(script);
	free(sh);
}

static void test_probe_parse_bad(void)
{
	static const struct {
		const char *in;
		const char *why;
	} rows[] = {
		{ "", "no 'pytest-cloud-probe 1'" },
		{ "pytest-cloud-probe 2\ncpus 1\n", "no 'pytest-cloud-probe 1'" },
		{ "pytest-cloud-probe 1\n", "no CPU count" },
		{ "pytest-cloud-probe 1\ncpus \n", "no CPU count" },
		{ "pytest-cloud-probe 1\ncpus 0\n", "'0' is not a number" },
		{ "pytest-cloud-probe 1\ncpus -1\n", "'-1'" },
		{ "pytest-cloud-probe 1\ncpus 4x\n", "'4x'" },
		{ "pytest-cloud-probe 1\ncpus 99999999999999999999\n",
		  "is not a number" },
		{ "pytest-cloud-probe 1\ncpus 70000\n",
		  "implausible probe output: 70000 CPUs (most 4096)" },
		{ "pytest-cloud-probe 1\ncpus 4097\n",
		  "implausible probe output: 4097 CPUs" },
		{ "pytest-cloud-probe 1\ncpus 2\nmem_available_kb "
		  "68719476737\n",
		  "implausible probe output: 68719476737 KiB of memory" },
		{ "pytest-cloud-probe 1\ncpus 2\nmem_available_kb \n"
		  "pagesize 16384\nfree_pages 1099511627776\n"
		  "inactive_pages 0\n",
		  "implausible probe output" },
		{ "pytest-cloud-probe 1\ncpus 2\nmem_available_kb lots\n",
		  "'lots'" },
		{ "pytest-cloud-probe 1\ncpus 2\nmem_available_kb "
		  "9999999999999999999\n",
		  "not a number of KiB" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct probe_result r;
		char why[200] = "";

		CU_ASSERT_EQUAL(probe_parse(rows[i].in, &r, why, sizeof(why)),
				-1);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, rows[i].why));
		CU_ASSERT_EQUAL(r.cpus, 0);
	}
}

static void test_shquote_rows(void)
{
	static const struct {
		const char *in;
		const char *out;
	} rows[] = {
		{ "", "''" },
		{ "abc", "'abc'" },
		{ "a b", "'a b'" },
		{ "it's", "'it'\\''s'" },
		{ "host;rm -rf ~", "'host;rm -rf ~'" },
		{ "$(id)`id`\"\\", "'$(id)`id`\"\\'" },
		{ "''", "''\\'''\\'''" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *q = shquote(rows[i].in);

		CU_ASSERT_PTR_NOT_NULL_FATAL(q);
		CU_ASSERT_STRING_EQUAL(q, rows[i].out);
		free(q);
	}
}

/* The quoting really survives a shell: run sh -c 'printf %s QUOTED'. */
static void test_shquote_through_sh(void)
{
	const char *hostile[] = { "host;touch canary", "it's", "$(id)", "a\nb",
				  "`x` \"y\" \\z" };
	char *sh = spawn_find_program("sh");
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char *q = shquote(hostile[i]);
		char *script = malloc(strlen(q) + 16);
		char *argv[] = { "sh", "-c", script, NULL };
		struct spawn_result res;
		char why[128];

		strcpy(script, "printf %s ");
		strcat(script, q);
		CU_ASSERT_EQUAL_FATAL(spawn_run(sh, argv, &res, why,
						sizeof(why)),
				      0);
		CU_ASSERT_EQUAL(res.code, 0);
		CU_ASSERT_STRING_EQUAL(res.output, hostile[i]);
		spawn_result_release(&res);
		free(script);
		free(q);
	}
	free(sh);
}

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

int suite_nodename(void)
{
	CU_pSuite s = CU_add_suite("nodename", NULL, NULL);

	return (s && CU_add_test(s, "good names", test_nodename_good) &&
		CU_add_test(s, "bad names", test_nodename_bad))
		       ? 0
		       : -1;
}

int suite_plan(void)
{
	CU_pSuite s = CU_add_suite("plan", NULL, NULL);

	return (s && CU_add_test(s, "limits", test_plan_rows)) ? 0 : -1;
}

int suite_probe_parse(void)
{
	CU_pSuite s = CU_add_suite("probe_parse", NULL, NULL);

	return (s && CU_add_test(s, "good output", test_probe_parse_good) &&
		CU_add_test(s, "bad output", test_probe_parse_bad) &&
		CU_add_test(s, "recorded outputs", test_probe_recorded) &&
		CU_add_test(s, "script runs", test_probe_script_runs))
		       ? 0
		       : -1;
}

int suite_shquote(void)
{
	CU_pSuite s = CU_add_suite("shquote", NULL, NULL);

	return (s && CU_add_test(s, "rows", test_shquote_rows) &&
		CU_add_test(s, "through sh", test_shquote_through_sh))
		       ? 0
		       : -1;
}

int suite_spawn(void)
{
	CU_pSuite s = CU_add_suite("spawn", NULL, NULL);

	return (s && CU_add_test(s, "outcomes", test_spawn_outcomes) &&
		CU_add_test(s, "timeout", test_spawn_timeout))
		       ? 0
		       : -1;
}

static void test_sshcfg_policy(void)
{
	static const struct {
		const char *text;
		const char *host;
		enum host_key_policy want;
	} rows[] = {
		{ "", "a", POLICY_UNSET },
		{ "StrictHostKeyChecking no\n", "a", POLICY_NO },
		{ "Host a\n  StrictHostKeyChecking accept-new\n", "a",
		  POLICY_ACCEPT_NEW },
		{ "Host a\n  StrictHostKeyChecking accept-new\n", "b",
		  POLICY_UNSET },
		{ "Host node*\n  stricthostkeychecking=no\n", "node12",
		  POLICY_NO },
		{ "Host * !node1\n  StrictHostKeyChecking no\n", "node1",
		  POLICY_UNSET },
		{ "Host * !node1\n  StrictHostKeyChecking no\n", "node2",
		  POLICY_NO },
		/* first value wins */
		{ "Host a\n StrictHostKeyChecking yes\nHost *\n "
		  "StrictHostKeyChecking no\n",
		  "a", POLICY_STRICT },
		{ "Host x a\n StrictHostKeyChecking \"accept-new\"\n", "a",
		  POLICY_ACCEPT_NEW },
		{ "# StrictHostKeyChecking no\nHost a\n", "a", POLICY_UNSET },
		/* Match blocks are not evaluated: their value could apply and
		 * come first, so the strictest possible one is taken */
		{ "Match host a\n StrictHostKeyChecking no\n", "a",
		  POLICY_STRICT },
		{ "Match host good1\n StrictHostKeyChecking yes\nHost *\n "
		  "StrictHostKeyChecking no\n",
		  "good1", POLICY_STRICT },
		{ "Match host good1\n StrictHostKeyChecking yes\nHost *\n "
		  "StrictHostKeyChecking no\n",
		  "other", POLICY_STRICT },
		{ "Host *\n StrictHostKeyChecking accept-new\nMatch all\n "
		  "StrictHostKeyChecking no\n",
		  "a", POLICY_ACCEPT_NEW },
		{ "Match exec true\n User x\nHost *\n "
		  "StrictHostKeyChecking no\n",
		  "a", POLICY_NO },
		{ "Host a?\n StrictHostKeyChecking ask\n", "ab",
		  POLICY_STRICT },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CU_ASSERT_EQUAL(sshcfg_policy(rows[i].text, rows[i].host, NULL,
					      NULL),
				rows[i].want);
	}
}

int suite_sshcfg(void)
{
	CU_pSuite s = CU_add_suite("sshcfg", NULL, NULL);

	return (s && CU_add_test(s, "policy", test_sshcfg_policy)) ? 0 : -1;
}

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
	cmd = develop_prepare_command(&cfg);
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
