/* nodename: CUnit tests of helper/nodename.c. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodename.h"
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
		{ "host;touch canary", "character ';'" },
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

int suite_nodename(void)
{
	CU_pSuite s = CU_add_suite("nodename", NULL, NULL);

	return (s && CU_add_test(s, "good names", test_nodename_good) &&
		CU_add_test(s, "bad names", test_nodename_bad))
		       ? 0
		       : -1;
}
