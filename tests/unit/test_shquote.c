/* shquote: CUnit tests of helper/shquote.c. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shquote.h"
#include "spawn.h"
#include "suites.h"

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
		{ "host;touch canary", "'host;touch canary'" },
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

int suite_shquote(void)
{
	CU_pSuite s = CU_add_suite("shquote", NULL, NULL);

	return (s && CU_add_test(s, "rows", test_shquote_rows) &&
		CU_add_test(s, "through sh", test_shquote_through_sh))
		       ? 0
		       : -1;
}
