/* plan: CUnit tests of helper/plan.c. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "suites.h"

static void test_plan_rows(void)
{
	static const struct {
		long cpus, mem, have_mem, max, per, want;
		const char *why;
		long alloc;
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
		/* the CPUs of a Slurm job's allocation */
		{ 64, 8000, 1, 0, 0, 16, "", 16 },
		{ 4, 8000, 1, 0, 0, 4, "", 16 },
		{ 64, 8000, 1, 8, 0, 8, "", 16 },
		{ 64, 8000, 1, 0, 1000, 8, "", 16 },
		{ 64, 8000, 1, 0, 0, 1, "", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct plan_limits lim = { rows[i].max, rows[i].per,
					    rows[i].alloc };
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

int suite_plan(void)
{
	CU_pSuite s = CU_add_suite("plan", NULL, NULL);

	return (s && CU_add_test(s, "limits", test_plan_rows)) ? 0 : -1;
}
