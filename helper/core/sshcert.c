/* sshcert: host certificates (see sshcert.h). */
#define _GNU_SOURCE
#include "sshcert.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "b64.h"

#define CERT_MAX (16u << 10) /* no host certificate is this big */

/* Reads the wire format: big-endian numbers, length-prefixed strings. */
struct rd {
	const unsigned char *p;
	size_t left;
	int bad;
};

static uint64_t get_n(struct rd *r, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (r->bad || r->left < n) {
		r->bad = 1;
		return 0;
	}
	for (i = 0; i < n; i++) {
		v = (v << 8) | r->p[i];
	}
	r->p += n;
	r->left -= n;
	return v;
}

/* A string: its bytes (not NUL-terminated) and length. */
static const unsigned char *get_s(struct rd *r, size_t *len)
{
	const unsigned char *s;

	*len = (size_t)get_n(r, 4);
	if (r->bad || r->left < *len) {
		r->bad = 1;
		*len = 0;
		return NULL;
	}
	s = r->p;
	r->p += *len;
	r->left -= *len;
	return s;
}

static int s_is(const unsigned char *s, size_t len, const char *want)
{
	return s != NULL && len == strlen(want) && memcmp(s, want, len) == 0;
}

/* Appends a wire string to buf at *at. */
static void put_s(unsigned char *buf, size_t *at, const void *s, size_t len)
{
	buf[(*at)++] = (unsigned char)(len >> 24);
	buf[(*at)++] = (unsigned char)(len >> 16);
	buf[(*at)++] = (unsigned char)(len >> 8);
	buf[(*at)++] = (unsigned char)len;
	memcpy(buf + *at, s, len);
	*at += len;
}

/* "TYPE BASE64" of a key blob, to compare with known_hosts' lines. */
static char *key_text(const unsigned char *blob, size_t len)
{
	struct rd r = { blob, len, 0 };
	size_t tlen;
	const unsigned char *t = get_s(&r, &tlen);
	char *b64 = b64_encode(blob, len);
	char *out = NULL;

	if (t != NULL && b64 != NULL &&
	    asprintf(&out, "%.*s %s", (int)tlen, (const char *)t, b64) < 0) {
		out = NULL;
	}
	free(b64);
	return out;
}

/* A public EVP key of algorithm name from the parameters in bld (which
 * it frees); NULL when ok is 0 or the parameters make no key. */
static EVP_PKEY *key_from_params(const char *name, OSSL_PARAM_BLD *bld,
				 int ok)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY *key = NULL;

	if (ok && bld != NULL && ctx != NULL &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		key = NULL;
	}
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* An EVP key from a public key blob: ssh-ed25519, ecdsa-sha2-*,
 * ssh-rsa; NULL for others. */
static EVP_PKEY *evp_key(const unsigned char *blob, size_t len,
			 const char **kind)
{
	struct rd r = { blob, len, 0 };
	size_t tlen;
	const unsigned char *t = get_s(&r, &tlen);
	EVP_PKEY *key = NULL;

	*kind = NULL;
	if (s_is(t, tlen, "ssh-ed25519")) {
		size_t plen;
		const unsigned char *pk = get_s(&r, &plen);

		*kind = "ssh-ed25519";
		if (!r.bad && plen == 32) {
			key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
							  pk, plen);
		}
	} else if (tlen > 16 && memcmp(t, "ecdsa-sha2-nistp", 16) == 0) {
		size_t clen;
		size_t qlen;
		const unsigned char *curve = get_s(&r, &clen);
		const unsigned char *q = get_s(&r, &qlen);
		const char *group = s_is(curve, clen, "nistp256")   ? "P-256"
				    : s_is(curve, clen, "nistp384") ? "P-384"
				    : s_is(curve, clen, "nistp521") ? "P-521"
								    : NULL;
		OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();

		*kind = "ecdsa";
		key = key_from_params(
			"EC", bld,
			!r.bad && group != NULL && bld != NULL &&
				OSSL_PARAM_BLD_push_utf8_string(
					bld, OSSL_PKEY_PARAM_GROUP_NAME, group,
					0) &&
				OSSL_PARAM_BLD_push_octet_string(
					bld, OSSL_PKEY_PARAM_PUB_KEY, q, qlen));
	} else if (s_is(t, tlen, "ssh-rsa")) {
		size_t elen;
		size_t nlen;
		const unsigned char *e = get_s(&r, &elen);
		const unsigned char *n = get_s(&r, &nlen);
		BIGNUM *be = r.bad ? NULL : BN_bin2bn(e, (int)elen, NULL);
		BIGNUM *bn = r.bad ? NULL : BN_bin2bn(n, (int)nlen, NULL);
		OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();

		*kind = "ssh-rsa";
		key = key_from_params(
			"RSA", bld,
			be != NULL && bn != NULL && bld != NULL &&
				OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N,
						       bn) &&
				OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E,
						       be));
		BN_free(be);
		BN_free(bn);
	}
	return key;
}

