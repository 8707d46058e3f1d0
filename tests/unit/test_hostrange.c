#define _GNU_SOURCE
/* hostrange, slurm and nodelist: host ranges, the Slurm job's nodes and
 * CPUs, host files, through fake files, environment and scontrol. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hostrange.h"
#include "inifile.h"
#include "nodelist.h"
#include "slurm.h"
#include "suites.h"

/* The strings of v joined with spaces, in buf. */
static const char *joined(const struct strvec *v, char *buf, size_t len)
{
	size_t i;
	size_t at = 0;

	buf[0] = '\0';
	for (i = 0; i < v->n && at < len; i++) {
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? " " : "",
				       v->v[i]);
	}
	return buf;
}

static void test_ranges_good(void)
{
	static const struct {
		const char *word;
		const char *names;
	} rows[] = {
		{ "node1", "node1" },
		{ "node[1-3]", "node1 node2 node3" },
		{ "node[01-03]", "node01 node02 node03" },
		{ "node[08-10]", "node08 node09 node10" },
		{ "node[8-10]", "node8 node9 node10" },
		{ "n[008-10]", "n008 n009 n010" },
		{ "n[1-2,5,07-08]", "n1 n2 n5 n07 n08" },
		{ "n[3,1]", "n3 n1" },
		{ "n[007]", "n007" },
		{ "n[0-0]", "n0" },
		{ "n[0]x", "n0x" },
		{ "[1-2]", "1 2" },
		{ "rack[1-2]-n[1-2]", "rack1-n1 rack1-n2 rack2-n1 rack2-n2" },
		{ "a[1-2]b[3]c[4-5]", "a1b3c4 a1b3c5 a2b3c4 a2b3c5" },
		{ "user@gpu[1-3]:2222",
		  "user@gpu1:2222 user@gpu2:2222 user@gpu3:2222" },
		{ "u[1-2]@h", "u1@h u2@h" },
		{ "n[999999998-999999999]", "n999999998 n999999999" },
		{ "h:[22-23]", "h:22 h:23" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct strvec out = STRVEC_INIT;
		char why[200] = "";
		char buf[512];

		CU_ASSERT_EQUAL(hostrange_expand(rows[i].word,
						 HOSTRANGE_MAX_HOSTS, &out, why,
						 sizeof(why)),
				0);
		CU_ASSERT_STRING_EQUAL(joined(&out, buf, sizeof(buf)),
				       rows[i].names);
		strvec_clear(&out);
	}
}

static void test_ranges_bad(void)
{
	static char long_word[HOSTRANGE_MAX_WORD + 8];
	static const struct {
		const char *word;
		size_t max;
		const char *why;
	} rows[] = {
		{ "n[1-3", 0, "'[' is never closed" },
		{ "n[", 0, "'[' is never closed" },
		{ "n1-3]", 0, "']' without '['" },
		{ "n[1]]", 0, "']' without '['" },
		{ "n[1-[2]]", 0, "'[' inside a group (groups do not nest)" },
		{ "n[]", 0, "empty group '[]'" },
		{ "n[a-c]", 0, "'a' in a group (only digits, ',' and '-')" },
		{ "n[1 2]", 0, "' ' in a group" },
		{ "n[\x01]", 0, "byte 0x01 in a group" },
		{ "n[5-1]", 0, "range '5-1' is reversed" },
		{ "n[010-09]", 0, "range '010-09' is reversed" },
		{ "n[1-010]", 0,
		  "range '1-010': the bounds are padded to different widths" },
		{ "n[1234567890]", 0,
		  "number '1234567890' is too wide (most 9 digits)" },
		{ "n[1-99999999999]", 0, "too wide" },
		{ "n[1-200000]", 0, "expands to 200000 names (most 100000)" },
		{ "a[1-1000]b[1-1000]", 0,
		  "expands to 1000000 names (most 100000)" },
		{ "a[0-999999999]b[0-999999999]c[0-999999999]", 0,
		  "expands to more than " },
		{ "n[1-5]", 4, "expands to 5 names (most 4)" },
		{ "n[1,]", 0,
		  "group '[1,]' has an item that is not a number or a range "
		  "LO-HI" },
		{ "n[,1]", 0, "not a number or a range" },
		{ "n[-1]", 0, "not a number or a range" },
		{ "n[1-]", 0, "not a number or a range" },
		{ "n[1-2-3]", 0, "not a number or a range" },
		{ long_word, 0, "longer than 1024 characters" },
	};
	size_t i;

	memset(long_word, 'a', sizeof(long_word) - 1);
	memcpy(long_word, "n[1]", 4);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct strvec out = STRVEC_INIT;
		char why[200] = "";

		strvec_push(&out, "before");
		size_t max = rows[i].max ? rows[i].max : HOSTRANGE_MAX_HOSTS;

		CU_ASSERT_EQUAL(hostrange_expand(rows[i].word, max, &out, why,
						 sizeof(why)),
				-1);
		if (strstr(why, rows[i].why) == NULL) {
			fprintf(stderr, "\nrow %zu: '%s' said '%s'\n", i,
				rows[i].word, why);
		}
		CU_ASSERT_PTR_NOT_NULL(strstr(why, rows[i].why));
		/* nothing added */
		CU_ASSERT_EQUAL(out.n, 1);
		strvec_clear(&out);
	}
	CU_ASSERT_EQUAL(hostrange_has("a[1]"), 1);
	CU_ASSERT_EQUAL(hostrange_has("a]"), 1);
	CU_ASSERT_EQUAL(hostrange_has("user@a:22"), 0);
}

