/* knownhosts: "@revoked" lines, which libssh skips. */
#include <CUnit/CUnit.h>

#include "knownhosts.h"
#include "suites.h"

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
		CU_ASSERT_EQUAL(knownhosts_revoked(text, rows[i].type,
						   rows[i].b64),
				rows[i].want);
	}
	CU_ASSERT_EQUAL(knownhosts_revoked("", "ssh-ed25519", "AAAAbad"), 0);
	CU_ASSERT_EQUAL(knownhosts_revoked("@revoked", "ssh-ed25519", "x"), 0);
	CU_ASSERT_EQUAL(knownhosts_revoked("@revoked h ssh-ed25519",
					   "ssh-ed25519", ""), 0);
}

int suite_knownhosts(void)
{
	CU_pSuite s = CU_add_suite("knownhosts", NULL, NULL);

	return (s && CU_add_test(s, "revoked", test_revoked)) ? 0 : -1;
}