/* An ssh ECDSA signature (mpint r, mpint s) as DER. */
static unsigned char *ecdsa_der(const unsigned char *sig, size_t len,
				int *der_len)
{
	struct rd r = { sig, len, 0 };
	size_t rl;
	size_t sl;
	const unsigned char *rp = get_s(&r, &rl);
	const unsigned char *sp = get_s(&r, &sl);
	ECDSA_SIG *es;
	BIGNUM *br;
	BIGNUM *bs;
	unsigned char *der = NULL;

	if (r.bad || r.left != 0) {
		return NULL;
	}
	es = ECDSA_SIG_new();
	br = BN_bin2bn(rp, (int)rl, NULL);
	bs = BN_bin2bn(sp, (int)sl, NULL);
	if (es == NULL || br == NULL || bs == NULL ||
	    ECDSA_SIG_set0(es, br, bs) != 1) {
		ECDSA_SIG_free(es);
		BN_free(br);
		BN_free(bs);
		return NULL;
	}
	*der_len = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	return *der_len > 0 ? der : NULL;
}

/* The signature algorithms accepted for each kind of CA key, and their
 * digests (Ed25519 has none of its own: NULL); ssh-rsa's SHA-1 is not. */
static const struct {
	const char *kind;
	const char *alg;
	const EVP_MD *(*md)(void);
} accepted[] = {
	{ "ssh-ed25519", "ssh-ed25519", NULL },
	{ "ssh-rsa", "rsa-sha2-256", EVP_sha256 },
	{ "ssh-rsa", "rsa-sha2-512", EVP_sha512 },
	{ "ecdsa", "ecdsa-sha2-nistp256", EVP_sha256 },
	{ "ecdsa", "ecdsa-sha2-nistp384", EVP_sha384 },
	{ "ecdsa", "ecdsa-sha2-nistp521", EVP_sha512 },
};

/* Whether sig (ssh's signature blob) by the CA key blob ca is valid over
 * data; -1 with why when not. */
static int verify(const unsigned char *ca, size_t calen,
		  const unsigned char *sigblob, size_t siglen,
		  const unsigned char *data, size_t dlen, char *why,
		  size_t whylen)
{
	struct rd r = { sigblob, siglen, 0 };
	size_t alen;
	size_t slen;
	const unsigned char *alg = get_s(&r, &alen);
	const unsigned char *sig = get_s(&r, &slen);
	const char *kind;
	EVP_PKEY *key = evp_key(ca, calen, &kind);
	const EVP_MD *md = NULL;
	size_t i;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *der = NULL;
	int der_len = 0;
	int ok = 0;

	if (r.bad || key == NULL) {
		snprintf(why, whylen, "host certificate: its CA key or "
			 "signature cannot be read");
		goto out;
	}
	for (i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		if (strcmp(kind, accepted[i].kind) == 0 &&
		    s_is(alg, alen, accepted[i].alg)) {
			break;
		}
	}
	if (i == sizeof(accepted) / sizeof(accepted[0])) {
		snprintf(why, whylen, "host certificate: signature algorithm "
			 "'%.*s' is not accepted for a CA key",
			 (int)(alen < 64 ? alen : 64), alg ? (const char *)alg : "");
		goto out;
	}
	md = accepted[i].md == NULL ? NULL : accepted[i].md();
	if (strcmp(kind, "ecdsa") == 0) {
		der = ecdsa_der(sig, slen, &der_len);
		if (der == NULL) {
			snprintf(why, whylen, "host certificate: its ECDSA "
				 "signature cannot be read");
			goto out;
		}
		sig = der;
		slen = (size_t)der_len;
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, sig, slen, data, dlen) == 1;
	if (!ok) {
		snprintf(why, whylen, "host certificate: the CA's signature "
			 "does not verify");
	}
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	OPENSSL_free(der);
	return ok ? 0 : -1;
}

