/* probe_parse: CUnit tests of helper/probe_parse.c. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe_parse.h"
#include "spawn.h"
#include "suites.h"

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
		CU_ASSERT_EQUAL(r.chdir.state, rows[i].chdir);
	}
}

/* The script itself runs here and its output parses (this machine). */
static void test_probe_script_runs(void)
{
	char *sh = spawn_find_program("sh");
	char *script = probe_script("no such dir; touch canary",
				    "root '/p'; touch canary\nhost h");
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
	CU_ASSERT_EQUAL(r.chdir.state, CHDIR_ABSENT);
	CU_ASSERT_EQUAL(r.chdir.owner, OWNER_NONE);
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
