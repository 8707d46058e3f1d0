/* b64: see b64.h. */
#include "b64.h"

#include <openssl/evp.h>
#include <stdlib.h>

char *b64_encode(const unsigned char *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out != NULL) {
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	}
	return out;
}

int b64_decode(const char *text, size_t len, unsigned char *out, size_t cap)
{
	int n;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > cap) {
		return -1;
	}
	n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
	if (n < 0) {
		return -1;
	}
	/* EVP_DecodeBlock counts the padding's zero bytes */
	n -= (text[len - 1] == '=') + (len >= 2 && text[len - 2] == '=');
	return n;
}