static void utc(unsigned long long t, char *buf, size_t len)
{
	time_t tt = t > (unsigned long long)INT64_MAX ? (time_t)INT64_MAX
						       : (time_t)t;
	struct tm tm;

	if (t == UINT64_MAX || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		snprintf(buf, len, "forever");
	}
}

/* The principals, ", "-joined into buf; whether name is one of them. */
static int principals(const unsigned char *p, size_t len, const char *name,
		      char *buf, size_t buflen, int *count)
{
	struct rd r = { p, len, 0 };
	int found = 0;
	size_t used = 0;

	*count = 0;
	buf[0] = '\0';
	while (!r.bad && r.left > 0) {
		size_t plen;
		const unsigned char *one = get_s(&r, &plen);

		if (r.bad) {
			break;
		}
		(*count)++;
		if (plen == strlen(name) &&
		    strncasecmp((const char *)one, name, plen) == 0) {
			found = 1;
		}
		if (used < buflen) {
			used += (size_t)snprintf(buf + used, buflen - used,
						 "%s%.*s", used ? ", " : "",
						 (int)(plen < 100 ? plen : 100),
						 (const char *)one);
		}
	}
	return r.bad ? -1 : found;
}

/* A certificate as read (cert_parse): what the steps after it judge. */
struct cert {
	unsigned char *blob;   /* the decoded certificate */
	size_t signed_len;     /* the part of blob its signature covers */
	char plain_type[64];   /* the certified key's type: "ssh-ed25519" */
	unsigned char *plain;  /* the certified key's plain blob */
	size_t plain_len;
	uint32_t kind;         /* 1: user, 2: host */
	const unsigned char *id, *pr, *ca, *sig; /* inside blob */
	size_t idlen, prlen, calen, siglen;
	size_t crlen;          /* critical options' length */
	uint64_t after, before;
};

/* The key's fields after the type, copied as they are into the plain
 * blob: 0, or -1 with why. */
