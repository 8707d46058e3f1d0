#define _GNU_SOURCE
/* libFuzzer target: what a node (or a known_hosts file) can put before
 * the host key judgement: a certificate's bytes (ssh-keyscan -c prints
 * whatever the node sends) through sshcert_judge, and known_hosts text
 * through knownhosts_judge; and what ssh -G prints (the settings every
 * later step takes as OpenSSH's) through sshg_parse and the steps that
 * use it. */
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "knownhosts.h"
#include "sshcert.h"
#include "sshg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char *b64 = malloc(4 * ((size + 2) / 3) + 1);
	struct strvec cas = STRVEC_INIT;
	struct strvec revoked = STRVEC_INIT;
	struct knownhosts_verdict v = KNOWNHOSTS_VERDICT_INIT;
	struct sshcert_host h;
	char why[700];

	if (text == NULL || b64 == NULL) {
		free(text);
		free(b64);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	EVP_EncodeBlock((unsigned char *)b64, data, (int)size);
	strvec_push(&cas, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBXB6DMk7ju2sDyrUnoeapoI1HwxWbMnEbLD7Wa8K9xB");
	h.principal = "node1.example";
	h.now = 1735689600ULL;
	h.key_type = "ssh-ed25519";
	h.key_b64 = "AAAAC3NzaC1lZDI1NTE5AAAAIP+8xgV0/aCy0oQqzY2hy9rD130vYrvxdEcNwxNFUYjk";
	h.cas = &cas;
	h.revoked = &revoked;
	sshcert_judge("ssh-ed25519-cert-v01@openssh.com", b64, &h, why, sizeof(why));
	knownhosts_judge(text, "f", "[h]:2222", "ssh-ed25519", "AAAAk", &v);
	knownhosts_verdict_release(&v);
	{
		struct sshg g = SSHG_INIT;
		char *pin = NULL;
		char *jump = NULL;

		if (sshg_parse(text, &g, why, sizeof(why)) == 0 &&
		    sshg_check(&g, why, sizeof(why)) == 0) {
			pin = sshg_pin(&g);
			jump = sshg_jump_command(&g, "/c%fg 'x'", 3);
		}
		free(pin);
		free(jump);
		sshg_release(&g);
	}
	strvec_clear(&cas);
	free(text);
	free(b64);
	return 0;
}
