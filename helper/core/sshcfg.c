/* sshcfg: StrictHostKeyChecking from an OpenSSH client config's text
 * (see sshcfg.h). */
#define _GNU_SOURCE
#include "sshcfg.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 1 when host matches the pattern list of a Host line (value), where a
 * negated pattern that matches cancels the line. */
static int host_matches(const char *value, const char *host)
{
	char *copy = strdup(value);
	char *save = NULL;
	char *word;
	int matched = 0;

	if (copy == NULL) {
		return 0;
	}
	for (word = strtok_r(copy, " \t,", &save); word != NULL;
	     word = strtok_r(NULL, " \t,", &save)) {
		int negated = word[0] == '!';

		if (fnmatch(negated ? word + 1 : word, host, FNM_CASEFOLD) ==
		    0) {
			if (negated) {
				matched = 0;
				break;
			}
			matched = 1;
		}
	}
	free(copy);
	return matched;
}

static enum host_key_policy parse_policy(const char *v)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "ask") == 0 ||
	    strcasecmp(v, "true") == 0) {
		return POLICY_STRICT;
	}
	if (strcasecmp(v, "accept-new") == 0) {
		return POLICY_ACCEPT_NEW;
	}
	if (strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0 ||
	    strcasecmp(v, "false") == 0) {
		return POLICY_NO;
	}
	return POLICY_STRICT;
}

/* Splits one line into keyword and value (both trimmed, in place). */
/* The stricter of two policies (POLICY_UNSET: no information). */
static enum host_key_policy stricter(enum host_key_policy a,
				     enum host_key_policy b)
{
	static const int rank[] = { [POLICY_UNSET] = 0, [POLICY_NO] = 1,
				    [POLICY_ACCEPT_NEW] = 2,
				    [POLICY_STRICT] = 3 };

	return rank[a] >= rank[b] ? a : b;
}

static void split_line(char *line, char **key, char **value)
{
	char *p = line + strspn(line, " \t");
	size_t klen = strcspn(p, " \t=");
	char *v = p + klen;

	*key = p;
	if (*v != '\0') {
		*v++ = '\0';
	}
	v += strspn(v, " \t=");
	*value = v;
	v += strlen(v);
	while (v > *value && (v[-1] == ' ' || v[-1] == '\t' || v[-1] == '\r')) {
		*--v = '\0';
	}
	if (**value == '"' && v > *value + 1 && v[-1] == '"') {
		v[-1] = '\0';
		(*value)++;
	}
}

enum host_key_policy sshcfg_policy(const char *text, const char *host,
				   enum host_key_policy (*include_fn)(
					   const char *pattern,
					   const char *host, void *arg),
				   void *arg)
{
	const char *p = text;
	int active = 1; /* lines before any Host apply to every host */
	int in_match = 0;
	enum host_key_policy found = POLICY_UNSET;
	enum host_key_policy from_match = POLICY_UNSET;

	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		char *line = strndup(p, len);
		char *key;
		char *value;

		p += len;
		if (*p == '\n') {
			p++;
		}
		if (line == NULL) {
			break;
		}
		split_line(line, &key, &value);
		if (key[0] == '\0' || key[0] == '#') {
			/* blank or comment */
		} else if (strcasecmp(key, "Host") == 0) {
			active = host_matches(value, host);
			in_match = 0;
		} else if (strcasecmp(key, "Match") == 0) {
			active = 0;
			in_match = 1;
		} else if (in_match &&
			   strcasecmp(key, "StrictHostKeyChecking") == 0) {
			/* not evaluated: it could apply, and be first */
			from_match = stricter(from_match, parse_policy(value));
		} else if (found != POLICY_UNSET) {
			/* the first value found wins */
		} else if (active && strcasecmp(key, "Include") == 0 &&
			   include_fn != NULL) {
			found = include_fn(value, host, arg);
		} else if (active &&
			   strcasecmp(key, "StrictHostKeyChecking") == 0) {
			found = parse_policy(value);
		}
		free(line);
	}
	if (from_match != POLICY_UNSET) {
		/* unset means ssh's default, the strictest */
		return found == POLICY_UNSET ? POLICY_STRICT
					     : stricter(found, from_match);
	}
	return found;
}
