/* sshcfg: CUnit tests of helper/sshcfg.c. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sshcfg.h"
#include "suites.h"

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
