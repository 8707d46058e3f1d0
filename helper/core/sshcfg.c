/* sshcfg: the host key settings of an OpenSSH client config's text (see
 * sshcfg.h). */
#define _GNU_SOURCE
#include "sshcfg.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 1 when name matches the pattern list, its patterns parted by any of
 * seps, as ssh's match_pattern_list: a matching '!' pattern rules the
 * list out.  A Host line's patterns part at blanks and commas, a Match
 * criterion's at commas. */
static int list_matches(const char *list, const char *seps, const char *name)
{
	char *copy = strdup(list);
	char *save = NULL;
	char *word;
	int matched = 0;

	if (copy == NULL || name == NULL) {
		free(copy);
		return 0;
	}
	for (word = strtok_r(copy, seps, &save); word != NULL;
	     word = strtok_r(NULL, seps, &save)) {
		int negated = word[0] == '!';

		if (fnmatch(negated ? word + 1 : word, name, FNM_CASEFOLD) ==
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

/* The stricter of two policies (POLICY_UNSET: no information). */
static enum host_key_policy stricter(enum host_key_policy a,
				     enum host_key_policy b)
{
	static const int rank[] = { [POLICY_UNSET] = 0, [POLICY_NO] = 1,
				    [POLICY_ACCEPT_NEW] = 2,
				    [POLICY_STRICT] = 3 };

	return rank[a] >= rank[b] ? a : b;
}

/* Splits one line into keyword and value (both trimmed, in place). */
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

/* Sets *field to a copy of value when unset; -1 when out of memory. */
static int first(char **field, const char *value)
{
	if (*field != NULL) {
		return 0;
	}
	*field = strdup(value);
	return *field ? 0 : -1;
}

static const char *const trust_keys[] = {
	"UserKnownHostsFile", "GlobalKnownHostsFile", "HostKeyAlias",
	"HashKnownHosts", "RevokedHostKeys",
};

/* One "keyword value" line that applies. */
static int apply(struct sshcfg_settings *out, const char *key,
		 const char *value)
{
	if (strcasecmp(key, "StrictHostKeyChecking") == 0) {
		if (out->policy == POLICY_UNSET) {
			out->policy = parse_policy(value);
		}
	} else if (strcasecmp(key, "UserKnownHostsFile") == 0) {
		return first(&out->user_known_hosts, value);
	} else if (strcasecmp(key, "GlobalKnownHostsFile") == 0) {
		return first(&out->global_known_hosts, value);
	} else if (strcasecmp(key, "HostKeyAlias") == 0) {
		return first(&out->host_key_alias, value);
	} else if (strcasecmp(key, "RevokedHostKeys") == 0) {
		return first(&out->revoked_host_keys, value);
	} else if (strcasecmp(key, "HostName") == 0) {
		return first(&out->hostname, value);
	} else if (strcasecmp(key, "User") == 0) {
		return first(&out->user, value);
	} else if (strcasecmp(key, "HashKnownHosts") == 0) {
		if (out->hash_known_hosts < 0) {
			out->hash_known_hosts = strcasecmp(value, "yes") == 0;
		}
	}
	return 0;
}

/* The HostName set so far with %h (the host as given) and %% expanded,
 * else host.  Newly allocated; NULL when out of memory. */
static char *target_host(const struct sshcfg_settings *s, const char *host)
{
	const char *p = s->hostname;
	size_t n = 0;
	char *out;

	if (p == NULL) {
		return strdup(host);
	}
	out = malloc(strlen(p) * (strlen(host) + 1) + 1);
	if (out == NULL) {
		return NULL;
	}
	for (; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'h') {
			memcpy(out + n, host, strlen(host));
			n += strlen(host);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			out[n++] = '%';
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return out;
}

enum match_verdict { MATCH_NO, MATCH_YES, MATCH_UNKNOWN };

/* The name a criterion that takes a pattern list compares, in *name
 * (*owned when allocated): 1, or 0 when this criterion cannot be told
 * here (exec, localnetwork, tagged, version, a name not known). */
static int criterion_name(const char *attr, const char *host,
			  const struct sshcfg_settings *s, const char **name,
			  char **owned)
{
	*owned = NULL;
	*name = NULL;
	if (strcasecmp(attr, "host") == 0) {
		*name = *owned = target_host(s, host);
	} else if (strcasecmp(attr, "originalhost") == 0) {
		*name = host;
	} else if (strcasecmp(attr, "user") == 0) {
		*name = s->user ? s->user : s->local_user;
	} else if (strcasecmp(attr, "localuser") == 0) {
		*name = s->local_user;
	}
	return *name != NULL;
}

/* The next word of a Match line at *p, in place: words part at blanks
 * and '=' (as in ssh); a word in double quotes may hold them, and loses
 * its quotes.  NULL at the end. */
static char *match_word(char **p)
{
	char *w = *p + strspn(*p, " \t=");
	char *end;

	if (*w == '\0') {
		*p = w;
		return NULL;
	}
	if (*w == '"') {
		w++;
		end = w + strcspn(w, "\"");
	} else {
		end = w + strcspn(w, " \t=");
	}
	*p = end + (*end != '\0');
	*end = '\0';
	return w;
}

/*
 * A Match line's criteria (value) for host: yes when every criterion
 * holds, no when one does not, else unknown (one cannot be told here).
 * "all", "canonical" and "final" take no argument; every other
 * criterion takes one (match_word).
 */
static enum match_verdict match_line(const char *value, const char *host,
				     const struct sshcfg_settings *s)
{
	static const char *const bare[] = { "all", "canonical", "final" };
	char *copy = strdup(value);
	char *rest = copy;
	char *word;
	enum match_verdict v = MATCH_YES;

	if (copy == NULL) {
		return MATCH_UNKNOWN;
	}
	while (v != MATCH_NO && (word = match_word(&rest)) != NULL) {
		int negated = word[0] == '!';
		const char *attr = word + negated;
		const char *arg;
		const char *name;
		char *owned;
		size_t i;
		int holds;

		for (i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
			if (strcasecmp(attr, bare[i]) == 0) {
				break;
			}
		}
		if (i == 0) {
			holds = 1;
		} else if (i < sizeof(bare) / sizeof(bare[0])) {
			/* canonical, final: passes of ssh's own */
			v = MATCH_UNKNOWN;
			continue;
		} else if ((arg = match_word(&rest)) == NULL) {
			v = MATCH_UNKNOWN; /* ssh refuses the line */
			break;
		} else if (!criterion_name(attr, host, s, &name, &owned)) {
			v = MATCH_UNKNOWN;
			continue;
		} else {
			holds = list_matches(arg, ",", name);
			free(owned);
		}
		if (holds == negated) {
			v = MATCH_NO;
		}
	}
	free(copy);
	return v;
}

int sshcfg_read(const char *text, const char *host, sshcfg_include_fn include_fn,
		void *arg, struct sshcfg_settings *out)
{
	const char *p = text;
	int active = 1; /* lines before any Host apply to every host */
	int in_match = 0;
	int rc = 0;

	while (*p != '\0' && rc == 0) {
		size_t len = strcspn(p, "\n");
		char *line = strndup(p, len);
		char *key;
		char *value;
		size_t i;

		p += len;
		if (*p == '\n') {
			p++;
		}
		if (line == NULL) {
			return -1;
		}
		split_line(line, &key, &value);
		if (key[0] == '\0' || key[0] == '#') {
			/* blank or comment */
		} else if (strcasecmp(key, "Host") == 0) {
			active = list_matches(value, " \t,", host);
			in_match = 0;
		} else if (strcasecmp(key, "Match") == 0) {
			enum match_verdict v = match_line(value, host, out);

			active = v == MATCH_YES;
			in_match = v == MATCH_UNKNOWN;
		} else if (in_match) {
			/* cannot be told: it could apply, and be first */
			if (strcasecmp(key, "StrictHostKeyChecking") == 0) {
				out->match_policy = stricter(out->match_policy,
							     parse_policy(value));
			}
			for (i = 0; i < sizeof(trust_keys) / sizeof(trust_keys[0]);
			     i++) {
				if (strcasecmp(key, trust_keys[i]) == 0 &&
				    out->match_keyword == NULL) {
					out->match_keyword = trust_keys[i];
				}
			}
		} else if (active && strcasecmp(key, "Include") == 0) {
			if (include_fn != NULL) {
				include_fn(value, host, out, arg);
			}
		} else if (active) {
			rc = apply(out, key, value);
		}
		free(line);
	}
	return rc;
}

enum host_key_policy sshcfg_effective_policy(const struct sshcfg_settings *s)
{
	if (s->match_policy != POLICY_UNSET) {
		/* unset means ssh's default, the strictest */
		return s->policy == POLICY_UNSET
			       ? POLICY_STRICT
			       : stricter(s->policy, s->match_policy);
	}
	return s->policy == POLICY_UNSET ? POLICY_STRICT : s->policy;
}

enum host_key_policy sshcfg_policy(const char *text, const char *host)
{
	struct sshcfg_settings s = SSHCFG_SETTINGS_INIT;
	enum host_key_policy got;

	sshcfg_read(text, host, NULL, NULL, &s);
	got = s.match_policy != POLICY_UNSET ? sshcfg_effective_policy(&s)
					     : s.policy;
	sshcfg_settings_release(&s);
	return got;
}

void sshcfg_settings_release(struct sshcfg_settings *s)
{
	free(s->user_known_hosts);
	free(s->global_known_hosts);
	free(s->host_key_alias);
	free(s->revoked_host_keys);
	free(s->hostname);
	free(s->user);
	free(s->local_user);
	*s = (struct sshcfg_settings)SSHCFG_SETTINGS_INIT;
}