static int cert_key_fields(struct cert *c, struct rd *r, const char *type,
			   char *why, size_t whylen)
{
	size_t ptlen = strlen(c->plain_type);
	const unsigned char *fields = r->p;
	size_t nlen;

	if (strcmp(c->plain_type, "ssh-ed25519") == 0) {
		get_s(r, &nlen);
	} else if (strncmp(c->plain_type, "ecdsa-sha2-", 11) == 0 ||
		   strcmp(c->plain_type, "ssh-rsa") == 0) {
		get_s(r, &nlen);
		get_s(r, &nlen);
	} else {
		snprintf(why, whylen, "host certificate: type '%s' is not "
			 "supported", type);
		return -1;
	}
	if (r->bad) {
		snprintf(why, whylen, "host certificate: cannot be read");
		return -1;
	}
	c->plain = malloc(4 + ptlen + (size_t)(r->p - fields));
	if (c->plain == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	c->plain_len = 0;
	put_s(c->plain, &c->plain_len, c->plain_type, ptlen);
	memcpy(c->plain + c->plain_len, fields, (size_t)(r->p - fields));
	c->plain_len += (size_t)(r->p - fields);
	return 0;
}

/* Step 1: reads the certificate (type, as ssh-keyscan -c prints it, and
 * its base64) into c, which the caller releases with cert_release
 * whatever it returns: 0, or -1 with why. */
static int cert_parse(const char *type, const char *b64, struct cert *c,
		      char *why, size_t whylen)
{
	static const char suffix[] = "-cert-v01@openssh.com";
	struct rd r;
	const unsigned char *t;
	size_t tlen;
	size_t nlen;
	size_t ptlen;
	int n;

	c->blob = malloc(CERT_MAX);
	if (c->blob == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	n = b64_decode(b64, strlen(b64), c->blob, CERT_MAX);
	ptlen = strlen(type) > strlen(suffix) ?
		strlen(type) - strlen(suffix) : 0;
	if (n < 0 || ptlen == 0 || ptlen >= sizeof(c->plain_type) ||
	    strcmp(type + ptlen, suffix) != 0) {
		snprintf(why, whylen,
			 "host certificate: '%.64s' cannot be read", type);
		return -1;
	}
	memcpy(c->plain_type, type, ptlen);
	c->plain_type[ptlen] = '\0';
	r = (struct rd){ c->blob, (size_t)n, 0 };
	t = get_s(&r, &tlen);
	get_s(&r, &nlen); /* nonce */
	if (!s_is(t, tlen, type)) {
		snprintf(why, whylen, "host certificate: its type is not '%s'",
			 type);
		return -1;
	}
	if (cert_key_fields(c, &r, type, why, whylen) < 0) {
		return -1;
	}
	get_n(&r, 8); /* serial */
	c->kind = (uint32_t)get_n(&r, 4);
	c->id = get_s(&r, &c->idlen);
	c->pr = get_s(&r, &c->prlen);
	c->after = get_n(&r, 8);
	c->before = get_n(&r, 8);
	get_s(&r, &c->crlen);
	get_s(&r, &nlen); /* extensions */
	get_s(&r, &nlen); /* reserved */
	c->ca = get_s(&r, &c->calen);
	c->signed_len = (size_t)(r.p - c->blob);
	c->sig = get_s(&r, &c->siglen);
	if (r.bad || r.left != 0) {
		snprintf(why, whylen, "host certificate: cannot be read");
		return -1;
	}
	return 0;
}

/* Step 2: whether the certificate vouches for this session at all: its
 * key is the one the node proved it holds, its CA is trusted for the
 * host and not revoked, and the CA's signature holds.  0, or -1 with
 * why. */
static int cert_verify(const struct cert *c, const struct sshcert_host *h,
		       char *why, size_t whylen)
{
	char *text = b64_encode(c->plain, c->plain_len);
	int rc = -1;
	size_t i;

	if (text == NULL || strcmp(c->plain_type, h->key_type) != 0 ||
	    strcmp(text, h->key_b64) != 0) {
		snprintf(why, whylen, "host certificate: it certifies another "
			 "key than the one the node showed in the key "
			 "exchange");
		goto out;
	}
	free(text);
	text = key_text(c->ca, c->calen);
	if (text == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	for (i = 0; i < h->revoked->n; i++) {
		if (strcmp(h->revoked->v[i], text) == 0) {
			snprintf(why, whylen, "host certificate: its CA key is "
				 "@revoked in known_hosts");
			goto out;
		}
	}
	if (!strvec_contains(h->cas, text)) {
		snprintf(why, whylen,
			 "host certificate (id '%.*s') is signed by a CA that "
			 "known_hosts does not trust for this host (no "
			 "@cert-authority line for it names '%s')",
			 (int)(c->idlen < 100 ? c->idlen : 100),
			 c->id ? (const char *)c->id : "", h->principal);
		goto out;
	}
	if (verify(c->ca, c->calen, c->sig, c->siglen, c->blob, c->signed_len,
		   why, whylen) < 0) {
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

/* Step 3: what a verified certificate allows (ssh's
 * sshkey_cert_check_authority): a host certificate, for this host, valid
 * now, with no critical option.  0, or -1 with why. */
static int cert_policy(const struct cert *c, const struct sshcert_host *h,
		       char *why, size_t whylen)
{
	char names[400];
	char when[64];
	int count;
	int n;

	if (c->kind != 2) {
		snprintf(why, whylen, "host certificate: it is a user "
			 "certificate, not a host certificate");
		return -1;
	}
	n = principals(c->pr, c->prlen, h->principal, names, sizeof(names),
		       &count);
	if (n < 0 || count == 0) {
		snprintf(why, whylen, "host certificate: it names no host "
			 "(an empty principal list is not accepted)");
		return -1;
	}
	if (n == 0) {
		snprintf(why, whylen, "host certificate is for '%s', not '%s'",
			 names, h->principal);
		return -1;
	}
	if (h->now < c->after) {
		utc(c->after, when, sizeof(when));
		snprintf(why, whylen, "host certificate is not valid before %s",
			 when);
		return -1;
	}
	if (h->now >= c->before) {
		utc(c->before, when, sizeof(when));
		snprintf(why, whylen, "host certificate expired on %s", when);
		return -1;
	}
	if (c->crlen != 0) {
		snprintf(why, whylen, "host certificate: it has critical "
			 "options, which no host certificate may have");
		return -1;
	}
	return 0;
}

static void cert_release(struct cert *c)
{
	free(c->plain);
	c->plain = NULL;
	free(c->blob);
	c->blob = NULL;
}

int sshcert_judge(const char *type, const char *b64,
		  const struct sshcert_host *h, char *why, size_t whylen)
{
	struct cert c;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	if (cert_parse(type, b64, &c, why, whylen) == 0 &&
	    cert_verify(&c, h, why, whylen) == 0 &&
	    cert_policy(&c, h, why, whylen) == 0) {
		rc = 0;
	}
	cert_release(&c);
	return rc;
}
