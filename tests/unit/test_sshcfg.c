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
		/* Match blocks of host and originalhost are evaluated */
		{ "Match host a\n StrictHostKeyChecking no\n", "a",
		  POLICY_NO },
		{ "Match host good1\n StrictHostKeyChecking yes\nHost *\n "
		  "StrictHostKeyChecking no\n",
		  "good1", POLICY_STRICT },
		{ "Match host good1\n StrictHostKeyChecking yes\nHost *\n "
		  "StrictHostKeyChecking no\n",
		  "other", POLICY_NO },
		{ "Host *\n StrictHostKeyChecking accept-new\nMatch all\n "
		  "StrictHostKeyChecking no\n",
		  "a", POLICY_ACCEPT_NEW },
		{ "Match !host a\n StrictHostKeyChecking no\n", "a",
		  POLICY_UNSET },
		{ "Match !host a\n StrictHostKeyChecking no\n", "b",
		  POLICY_NO },
		{ "Match host b,a\n StrictHostKeyChecking no\n", "a",
		  POLICY_NO },
		{ "Match host *,!a\n StrictHostKeyChecking no\n", "a",
		  POLICY_UNSET },
		{ "Match HOST=A\n StrictHostKeyChecking no\n", "a",
		  POLICY_NO }, /* '=' parts words, as in ssh */
		{ "Match host \"a\"\n StrictHostKeyChecking no\n", "a",
		  POLICY_NO }, /* quotes go */
		{ "Match exec \"test -e x\" host b\n StrictHostKeyChecking "
		  "no\n",
		  "a", POLICY_UNSET }, /* a quoted argument is one word */
		/* host is the HostName set so far, %h expanded */
		{ "HostName n-%h.lan\nMatch host n-a.lan\n "
		  "StrictHostKeyChecking no\n",
		  "a", POLICY_NO },
		{ "HostName n-%h.lan\nMatch host a\n "
		  "StrictHostKeyChecking no\n",
		  "a", POLICY_UNSET },
		{ "HostName n-%h.lan\nMatch originalhost a\n "
		  "StrictHostKeyChecking no\n",
		  "a", POLICY_NO },
		{ "Match host a\n StrictHostKeyChecking no\nHostName b\n",
		  "a", POLICY_NO },
		/* every criterion must hold */
		{ "Match originalhost a host x\n StrictHostKeyChecking no\n",
		  "a", POLICY_UNSET },
		/* what cannot be told here: the strictest it could give */
		{ "Match exec true\n User x\nHost *\n "
		  "StrictHostKeyChecking no\n",
		  "a", POLICY_NO },
		{ "Match exec true\n StrictHostKeyChecking no\nHost *\n "
		  "StrictHostKeyChecking accept-new\n",
		  "a", POLICY_ACCEPT_NEW },
		{ "Match exec true\n StrictHostKeyChecking yes\nHost *\n "
		  "StrictHostKeyChecking no\n",
		  "a", POLICY_STRICT },
		{ "Match host a exec true\n StrictHostKeyChecking no\n", "a",
		  POLICY_STRICT },
		{ "Match host a exec true\n StrictHostKeyChecking no\n", "b",
		  POLICY_UNSET }, /* ruled out by host, whatever exec says */
		{ "Match canonical host a\n StrictHostKeyChecking no\n", "a",
		  POLICY_STRICT },
		{ "Match final\n StrictHostKeyChecking no\n", "a",
		  POLICY_STRICT },
		{ "Match localnetwork 10.0.0.0/8\n StrictHostKeyChecking no\n",
		  "a", POLICY_STRICT },
		{ "Match host\n StrictHostKeyChecking no\n", "a",
		  POLICY_STRICT },
		/* user and localuser: none known here */
		{ "Match user me\n StrictHostKeyChecking no\n", "a",
		  POLICY_STRICT },
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
	/* a trust keyword in a Match block that cannot be told is named,
	 * not applied */
	CU_ASSERT_EQUAL(sshcfg_read("Match exec \"test -e /x\"\n"
				    "  GlobalKnownHostsFile /x\n"
				    "Host a\n  RevokedHostKeys /krl\n",
				    "a", NULL, NULL, &s),
			0);
	CU_ASSERT_STRING_EQUAL(s.match_keyword, "GlobalKnownHostsFile");
	CU_ASSERT_PTR_NULL(s.global_known_hosts);
	CU_ASSERT_STRING_EQUAL(s.revoked_host_keys, "/krl");
	sshcfg_settings_release(&s);
}

/* Match user: the name's user@, else the config's User (first value,
 * so far), else the local login; localuser: the local login. */
static void test_match_user(void)
{
	static const struct {
		const char *text;
		const char *given; /* the node name's user@ */
		const char *want;  /* the UserKnownHostsFile it gives */
	} rows[] = {
		{ "Match user me\n UserKnownHostsFile /pinned\n", NULL,
		  "/pinned" },
		{ "Match user me\n UserKnownHostsFile /pinned\n", "root",
		  NULL },
		{ "Match user ro*\n UserKnownHostsFile /pinned\n", "root",
		  "/pinned" },
		{ "User deploy\nMatch user deploy\n UserKnownHostsFile "
		  "/pinned\n",
		  NULL, "/pinned" },
		{ "User deploy\nMatch user deploy\n UserKnownHostsFile "
		  "/pinned\n",
		  "root", NULL },
		{ "Match user deploy\n UserKnownHostsFile /pinned\n"
		  "User deploy\n",
		  NULL, NULL }, /* User comes after: not yet set */
		{ "Match localuser me\n UserKnownHostsFile /pinned\n",
		  "root", "/pinned" },
		{ "Match !localuser me\n UserKnownHostsFile /pinned\n",
		  NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sshcfg_settings s = SSHCFG_SETTINGS_INIT;

		s.local_user = strdup("me");
		s.user = rows[i].given ? strdup(rows[i].given) : NULL;
		CU_ASSERT_EQUAL(sshcfg_read(rows[i].text, "a", NULL, NULL, &s),
				0);
		if (rows[i].want == NULL) {
			CU_ASSERT_PTR_NULL(s.user_known_hosts);
		} else {
			CU_ASSERT_PTR_NOT_NULL_FATAL(s.user_known_hosts);
			CU_ASSERT_STRING_EQUAL(s.user_known_hosts, rows[i].want);
		}
		CU_ASSERT_PTR_NULL(s.match_keyword);
		sshcfg_settings_release(&s);
	}
}

int suite_sshcfg(void)
{
	CU_pSuite s = CU_add_suite("sshcfg", NULL, NULL);

	return (s && CU_add_test(s, "policy", test_sshcfg_policy) &&
		CU_add_test(s, "host key settings", test_settings) &&
		CU_add_test(s, "Match user", test_match_user))
		       ? 0
		       : -1;
}
