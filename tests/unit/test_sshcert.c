/* sshcert: host certificates judged (helper/core/sshcert.c), on
 * certificates ssh-keygen made (sshcert_vectors.h). */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sshcert.h"
#include "sshcert_vectors.h"
#include "strvec.h"
#include "suites.h"

#define Y2025 1735689600ULL /* 2025-01-01 */

/* What sshcert_judge says of the certificate for a session whose key is
 * key ("TYPE BASE64"), with ca trusted and revoked never: NULL for
 * trusted. */
static char why[700];

static const char *judge(const char *cert_type, const char *cert,
			 const char *key, const char *principal,
			 unsigned long long now, const char *ca,
			 const char *revoked)
{
	struct strvec cas = STRVEC_INIT;
	struct strvec bad = STRVEC_INIT;
	struct sshcert_host h;
	char type[64];
	const char *b64 = strchr(key, ' ') + 1;
	int rc;

	snprintf(type, sizeof(type), "%.*s", (int)(b64 - 1 - key), key);
	strvec_push(&cas, ca);
	if (revoked != NULL) {
		strvec_push(&bad, revoked);
	}
	h.principal = principal;
	h.now = now;
	h.key_type = type;
	h.key_b64 = b64;
	h.cas = &cas;
	h.revoked = &bad;
	why[0] = '\0';
	rc = sshcert_judge(cert_type, cert, &h, why, sizeof(why));
	strvec_clear(&cas);
	strvec_clear(&bad);
	return rc == 0 ? NULL : why;
}

#define ED "ssh-ed25519-cert-v01@openssh.com"

static void starts(const char *got, const char *want)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	if (strncmp(got, want, strlen(want)) != 0) {
		fprintf(stderr, "\n  got:  %s\n  want: %s...\n", got, want);
	}
	CU_ASSERT_EQUAL(strncmp(got, want, strlen(want)), 0);
}

static void test_trusted(void)
{
	CU_ASSERT_PTR_NULL(judge(ED, CERT_GOOD, KEY_HOST, "node1.example",
				 Y2025, KEY_CA, NULL));
	CU_ASSERT_PTR_NULL(judge(ED, CERT_GOOD, KEY_HOST, "127.0.0.5", Y2025,
				 KEY_CA, NULL));
	CU_ASSERT_PTR_NULL(judge(ED, CERT_GOOD, KEY_HOST, "NODE1.example",
				 Y2025, KEY_CA, NULL));
	/* CAs of each kind, an ECDSA host key */
	CU_ASSERT_PTR_NULL(judge(ED, CERT_ECCA, KEY_HOST, "node1.example",
				 Y2025, KEY_CAEC, NULL));
	CU_ASSERT_PTR_NULL(judge(ED, CERT_RSACA, KEY_HOST, "node1.example",
				 Y2025, KEY_CARSA, NULL));
	CU_ASSERT_PTR_NULL(judge("ecdsa-sha2-nistp384-cert-v01@openssh.com",
				 CERT_HEC, KEY_HOSTEC, "node1.example", Y2025,
				 KEY_CA, NULL));
}

static void test_refused(void)
{
	starts(judge(ED, CERT_GOOD, KEY_HOST, "node2", Y2025, KEY_CA, NULL),
	       "host certificate is for 'node1.example, 127.0.0.5', not "
	       "'node2'");
	starts(judge(ED, CERT_EXPIRED, KEY_HOST, "node1.example", Y2025,
		     KEY_CA, NULL),
	       "host certificate expired on 2020-01-02");
	starts(judge(ED, CERT_GOOD, KEY_HOST, "node1.example", 1500000000ULL,
		     KEY_CA, NULL),
	       "host certificate is not valid before 2020-01-01");
	starts(judge(ED, CERT_GOOD, KEY_HOST, "node1.example",
		     4200000000ULL, KEY_CA, NULL),
	       "host certificate expired on 2099-12-31");
	starts(judge(ED, CERT_OTHERCA, KEY_HOST, "node1.example", Y2025,
		     KEY_CA, NULL),
	       "host certificate (id 'oca') is signed by a CA that "
	       "known_hosts does not trust for this host");
	starts(judge(ED, CERT_GOOD, KEY_HOST, "node1.example", Y2025,
		     KEY_OTHER, NULL),
	       "host certificate (id 'good') is signed by a CA that");
	starts(judge(ED, CERT_GOOD, KEY_HOST, "node1.example", Y2025, KEY_CA,
		     KEY_CA),
	       "host certificate: its CA key is @revoked");
	starts(judge(ED, CERT_USER, KEY_HOST, "node1.example", Y2025, KEY_CA,
		     NULL),
	       "host certificate: it is a user certificate");
	starts(judge(ED, CERT_NOPRINC, KEY_HOST, "node1.example", Y2025,
		     KEY_CA, NULL),
	       "host certificate: it names no host");
	starts(judge(ED, CERT_RSASHA1, KEY_HOST, "node1.example", Y2025,
		     KEY_CARSA, NULL),
	       "host certificate: signature algorithm 'ssh-rsa' is not "
	       "accepted");
	/* its end moved past the signature */
	starts(judge(ED, CERT_TAMPERED, KEY_HOST, "node1.example", Y2025,
		     KEY_CA, NULL),
	       "host certificate: the CA's signature does not verify");
	/* a good certificate of another key than the session's */
	starts(judge(ED, CERT_GOOD, KEY_OTHER, "node1.example", Y2025, KEY_CA,
		     NULL),
	       "host certificate: it certifies another key");
	/* not a certificate, not base64 */
	starts(judge(ED, "AAAA", KEY_HOST, "node1.example", Y2025, KEY_CA,
		     NULL),
	       "host certificate: ");
	starts(judge(ED, "!!!!", KEY_HOST, "node1.example", Y2025, KEY_CA,
		     NULL),
	       "host certificate: ");
	starts(judge("ssh-ed25519", CERT_GOOD, KEY_HOST, "node1.example",
		     Y2025, KEY_CA, NULL),
	       "host certificate: ");
}

int suite_sshcert(void)
{
	CU_pSuite s = CU_add_suite("sshcert", NULL, NULL);

	return (s && CU_add_test(s, "trusted", test_trusted) &&
		CU_add_test(s, "refused, each saying why", test_refused))
		       ? 0
		       : -1;
}