/* The largest range the limit allows: every name, in order, each
 * padded. */
static void test_ranges_limit(void)
{
	struct strvec out = STRVEC_INIT;
	char why[200];

	CU_ASSERT_EQUAL_FATAL(hostrange_expand("n[000001-100000]",
					       HOSTRANGE_MAX_HOSTS, &out, why,
					       sizeof(why)),
			      0);
	CU_ASSERT_EQUAL_FATAL(out.n, 100000);
	CU_ASSERT_STRING_EQUAL(out.v[0], "n000001");
	CU_ASSERT_STRING_EQUAL(out.v[9999], "n010000");
	CU_ASSERT_STRING_EQUAL(out.v[99999], "n100000");
	strvec_clear(&out);
}

static void test_slurm_counts(void)
{
	static const struct {
		const char *spec;
		size_t max;
		const char *want; /* counts, or NULL: an error */
		const char *why;
	} rows[] = {
		{ "16(x2),8", 10, "16 16 8", NULL },
		{ "4", 10, "4", NULL },
		{ "1(x3)", 3, "1 1 1", NULL },
		{ "2,3(x1),4", 3, "2 3 4", NULL },
		{ "1000000", 1, "1000000", NULL },
		{ "", 10, NULL, "'' is not a list of counts like 16(x2),8" },
		{ "16(x2", 10, NULL, "not a list of counts" },
		{ "16(x)", 10, NULL, "not a list of counts" },
		{ "16(2)", 10, NULL, "not a list of counts" },
		{ "x", 10, NULL, "not a list of counts" },
		{ "16,", 10, NULL, "not a list of counts" },
		{ ",16", 10, NULL, "not a list of counts" },
		{ "16 (x2)", 10, NULL, "not a list of counts" },
		{ "-1", 10, NULL, "not a list of counts" },
		{ "1234567890", 10, NULL, "not a list of counts" },
		{ "0", 10, NULL, "a count of 0 or of more than 1000000" },
		{ "1000001", 10, NULL, "a count of 0" },
		{ "16(x0)", 10, NULL, "a count of 0" },
		{ "1(x4)", 3, NULL, "counts for more than 3 nodes" },
		{ "1,1(x999999999)", 100000, NULL,
		  "counts for more than 100000 nodes" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		long *counts = NULL;
		size_t n = 99;
		char why[200] = "";
		int rc = slurm_counts_parse(rows[i].spec, rows[i].max, &counts,
					    &n, why, sizeof(why));

		if (rows[i].want != NULL) {
			char buf[200] = "";
			size_t at = 0;
			size_t k;

			CU_ASSERT_EQUAL(rc, 0);
			for (k = 0; k < n; k++) {
				at += (size_t)snprintf(buf + at,
						       sizeof(buf) - at,
						       "%s%ld", k ? " " : "",
						       counts[k]);
			}
			CU_ASSERT_STRING_EQUAL(buf, rows[i].want);
		} else {
			CU_ASSERT_EQUAL(rc, -1);
			CU_ASSERT_PTR_NULL(counts);
			CU_ASSERT_EQUAL(n, 0);
			CU_ASSERT_PTR_NOT_NULL(strstr(why, rows[i].why));
		}
		free(counts);
	}
}

static void test_slurm_hostnames(void)
{
	static const struct {
		const char *text;
		const char *names; /* or NULL: an error */
		const char *why;
	} rows[] = {
		{ "a\nb\n", "a b", NULL },
		{ "a", "a", NULL },
		{ "a\r\n\n  b  \n\n", "a b", NULL },
		{ "", NULL, "no host names" },
		{ "\n\n", NULL, "no host names" },
		{ "Invalid hostlist: n[3-1]\n", NULL,
		  "Invalid hostlist: n[3-1]" },
		{ "n1\nscontrol: error: host list is empty\n", NULL,
		  "scontrol: error: host list is empty" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct strvec out = STRVEC_INIT;
		char why[200] = "";
		char buf[200];
		int rc = slurm_hostnames_parse(rows[i].text, &out, why,
					       sizeof(why));

		if (rows[i].names != NULL) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_STRING_EQUAL(joined(&out, buf, sizeof(buf)),
					       rows[i].names);
		} else {
			CU_ASSERT_EQUAL(rc, -1);
			CU_ASSERT_STRING_EQUAL(why, rows[i].why);
			CU_ASSERT_EQUAL(out.n, 0);
		}
		strvec_clear(&out);
	}
}

/* A fake environment (NAME=VALUE strings) and scontrol. */
static const char *const *fake_env;
static const char *fake_scontrol_out; /* NULL: scontrol fails */
static char fake_scontrol_arg[200];

static const char *fake_getenv(const char *name)
{
	size_t len = strlen(name);
	size_t i;

	for (i = 0; fake_env != NULL && fake_env[i] != NULL; i++) {
		if (strncmp(fake_env[i], name, len) == 0 &&
		    fake_env[i][len] == '=') {
			return fake_env[i] + len + 1;
		}
	}
	return NULL;
}

static char *fake_scontrol(const char *list, char *why, size_t whylen)
{
	snprintf(fake_scontrol_arg, sizeof(fake_scontrol_arg), "%s", list);
	if (fake_scontrol_out == NULL) {
		snprintf(why, whylen, "scontrol is not on PATH");
		return NULL;
	}
	return strdup(fake_scontrol_out);
}

static void test_slurm_job(void)
{
	static const struct {
		const char *env[5];
		const char *scontrol;
		const char *hosts; /* or NULL: an error */
		const char *cpus;  /* "" for none */
		const char *from_or_why;
	} rows[] = {
		{ { "SLURM_JOB_NODELIST=n[1-3]",
		    "SLURM_JOB_CPUS_PER_NODE=16(x2),8", "SLURM_JOB_ID=42" },
		  "n1\nn2\nn3\n", "n1 n2 n3", "16 16 8",
		  "SLURM_JOB_CPUS_PER_NODE" },
		/* the older name of the list */
		{ { "SLURM_NODELIST=n[1-2]", "SLURM_JOB_CPUS_PER_NODE=4(x2)" },
		  "n1\nn2\n", "n1 n2", "4 4", "SLURM_JOB_CPUS_PER_NODE" },
		/* the job's CPUs before its tasks */
		{ { "SLURM_JOB_NODELIST=n[1-2]", "SLURM_TASKS_PER_NODE=1(x2)",
		    "SLURM_JOB_CPUS_PER_NODE=8,4" },
		  "n1\nn2\n", "n1 n2", "8 4", "SLURM_JOB_CPUS_PER_NODE" },
		{ { "SLURM_JOB_NODELIST=n[1-2]", "SLURM_TASKS_PER_NODE=2,1" },
		  "n1\nn2\n", "n1 n2", "2 1", "SLURM_TASKS_PER_NODE" },
		{ { "SLURM_JOB_NODELIST=n[1-2]", "SLURM_TASKS_PER_NODE=2,1",
		    "SLURM_CPUS_PER_TASK=4" },
		  "n1\nn2\n", "n1 n2", "8 4",
		  "SLURM_TASKS_PER_NODE x SLURM_CPUS_PER_TASK" },
		{ { "SLURM_JOB_NODELIST=n[1-2]", "SLURM_CPUS_ON_NODE=6" },
		  "n1\nn2\n", "n1 n2", "6 6", "SLURM_CPUS_ON_NODE" },
		{ { "SLURM_JOB_NODELIST=n1", "SLURM_JOB_CPUS_PER_NODE=" },
		  "n1\n", "n1", "", NULL },
		{ { "SLURM_JOB_NODELIST=" }, "n1\n", NULL, NULL,
		  "not inside a Slurm job: SLURM_JOB_NODELIST is not set (run "
		  "pytest under salloc, sbatch or srun)" },
		{ { NULL }, "n1\n", NULL, NULL, "not inside a Slurm job" },
		{ { "SLURM_JOB_NODELIST=n[1-3]",
		    "SLURM_JOB_CPUS_PER_NODE=16(x2)" },
		  "n1\nn2\nn3\n", NULL, NULL,
		  "SLURM_JOB_CPUS_PER_NODE '16(x2)' gives CPUs for 2 nodes, "
		  "the job has 3" },
		{ { "SLURM_JOB_NODELIST=n[1-2]",
		    "SLURM_JOB_CPUS_PER_NODE=16(x3)" },
		  "n1\nn2\n", NULL, NULL,
		  "SLURM_JOB_CPUS_PER_NODE: '16(x3)': counts for more than 2 "
		  "nodes" },
		{ { "SLURM_JOB_NODELIST=n[1-2]",
		    "SLURM_JOB_CPUS_PER_NODE=lots" },
		  "n1\nn2\n", NULL, NULL,
		  "SLURM_JOB_CPUS_PER_NODE: 'lots' is not a list of counts" },
		{ { "SLURM_JOB_NODELIST=n[1-2]", "SLURM_TASKS_PER_NODE=1(x2)",
		    "SLURM_CPUS_PER_TASK=x" },
		  "n1\nn2\n", NULL, NULL,
		  "SLURM_CPUS_PER_TASK: 'x' is not a count" },
		{ { "SLURM_JOB_NODELIST=n[3-1]" },
		  "scontrol: error: _parse_single_range: Invalid range: "
		  "`3-1'\nInvalid hostlist: n[3-1]\n",
		  NULL, NULL,
		  "scontrol show hostnames 'n[3-1]' (SLURM_JOB_NODELIST): "
		  "scontrol: error: _parse_single_range: Invalid range: "
		  "`3-1'" },
		{ { "SLURM_JOB_NODELIST=n1" }, NULL, NULL, NULL,
		  "scontrol is not on PATH" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct slurm_job job = SLURM_JOB_INIT;
		char why[300] = "";
		char buf[200];
		int rc;

		fake_env = rows[i].env;
		fake_scontrol_out = rows[i].scontrol;
		rc = slurm_job_read(fake_getenv, fake_scontrol, 100, &job, why,
				    sizeof(why));
		if (rows[i].hosts == NULL) {
			CU_ASSERT_EQUAL(rc, -1);
			if (strstr(why, rows[i].from_or_why) == NULL) {
				fprintf(stderr, "\nrow %zu said '%s'\n", i,
					why);
			}
			CU_ASSERT_PTR_NOT_NULL(
				strstr(why, rows[i].from_or_why));
			CU_ASSERT_EQUAL(job.hosts.n, 0);
			CU_ASSERT_PTR_NULL(job.cpus);
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_STRING_EQUAL(joined(&job.hosts, buf, sizeof(buf)),
				       rows[i].hosts);
		if (rows[i].cpus[0] == '\0') {
			CU_ASSERT_PTR_NULL(job.cpus);
			CU_ASSERT_PTR_NULL(job.from);
		} else {
			size_t at = 0;
			size_t k;

			CU_ASSERT_PTR_NOT_NULL_FATAL(job.cpus);
			for (k = 0; k < job.hosts.n; k++) {
				at += (size_t)snprintf(buf + at,
						       sizeof(buf) - at,
						       "%s%ld", k ? " " : "",
						       job.cpus[k]);
			}
			CU_ASSERT_STRING_EQUAL(buf, rows[i].cpus);
			CU_ASSERT_STRING_EQUAL(job.from, rows[i].from_or_why);
		}
		slurm_job_release(&job);
	}
	/* the job's id, and the list as Slurm gave it to scontrol */
	{
		static const char *const env[] = { "SLURM_JOB_NODELIST=n[1-2]",
						   "SLURM_JOB_ID=42", NULL };
		struct slurm_job job = SLURM_JOB_INIT;
		char why[300];

		fake_env = env;
		fake_scontrol_out = "n1\nn2\n";
		CU_ASSERT_EQUAL(slurm_job_read(fake_getenv, fake_scontrol, 1,
					       &job, why, sizeof(why)),
				-1);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, "SLURM_JOB_NODELIST "
						   "'n[1-2]' names 2 nodes "
						   "(most 1)"));
		CU_ASSERT_EQUAL(slurm_job_read(fake_getenv, fake_scontrol, 10,
					       &job, why, sizeof(why)),
				0);
		CU_ASSERT_STRING_EQUAL(fake_scontrol_arg, "n[1-2]");
		CU_ASSERT_STRING_EQUAL(job.id, "42");
		slurm_job_release(&job);
	}
}

/* Fake host files: path and text pairs; the paths asked for. */
static const char *const *fake_files;
static char fake_asked[512];

static char *fake_read(const char *path, char *why, size_t whylen)
{
	size_t i;

	snprintf(fake_asked + strlen(fake_asked),
		 sizeof(fake_asked) - strlen(fake_asked), "%s%s",
		 fake_asked[0] ? " " : "", path);
	for (i = 0; fake_files != NULL && fake_files[i] != NULL; i += 2) {
		if (strcmp(fake_files[i], path) == 0) {
			return strdup(fake_files[i + 1]);
		}
	}
	snprintf(why, whylen, "%s: cannot read: No such file or directory",
		 path);
	return NULL;
}

static const struct nodelist_io fake_io = { fake_read, fake_scontrol,
					    fake_getenv };

static void test_nodelist_rows(void)
{
	static const char *const files[] = {
		"/p/hosts",
		"# the build boxes\nbox[1-3]  # three\n\n  ci@gpu1:2222\r\n"
		"box2 other\n",
		"hosts.rel", "rel1\n",
		"/p/empty", "# none yet\n\n",
		"/p/bad", "a\nb\nx;y\n",
		"/p/badrange", "a\n\nn[2-1]\n",
		"/p/nested", "a\n^other\n",
		"/p/slurm", "@slurm\n",
		NULL,
	};
	static const char *const env[] = {
		"SLURM_JOB_NODELIST=s[1-2]", "SLURM_JOB_CPUS_PER_NODE=16,8",
		"SLURM_JOB_ID=7", NULL
	};
	static const struct {
		const char *value;
		int io;           /* with the fake io */
		const char *base;
		const char *nodes; /* or NULL: an error */
		const char *asked_or_why;
	} rows[] = {
		{ "n[1-2] m", 1, NULL, "n1 n2 m", "" },
		{ "^hosts", 1, "/p",
		  "box1 box2 box3 ci@gpu1:2222 other", "/p/hosts" },
		{ "^/p/hosts", 1, "/q",
		  "box1 box2 box3 ci@gpu1:2222 other", "/p/hosts" },
		/* the command line's: from the current folder */
		{ "^hosts.rel", 1, NULL, "rel1", "hosts.rel" },
		/* first seen first, each once */
		{ "box3 ^hosts box1", 1, "/p",
		  "box3 box1 box2 ci@gpu1:2222 other", "/p/hosts" },
		{ "^hosts ^hosts", 1, "/p",
		  "box1 box2 box3 ci@gpu1:2222 other", "/p/hosts /p/hosts" },
		{ "@slurm n1", 1, NULL, "s1 s2 n1", "" },
		/* without io: kept as typed */
		{ "^hosts @slurm n[1-2] ^hosts", 0, "/p", "^hosts @slurm n1 n2",
		  "" },
		{ "^missing", 1, "/p", NULL,
		  "ORIGIN: ^missing: /p/missing: cannot read: No such file" },
		{ "^empty", 1, "/p", NULL,
		  "ORIGIN: ^empty: '/p/empty' names no node" },
		{ "^bad", 1, "/p", NULL,
		  "ORIGIN: ^bad: /p/bad:3: node 'x;y': character ';' is not "
		  "valid in a host name" },
		{ "^badrange", 1, "/p", NULL,
		  "ORIGIN: ^badrange: /p/badrange:3: node 'n[2-1]': range "
		  "'2-1' is reversed" },
		{ "^nested", 1, "/p", NULL,
		  "ORIGIN: ^nested: /p/nested:2: '^other': a host file lists "
		  "nodes and ranges only" },
		{ "^slurm", 1, "/p", NULL,
		  "'@slurm': a host file lists nodes and ranges only" },
		{ "^", 1, NULL, NULL, "ORIGIN: '^' names no file" },
		{ "^", 0, NULL, NULL, "ORIGIN: '^' names no file" },
		{ "@all", 1, NULL, NULL,
		  "ORIGIN: '@all': unknown node group (the one there is: "
		  "@slurm)" },
		{ "@slurm2", 0, NULL, NULL, "unknown node group" },
		{ "n[1-3", 0, NULL, NULL,
		  "ORIGIN: node 'n[1-3': '[' is never closed" },
		{ "a;[1-2]", 0, NULL, NULL,
		  "ORIGIN: node 'a;[1-2]' ('a;1'): character ';' is not valid "
		  "in a host name" },
		{ "ok a;b", 0, NULL, NULL,
		  "ORIGIN: node 'a;b': character ';' is not valid" },
		{ "a[1-60000] b[1-60000]", 0, NULL, NULL,
		  "ORIGIN: more than 100000 nodes in all" },
	};
	size_t i;

	fake_files = files;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct strvec nodes = STRVEC_INIT;
		struct nodelist_caps caps = NODELIST_CAPS_INIT;
		char err[400] = "";
		char buf[400];
		int rc;

		fake_env = env;
		fake_scontrol_out = "s1\ns2\n";
		fake_asked[0] = '\0';
		rc = nodelist_add(&nodes, &caps, rows[i].value, "ORIGIN",
				  rows[i].base, rows[i].io ? &fake_io : NULL,
				  err, sizeof(err));
		if (rows[i].nodes != NULL) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_STRING_EQUAL(joined(&nodes, buf, sizeof(buf)),
					       rows[i].nodes);
			CU_ASSERT_STRING_EQUAL(fake_asked,
					       rows[i].asked_or_why);
		} else {
			CU_ASSERT_EQUAL(rc, -1);
			if (strstr(err, rows[i].asked_or_why) == NULL) {
				fprintf(stderr, "\nrow %zu said '%s'\n", i,
					err);
			}
			CU_ASSERT_PTR_NOT_NULL(strstr(err,
						      rows[i].asked_or_why));
		}
		strvec_clear(&nodes);
		nodelist_caps_release(&caps);
	}
}

