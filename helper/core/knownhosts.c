/* knownhosts: known_hosts judged as ssh judges it (see knownhosts.h). */
#define _GNU_SOURCE
#include "knownhosts.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "text.h"

/* The next whitespace-separated word of *p: its start, its length in
 * *len (0 at the end of the line). */
static const char *word(const char **p, size_t *len)
{
	const char *w = *p + strspn(*p, " \t");

	*len = strcspn(w, " \t\r\n");
	*p = w + *len;
	return w;
}

static int is(const char *w, size_t len, const char *s)
{
	return len > 0 && len == strlen(s) && strncmp(w, s, len) == 0;
}

char *knownhosts_name(const char *host, int port, const char *alias)
{
	char *out = NULL;
	size_t i;

	/* ssh: an alias is the name as it is, port or not */
	if (alias != NULL) {
		return strdup(alias);
	}
	if (port != 0 && port != 22) {
		if (asprintf(&out, "[%s]:%d", host, port) < 0) {
			return NULL;
		}
	} else {
		out = strdup(host);
	}
	/* ssh looks names up in lower case */
	for (i = 0; out != NULL && out[i] != '\0'; i++) {
		out[i] = (char)tolower((unsigned char)out[i]);
	}
	return out;
}

/* "|1|SALT|HASH" (hlen characters) against name. */
static int hashed_match(const char *h, size_t hlen, const char *name)
{
	unsigned char salt[64];
	unsigned char want[64];
	unsigned char got[EVP_MAX_MD_SIZE];
	unsigned int got_len = 0;
	const char *bar;
	int salt_len;
	int want_len;

	if (hlen < 4 || strncmp(h, "|1|", 3) != 0) {
		return 0;
	}
	bar = memchr(h + 3, '|', hlen - 3);
	if (bar == NULL) {
		return 0;
	}
	salt_len = b64_decode(h + 3, (size_t)(bar - h - 3), salt, sizeof(salt));
	want_len = b64_decode(bar + 1, hlen - (size_t)(bar + 1 - h), want,
			      sizeof(want));
	if (salt_len != 20 || want_len != 20 ||
	    HMAC(EVP_sha1(), salt, salt_len, (const unsigned char *)name,
		 strlen(name), got, &got_len) == NULL ||
	    got_len != 20) {
		return 0;
	}
	return memcmp(got, want, 20) == 0;
}

/* ssh's patterns: '*' any run, '?' one character, nothing else special
 * (so "[host]:port" is itself), case ignored. */
static int glob_match(const char *s, const char *p)
{
	for (;;) {
		if (*p == '\0') {
			return *s == '\0';
		}
		if (*p == '*') {
			while (*p == '*') {
				p++;
			}
			if (*p == '\0') {
				return 1;
			}
			for (; *s != '\0'; s++) {
				if (glob_match(s, p)) {
					return 1;
				}
			}
			return 0;
		}
		if (*s == '\0' ||
		    (*p != '?' && tolower((unsigned char)*p) !=
					  tolower((unsigned char)*s))) {
			return 0;
		}
		s++;
		p++;
	}
}

int knownhosts_hosts_match(const char *hosts, const char *name)
{
	const char *p = hosts;
	int matched = 0;

	if (hosts[0] == '|') {
		return hashed_match(hosts, strcspn(hosts, " \t\r\n"), name);
	}
	while (*p != '\0' && *p != ' ' && *p != '\t') {
		size_t len = strcspn(p, ", \t\r\n");
		int negated = *p == '!';
		char pattern[512];

		if (len - (size_t)negated < sizeof(pattern)) {
			memcpy(pattern, p + negated, len - (size_t)negated);
			pattern[len - (size_t)negated] = '\0';
			if (glob_match(name, pattern)) {
				if (negated) {
					return 0;
				}
				matched = 1;
			}
		}
		p += len;
		if (*p == ',') {
			p++;
		}
	}
	return matched;
}

/* "FILE:LINE" into buf when it is still empty. */
static void place(char *buf, size_t len, const char *file, int line)
{
	if (buf[0] == '\0') {
		snprintf(buf, len, "%s:%d", file, line);
	}
}

int knownhosts_judge(const char *text, const char *file, const char *name,
		     const char *type, const char *b64,
		     struct knownhosts_verdict *v)
{
	const char *rest = text;
	const char *line;
	size_t linelen;
	int number = 0;
	int rc = 0;

	for (line = text_line(&rest, &linelen); line != NULL && rc == 0;
	     line = text_line(&rest, &linelen)) {
		const char *p = line;
		const char *w;
		const char *hosts;
		const char *ktype;
		const char *key;
		size_t len;
		size_t hlen;
		size_t tlen;
		size_t klen;
		int marker = 0; /* 1 @cert-authority, 2 @revoked */

		number++;
		w = word(&p, &len);
		if (len > 0 && w[0] != '#') {
			if (is(w, len, "@cert-authority")) {
				marker = 1;
				w = word(&p, &len);
			} else if (is(w, len, "@revoked")) {
				marker = 2;
				w = word(&p, &len);
			} else if (w[0] == '@') {
				len = 0; /* a marker ssh does not know: skipped */
			}
			hosts = w;
			hlen = len;
			ktype = word(&p, &tlen);
			key = word(&p, &klen);
			if (hlen > 0 && tlen > 0 && klen > 0) {
				int same = is(ktype, tlen, type) &&
					   is(key, klen, b64);
				char *copy = strndup(hosts, hlen);
				int ours = copy != NULL &&
					   knownhosts_hosts_match(copy, name);

				free(copy);
				if (marker == 2) {
					rc |= strvec_pushf(&v->revoked_keys,
							   "%.*s %.*s",
							   (int)tlen, ktype,
							   (int)klen, key);
					if (same) {
						v->revoked = 1;
						place(v->revoked_where,
						      sizeof(v->revoked_where),
						      file, number);
					}
				} else if (marker == 1 && ours) {
					rc |= strvec_pushf(&v->cas, "%.*s %.*s",
							   (int)tlen, ktype,
							   (int)klen, key);
				} else if (marker == 0 && ours) {
					char t[64];

					snprintf(t, sizeof(t), "%.*s",
						 (int)tlen, ktype);
					if (!strvec_contains(&v->types, t)) {
						rc |= strvec_push(&v->types, t);
					}
					if (same) {
						v->match = 1;
					} else {
						v->other = 1;
						place(v->other_where,
						      sizeof(v->other_where),
						      file, number);
					}
				}
			}
		}
	}
	return rc ? -1 : 0;
}

void knownhosts_verdict_release(struct knownhosts_verdict *v)
{
	strvec_clear(&v->cas);
	strvec_clear(&v->revoked_keys);
	strvec_clear(&v->types);
	*v = (struct knownhosts_verdict)KNOWNHOSTS_VERDICT_INIT;
}

char *knownhosts_line(const char *name, const char *type, const char *b64,
		      const unsigned char *salt)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char *s64;
	char *m64;
	char *out = NULL;

	if (salt == NULL) {
		return asprintf(&out, "%s %s %s\n", name, type, b64) < 0 ? NULL
									 : out;
	}
	if (HMAC(EVP_sha1(), salt, 20, (const unsigned char *)name,
		 strlen(name), mac, &mac_len) == NULL) {
		return NULL;
	}
	s64 = b64_encode(salt, 20);
	m64 = b64_encode(mac, mac_len);
	if (s64 != NULL && m64 != NULL &&
	    asprintf(&out, "|1|%s|%s %s %s\n", s64, m64, type, b64) < 0) {
		out = NULL;
	}
	free(s64);
	free(m64);
	return out;
}
