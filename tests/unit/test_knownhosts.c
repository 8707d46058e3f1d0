/* knownhosts: known_hosts judged as ssh judges it. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "knownhosts.h"
#include "suites.h"

/* Whether knownhosts_judge finds key (type, b64) @revoked in text, for
 * a host no pattern names: an @revoked line holds whatever its hosts. */
static int revoked(const char *text, const char *type, const char *b64)
{
	struct knownhosts_verdict v = KNOWNHOSTS_VERDICT_INIT;
	int found;

	CU_ASSERT_EQUAL(knownhosts_judge(text, "f", "elsewhere", type, b64,
					 &v),
			0);
	found = v.revoked;
	knownhosts_verdict_release(&v);
	return found;
}

static void test_revoked(void)
{
	static const char text[] =
		"# comment\n"
		"[127.0.0.1]:2222 ssh-ed25519 AAAAgood\n"
		"@revoked * ssh-ed25519 AAAAbad old key\n"
		"@cert-authority *.example ssh-rsa AAAAca\n"
		"  @revoked\t[h]:22,h2 ecdsa-sha2-nistp256 AAAAec\r\n";
	static const struct {
		const char *type;
		const char *b64;
		int want;
	} rows[] = {
		{ "ssh-ed25519", "AAAAbad", 1 },
		{ "ssh-ed25519", "AAAAgood", 0 },  /* listed, not revoked */
		{ "ssh-rsa", "AAAAbad", 0 },       /* another type */
		{ "ssh-rsa", "AAAAca", 0 },        /* a CA, not revoked */
		{ "ecdsa-sha2-nistp256", "AAAAec", 1 }, /* tabs, CRLF */
		{ "ssh-ed25519", "AAAAba", 0 },    /* a prefix is not the key */
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CU_ASSERT_EQUAL(revoked(text, rows[i].type, rows[i].b64),
				rows[i].want);
	}
	CU_ASSERT_EQUAL(revoked("", "ssh-ed25519", "AAAAbad"), 0);
	CU_ASSERT_EQUAL(revoked("@revoked", "ssh-ed25519", "x"), 0);
	CU_ASSERT_EQUAL(revoked("@revoked h ssh-ed25519", "ssh-ed25519", ""),
			0);
}

static void test_names_and_patterns(void)
{
	char *n = knownhosts_name("Node1.Example", 22, NULL);

	CU_ASSERT_STRING_EQUAL(n, "node1.example");
	free(n);
	n = knownhosts_name("127.0.0.5", 2222, NULL);
	CU_ASSERT_STRING_EQUAL(n, "[127.0.0.5]:2222");
	free(n);
	n = knownhosts_name("127.0.0.5", 2222, "MyAlias");
	CU_ASSERT_STRING_EQUAL(n, "MyAlias"); /* as it is, no port */
	free(n);
	CU_ASSERT(knownhosts_hosts_match("a,b,[127.0.0.5]:2222", "[127.0.0.5]:2222"));
	CU_ASSERT(knownhosts_hosts_match("*.example", "node1.example"));
	CU_ASSERT(knownhosts_hosts_match("node?.EXAMPLE", "node1.example"));
	CU_ASSERT(!knownhosts_hosts_match("*.example,!bad.example", "bad.example"));
	/* brackets are themselves, not a character class */
	CU_ASSERT(!knownhosts_hosts_match("[127.0.0.5]:2222", "1:2222"));
	CU_ASSERT(!knownhosts_hosts_match("node1", "node12"));
}