/* @slurm's CPUs go with its names, also to a name listed before it; a
 * name after it has none. */
static void test_nodelist_caps(void)
{
	static const char *const env[] = {
		"SLURM_JOB_NODELIST=s[1-3]", "SLURM_JOB_CPUS_PER_NODE=16(x2),8",
		"SLURM_JOB_ID=7", NULL
	};
	static const char *const no_cpus[] = { "SLURM_JOB_NODELIST=s[1-3]",
					       NULL };
	struct strvec nodes = STRVEC_INIT;
	struct nodelist_caps caps = NODELIST_CAPS_INIT;
	char err[300];
	char buf[200];

	fake_env = env;
	fake_scontrol_out = "s1\ns2\ns3\n";
	CU_ASSERT_EQUAL_FATAL(nodelist_add(&nodes, &caps, "s2 a @slurm",
					   "O", NULL, &fake_io, err,
					   sizeof(err)),
			      0);
	CU_ASSERT_EQUAL_FATAL(nodelist_add(&nodes, &caps, "b", "O", NULL,
					   &fake_io, err, sizeof(err)),
			      0);
	CU_ASSERT_STRING_EQUAL(joined(&nodes, buf, sizeof(buf)),
			       "s2 a s1 s3 b");
	CU_ASSERT_EQUAL(nodelist_caps_get(&caps, 0), 16);
	CU_ASSERT_EQUAL(nodelist_caps_get(&caps, 1), 0);
	CU_ASSERT_EQUAL(nodelist_caps_get(&caps, 2), 16);
	CU_ASSERT_EQUAL(nodelist_caps_get(&caps, 3), 8);
	CU_ASSERT_EQUAL(nodelist_caps_get(&caps, 4), 0);
	CU_ASSERT_EQUAL(nodelist_caps_get(&caps, 99), 0);
	CU_ASSERT_STRING_EQUAL(caps.from, "SLURM_JOB_CPUS_PER_NODE");
	CU_ASSERT_STRING_EQUAL(caps.job, "7");
	CU_ASSERT_EQUAL(caps.slurm, 1);
	strvec_clear(&nodes);
	nodelist_caps_release(&caps);
	CU_ASSERT_PTR_NULL(caps.cpus);

	/* a job without CPU figures: names, no caps */
	fake_env = no_cpus;
	CU_ASSERT_EQUAL_FATAL(nodelist_add(&nodes, &caps, "@slurm", "O", NULL,
					   &fake_io, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(nodes.n, 3);
	CU_ASSERT_EQUAL(nodelist_caps_get(&caps, 0), 0);
	CU_ASSERT_PTR_NULL(caps.from);
	CU_ASSERT_EQUAL(caps.slurm, 1);
	strvec_clear(&nodes);
	nodelist_caps_release(&caps);
}

/* Many names, each kept once: the two halves overlap. */
static void test_nodelist_many(void)
{
	struct strvec nodes = STRVEC_INIT;
	char err[300];

	CU_ASSERT_EQUAL_FATAL(nodelist_add(&nodes, NULL,
					   "n[00001-60000] n[40001-100000]",
					   "O", NULL, NULL, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL_FATAL(nodes.n, 100000);
	CU_ASSERT_STRING_EQUAL(nodes.v[60000], "n60001");
	CU_ASSERT_STRING_EQUAL(nodes.v[99999], "n100000");
	/* one more is over the limit */
	CU_ASSERT_EQUAL(nodelist_add(&nodes, NULL, "n00001 extra", "O", NULL,
				     NULL, err, sizeof(err)),
			-1);
	CU_ASSERT_STRING_EQUAL(err, "O: more than 100000 nodes in all");
	strvec_clear(&nodes);
}

static void test_absolute_files(void)
{
	char *s = nodelist_absolute_files("^h n[1-2] ^/abs/h ^ @slurm ^d/h",
					  "/p");

	CU_ASSERT_STRING_EQUAL(s, "^/p/h\nn[1-2]\n^/abs/h\n^\n@slurm\n"
				  "^/p/d/h\n");
	free(s);
	s = nodelist_absolute_files(" ^h  a ", NULL);
	CU_ASSERT_STRING_EQUAL(s, "^h\na\n");
	free(s);
}

/* Through the config: the ini's host files from its folder, the
 * environment's from the project root, the command line's from the
 * current folder; a higher source's nodes drop the allocation. */
static void test_config_sources(void)
{
	static const char *const files[] = { "/ini/dir/hosts", "i1\n",
					     "/root/hosts", "e1\n", "hosts",
					     "c1\n", NULL };
	static const char *const env_hosts[] = { "PYTEST_CLOUD_NODES=^hosts",
						 "SLURM_JOB_NODELIST=s1",
						 "SLURM_CPUS_ON_NODE=4", NULL };
	static const char *const env_none[] = { "SLURM_JOB_NODELIST=s1",
						"SLURM_CPUS_ON_NODE=4", NULL };
	char *argv[] = { "pytest-cloud", "--cloud-nodes=^hosts", NULL };
	char *argv_n[] = { "pytest-cloud", "--cloud-node=n[1-2]", NULL };
	struct cloud_config cfg;
	char err[300];
	char buf[200];

	fake_files = files;
	fake_env = env_none;
	fake_scontrol_out = "s1\n";
	/* ini alone */
	CU_ASSERT_EQUAL_FATAL(config_init(&cfg), 0);
	cfg.io = &fake_io;
	CU_ASSERT_EQUAL(inifile_apply_string(&cfg,
					     "[pytest]\ncloud_nodes = ^hosts "
					     "@slurm\n",
					     "/ini/dir/pytest.ini", "pytest",
					     "/ini/dir", NULL, err,
					     sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(joined(&cfg.nodes, buf, sizeof(buf)), "i1 s1");
	CU_ASSERT_EQUAL(nodelist_caps_get(&cfg.caps, 1), 4);
	/* the environment replaces it, caps and all */
	fake_env = env_hosts;
	cfg.rootdir = strdup("/root");
	CU_ASSERT_EQUAL(config_apply_env(&cfg, fake_getenv, err, sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(joined(&cfg.nodes, buf, sizeof(buf)), "e1");
	CU_ASSERT_PTR_NULL(cfg.caps.cpus);
	CU_ASSERT_EQUAL(cfg.caps.slurm, 0);
	/* and the command line replaces that */
	CU_ASSERT_EQUAL(config_apply_argv(&cfg, 2, argv, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(joined(&cfg.nodes, buf, sizeof(buf)), "c1");
	config_release(&cfg);

	/* an error names the ini file's line */
	CU_ASSERT_EQUAL_FATAL(config_init(&cfg), 0);
	cfg.io = &fake_io;
	CU_ASSERT_EQUAL(inifile_apply_string(&cfg,
					     "[pytest]\n\ncloud_nodes = "
					     "n[2-1]\n",
					     "pytest.ini", "pytest", "/p", NULL,
					     err, sizeof(err)),
			-1);
	CU_ASSERT_STRING_EQUAL(err, "pytest.ini:3: cloud_nodes: node "
				    "'n[2-1]': range '2-1' is reversed");
	config_release(&cfg);

	/* without io (the helper's first look at argv): as typed */
	CU_ASSERT_EQUAL_FATAL(config_init(&cfg), 0);
	CU_ASSERT_EQUAL(config_apply_argv(&cfg, 2, argv, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(joined(&cfg.nodes, buf, sizeof(buf)),
			       "^hosts");
	CU_ASSERT_EQUAL(config_apply_argv(&cfg, 2, argv_n, err, sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(joined(&cfg.nodes, buf, sizeof(buf)),
			       "^hosts n1 n2");
	config_release(&cfg);
}

/* pytest-cloud init checks every form and keeps what was typed. */
static void test_config_add_nodes(void)
{
	struct strvec nodes = STRVEC_INIT;
	char err[300];
	char buf[200];

	CU_ASSERT_EQUAL(config_add_nodes(&nodes,
					 "node[01-03] ^hosts @slurm a "
					 "node[01-03]",
					 "--nodes", err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(config_add_nodes(&nodes, "a b", "--nodes", err,
					 sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(joined(&nodes, buf, sizeof(buf)),
			       "node[01-03] ^hosts @slurm a b");
	CU_ASSERT_EQUAL(config_add_nodes(&nodes, "c n[3-1]", "--nodes", err,
					 sizeof(err)),
			-1);
	CU_ASSERT_STRING_EQUAL(err, "--nodes: node 'n[3-1]': range '3-1' is "
				    "reversed");
	CU_ASSERT_EQUAL(config_add_nodes(&nodes, "@nodes", "--nodes", err,
					 sizeof(err)),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown node group"));
	strvec_clear(&nodes);
}

int suite_hostrange(void)
{
	CU_pSuite s = CU_add_suite("hostrange", NULL, NULL);

	return (s && CU_add_test(s, "ranges", test_ranges_good) &&
		CU_add_test(s, "bad ranges", test_ranges_bad) &&
		CU_add_test(s, "the limit", test_ranges_limit) &&
		CU_add_test(s, "slurm counts", test_slurm_counts) &&
		CU_add_test(s, "scontrol's output", test_slurm_hostnames) &&
		CU_add_test(s, "the slurm job", test_slurm_job) &&
		CU_add_test(s, "node lists", test_nodelist_rows) &&
		CU_add_test(s, "allocation caps", test_nodelist_caps) &&
		CU_add_test(s, "many names", test_nodelist_many) &&
		CU_add_test(s, "host file paths", test_absolute_files) &&
		CU_add_test(s, "config sources", test_config_sources) &&
		CU_add_test(s, "init's nodes", test_config_add_nodes))
		       ? 0
		       : -1;
}
