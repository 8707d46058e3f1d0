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
		CU_ASSERT_EQUAL(sshcfg_policy(rows[i].text, rows[i].host),
				rows[i].want);
	}
}

/* An Include read into the same settings (first value wins there too). */
static void fake_include(const char *pattern, const char *host,
			 struct sshcfg_settings *out, void *arg)
{
	(void)host;
	(void)arg;
	if (strcmp(pattern, "extra.conf") == 0) {
		sshcfg_read("HostKeyAlias from-include\nHashKnownHosts yes\n",
			    "a", NULL, NULL, out);
	}
}

static void test_settings(void)
{
	struct sshcfg_settings s = SSHCFG_SETTINGS_INIT;

	CU_ASSERT_EQUAL(sshcfg_read("Host a\n"
				    "  UserKnownHostsFile ~/k1 ~/k2\n"
				    "  Include extra.conf\n"
				    "  HostKeyAlias written-later\n"
				    "Host *\n"
				    "  UserKnownHostsFile /ignored\n"
				    "  GlobalKnownHostsFile=/g1\n"
				    "  StrictHostKeyChecking accept-new\n",
				    "a", fake_include, NULL, &s),
			0);
	CU_ASSERT_STRING_EQUAL(s.user_known_hosts, "~/k1 ~/k2");
	CU_ASSERT_STRING_EQUAL(s.global_known_hosts, "/g1");
	CU_ASSERT_STRING_EQUAL(s.host_key_alias, "from-include");
	CU_ASSERT_EQUAL(s.hash_known_hosts, 1);
	CU_ASSERT_PTR_NULL(s.revoked_host_keys);
	CU_ASSERT_PTR_NULL(s.match_keyword);
	CU_ASSERT_EQUAL(sshcfg_effective_policy(&s), POLICY_ACCEPT_NEW);
	sshcfg_settings_release(&s);
	/* nothing set: ssh's strict default */
	CU_ASSERT_EQUAL(sshcfg_effective_policy(&s), POLICY_STRICT);
	/* a trust keyword in a Match block is named, not applied */
	CU_ASSERT_EQUAL(sshcfg_read("Match host a\n  GlobalKnownHostsFile /x\n"
				    "Host a\n  RevokedHostKeys /krl\n",
				    "a", NULL, NULL, &s),
			0);
	CU_ASSERT_STRING_EQUAL(s.match_keyword, "GlobalKnownHostsFile");
	CU_ASSERT_PTR_NULL(s.global_known_hosts);
	CU_ASSERT_STRING_EQUAL(s.revoked_host_keys, "/krl");
	sshcfg_settings_release(&s);
}

int suite_sshcfg(void)
{
	CU_pSuite s = CU_add_suite("sshcfg", NULL, NULL);

	return (s && CU_add_test(s, "policy", test_sshcfg_policy) &&
		CU_add_test(s, "host key settings", test_settings))
		       ? 0
		       : -1;
}