static void test_judge(void)
{
	static const char text[] =
		"# a comment\n"
		"\n"
		"[h]:2222,other ssh-ed25519 AAAAkey1\n"
		"[h]:2222 ecdsa-sha2-nistp256 AAAAkey2\n"
		"@cert-authority *.example ssh-ed25519 AAAAca1\n"
		"@cert-authority * ssh-rsa AAAAca2\n"
		"@revoked * ssh-ed25519 AAAAold\n"
		"@future h ssh-ed25519 AAAAkey1\n";
	struct knownhosts_verdict v = KNOWNHOSTS_VERDICT_INIT;

	CU_ASSERT_EQUAL(knownhosts_judge(text, "f", "[h]:2222", "ssh-ed25519",
					 "AAAAkey1", &v),
			0);
	CU_ASSERT_EQUAL(v.match, 1);
	CU_ASSERT_EQUAL(v.other, 1); /* the ECDSA line */
	CU_ASSERT_STRING_EQUAL(v.other_where, "f:4");
	CU_ASSERT_EQUAL(v.revoked, 0);
	CU_ASSERT_EQUAL_FATAL(v.cas.n, 1);
	CU_ASSERT_STRING_EQUAL(v.cas.v[0], "ssh-rsa AAAAca2");
	CU_ASSERT_EQUAL_FATAL(v.types.n, 2);
	CU_ASSERT_STRING_EQUAL(v.types.v[1], "ecdsa-sha2-nistp256");
	CU_ASSERT_EQUAL_FATAL(v.revoked_keys.n, 1);
	knownhosts_verdict_release(&v);

	CU_ASSERT_EQUAL(knownhosts_judge(text, "f", "n.example", "ssh-ed25519",
					 "AAAAold", &v),
			0);
	CU_ASSERT_EQUAL(v.match, 0);
	CU_ASSERT_EQUAL(v.revoked, 1);
	CU_ASSERT_STRING_EQUAL(v.revoked_where, "f:7");
	CU_ASSERT_EQUAL(v.cas.n, 2);
	knownhosts_verdict_release(&v);
}

static void test_hashed_lines(void)
{
	static const unsigned char salt[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
						11, 12, 13, 14, 15, 16, 17, 18,
						19, 20 };
	char *line = knownhosts_line("[h]:2222", "ssh-ed25519", "AAAAk", salt);
	char *plain = knownhosts_line("h", "ssh-ed25519", "AAAAk", NULL);
	struct knownhosts_verdict v = KNOWNHOSTS_VERDICT_INIT;

	CU_ASSERT_STRING_EQUAL(plain, "h ssh-ed25519 AAAAk\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(strncmp(line, "|1|AQIDBAUGBwgJCgsMDQ4PEBESExQ=|", 32), 0);
	CU_ASSERT(knownhosts_hosts_match(line, "[h]:2222"));
	CU_ASSERT(!knownhosts_hosts_match(line, "[h]:2223"));
	CU_ASSERT_EQUAL(knownhosts_judge(line, "f", "[h]:2222", "ssh-ed25519",
					 "AAAAk", &v),
			0);
	CU_ASSERT_EQUAL(v.match, 1);
	knownhosts_verdict_release(&v);
	/* one ssh-keygen -H wrote for "node1" (HMAC-SHA1 keyed by its salt) */
	CU_ASSERT(knownhosts_hosts_match("|1|Arir3iWLFB8gfVR3xKHVEVyslRk=|"
					 "E4RbjCC6VMM9NbsWVMAeUKti4os=",
					 "node1"));
	CU_ASSERT(!knownhosts_hosts_match("|1|Arir3iWLFB8gfVR3xKHVEVyslRk=|"
					  "E4RbjCC6VMM9NbsWVMAeUKti4os=",
					  "node2"));
	CU_ASSERT(!knownhosts_hosts_match("|1|bad|", "node1"));
	free(line);
	free(plain);
}

int suite_knownhosts(void)
{
	CU_pSuite s = CU_add_suite("knownhosts", NULL, NULL);

	return (s && CU_add_test(s, "revoked", test_revoked) &&
		CU_add_test(s, "names and patterns", test_names_and_patterns) &&
		CU_add_test(s, "a file judged", test_judge) &&
		CU_add_test(s, "hashed names", test_hashed_lines))
		       ? 0
		       : -1;
}
