/* nodename: [user@]host[:port] parsing (see nodename.h). */
#define _GNU_SOURCE
#include "nodename.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static int name_char_ok(char c)
{
	return text_char_in(c, "._-");
}

static int check_part(const char *s, size_t len, const char *what,
		      char *why, size_t whylen)
{
	size_t i;

	if (len == 0) {
		snprintf(why, whylen, "empty %s", what);
		return -1;
	}
	if (len > 253) {
		snprintf(why, whylen, "%s longer than 253 characters", what);
		return -1;
	}
	if (s[0] == '-' || s[0] == '.') {
		snprintf(why, whylen, "%s starts with '%c'", what, s[0]);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!name_char_ok((char)c)) {
			if (c >= 0x21 && c < 0x7f) {
				snprintf(why, whylen,
					 "character '%c' is not valid in a %s",
					 c, what);
			} else {
				snprintf(why, whylen,
					 "byte 0x%02x is not valid in a %s", c,
					 what);
			}
			return -1;
		}
	}
	return 0;
}

static int parse_port(const char *s, int *port, char *why, size_t whylen)
{
	long v = 0;
	const char *p;

	if (*s == '\0') {
		snprintf(why, whylen, "empty port");
		return -1;
	}
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9') {
			snprintf(why, whylen, "port '%s' is not a number", s);
			return -1;
		}
		v = v * 10 + (*p - '0');
		if (v > 65535) {
			break;
		}
	}
	if (v < 1 || v > 65535) {
		snprintf(why, whylen, "port '%s' is not in 1..65535", s);
		return -1;
	}
	*port = (int)v;
	return 0;
}

int nodename_parse(const char *name, struct nodename *out, char *why,
		   size_t whylen)
{
	const char *at = strchr(name, '@');
	const char *host = at ? at + 1 : name;
	const char *colon = strchr(host, ':');
	size_t hostlen = colon ? (size_t)(colon - host) : strlen(host);

	out->user = NULL;
	out->host = NULL;
	out->port = 0;
	if (at != NULL && check_part(name, (size_t)(at - name), "user name",
				     why, whylen) < 0) {
		return -1;
	}
	if (check_part(host, hostlen, "host name", why, whylen) < 0) {
		return -1;
	}
	if (colon != NULL && parse_port(colon + 1, &out->port, why,
					whylen) < 0) {
		return -1;
	}
	if (at != NULL) {
		out->user = strndup(name, (size_t)(at - name));
	}
	out->host = strndup(host, hostlen);
	if (out->host == NULL || (at != NULL && out->user == NULL)) {
		nodename_release(out);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

void nodename_release(struct nodename *n)
{
	free(n->user);
	n->user = NULL;
	free(n->host);
	n->host = NULL;
	n->port = 0;
}
