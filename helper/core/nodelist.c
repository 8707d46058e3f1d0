/* nodelist: words, ranges, host files and @slurm (see nodelist.h). */
#define _GNU_SOURCE
#include "nodelist.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hostrange.h"
#include "nodename.h"
#include "slurm.h"
#include "text.h"

/* The names of a list by hash, for "kept once" in time linear in the
 * list (a Slurm job or a range may hold many thousand names).  Open
 * addressing; a slot holds a name's index + 1, 0 when empty. */
struct name_set {
	size_t *slots;
	size_t cap; /* a power of two */
};

/* One call of nodelist_add. */
struct adding {
	struct strvec *nodes;
	struct nodelist_caps *caps;
	struct name_set set;
	size_t named; /* names the words gave, repeats included */
	const char *origin;
	char *err;
	size_t errlen;
};

static size_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* The slot of name: where it is, or the empty one where it would go. */
static size_t set_slot(const struct name_set *s, const struct strvec *names,
		       const char *name)
{
	size_t i = name_hash(name) & (s->cap - 1);

	while (s->slots[i] != 0 &&
	       strcmp(names->v[s->slots[i] - 1], name) != 0) {
		i = (i + 1) & (s->cap - 1);
	}
	return i;
}

/* Makes room for want names (at most half full): rebuilds the table
 * from names.  Returns 0, or -1 when out of memory. */
static int set_fit(struct name_set *s, const struct strvec *names,
		   size_t want)
{
	size_t cap = s->cap ? s->cap : 64;
	size_t *slots;
	size_t i;

	if (s->slots != NULL && want * 2 <= s->cap) {
		return 0;
	}
	while (cap < want * 2) {
		cap *= 2;
	}
	slots = calloc(cap, sizeof(*slots));
	if (slots == NULL) {
		return -1;
	}
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	for (i = 0; i < names->n; i++) {
		s->slots[set_slot(s, names, names->v[i])] = i + 1;
	}
	return 0;
}

static int out_of_memory(struct adding *a)
{
	snprintf(a->err, a->errlen, "%s: out of memory", a->origin);
	return -1;
}

/* Sets the allocation's CPUs of name i. */
static int caps_set(struct nodelist_caps *caps, size_t i, long cpus)
{
	if (i >= caps->n) {
		size_t want = i + 1 > caps->n * 2 ? i + 1 : caps->n * 2;
		long *grown = realloc(caps->cpus, want * sizeof(*grown));

		if (grown == NULL) {
			return -1;
		}
		memset(grown + caps->n, 0, (want - caps->n) * sizeof(*grown));
		caps->cpus = grown;
		caps->n = want;
	}
	caps->cpus[i] = cpus;
	return 0;
}

/* Adds each of names not yet in the list (cpus: their CPUs in an
 * allocation, or NULL). */
static int merge(struct adding *a, const struct strvec *names,
		 const long *cpus)
{
	size_t i;

	if (set_fit(&a->set, a->nodes, a->nodes->n + names->n) < 0) {
		return out_of_memory(a);
	}
	for (i = 0; i < names->n; i++) {
		size_t slot = set_slot(&a->set, a->nodes, names->v[i]);
		size_t at = a->set.slots[slot];

		if (at == 0) {
			if (a->nodes->n >= HOSTRANGE_MAX_HOSTS) {
				snprintf(a->err, a->errlen,
					 "%s: more than %d nodes in all",
					 a->origin, HOSTRANGE_MAX_HOSTS);
				return -1;
			}
			if (strvec_push(a->nodes, names->v[i]) < 0) {
				return out_of_memory(a);
			}
			at = a->nodes->n;
			a->set.slots[slot] = at;
		}
		if (cpus != NULL && a->caps != NULL &&
		    caps_set(a->caps, at - 1, cpus[i]) < 0) {
			return out_of_memory(a);
		}
	}
	return 0;
}

/* A node or range word; where is "" or "PATH:LINE: " inside a host
 * file. */
static int add_names(struct adding *a, const char *word, const char *where)
{
	struct strvec names = STRVEC_INIT;
	char why[300];
	size_t i;
	int rc = -1;

	if (hostrange_expand(word, HOSTRANGE_MAX_HOSTS, &names, why,
			     sizeof(why)) < 0) {
		snprintf(a->err, a->errlen, "%s: %snode '%s': %s", a->origin,
			 where, word, why);
		goto out;
	}
	for (i = 0; i < names.n; i++) {
		struct nodename n;

		if (nodename_parse(names.v[i], &n, why, sizeof(why)) < 0) {
			if (names.n > 1 || strcmp(names.v[i], word) != 0) {
				snprintf(a->err, a->errlen,
					 "%s: %snode '%s' ('%s'): %s",
					 a->origin, where, word, names.v[i],
					 why);
			} else {
				snprintf(a->err, a->errlen,
					 "%s: %snode '%s': %s", a->origin,
					 where, word, why);
			}
			goto out;
		}
		nodename_release(&n);
	}
	a->named += names.n;
	rc = merge(a, &names, NULL);
out:
	strvec_clear(&names);
	return rc;
}

/* A word kept as typed (^PATH or @slurm without io). */
static int add_typed(struct adding *a, const char *word)
{
	struct strvec one = STRVEC_INIT;
	int rc;

	if (strvec_push(&one, word) < 0) {
		return out_of_memory(a);
	}
	rc = merge(a, &one, NULL);
	strvec_clear(&one);
	return rc;
}

/* The words of one line of a host file (comment cut off). */
static int add_file_line(struct adding *a, char *line, const char *path,
			 int lineno, const char *word)
{
	const char *p = line;
	char where[600];
	size_t len;
	char *hash = strchr(line, '#');

	if (hash != NULL) {
		*hash = '\0';
	}
	snprintf(where, sizeof(where), "%s: %s:%d: ", word, path, lineno);
	for (len = text_word(&p); len > 0; len = text_word(&p)) {
		char *w = strndup(p, len);
		int rc;

		if (w == NULL) {
			return out_of_memory(a);
		}
		if (w[0] == '^' || w[0] == '@') {
			snprintf(a->err, a->errlen,
				 "%s: %s'%s': a host file lists nodes and "
				 "ranges only",
				 a->origin, where, w);
			free(w);
			return -1;
		}
		rc = add_names(a, w, where);
		free(w);
		if (rc < 0) {
			return -1;
		}
		p += len;
	}
	return 0;
}

/* ^PATH: the nodes of a host file. */
static int add_file(struct adding *a, const char *word, const char *base,
		    const struct nodelist_io *io)
{
	const char *given = word + 1;
	char *path = NULL;
	char *text = NULL;
	char *line;
	char why[700];
	size_t before = a->named;
	int lineno = 0;
	int rc = -1;

	if (given[0] != '/' && base != NULL) {
		if (asprintf(&path, "%s/%s", base, given) < 0) {
			return out_of_memory(a);
		}
	} else {
		path = strdup(given);
		if (path == NULL) {
			return out_of_memory(a);
		}
	}
	text = io->read_file(path, why, sizeof(why));
	if (text == NULL) {
		snprintf(a->err, a->errlen, "%s: %s: %s", a->origin, word, why);
		goto out;
	}
	for (line = text; line != NULL;) {
		char *next = strchr(line, '\n');

		if (next != NULL) {
			*next++ = '\0';
		}
		if (add_file_line(a, line, path, ++lineno, word) < 0) {
			goto out;
		}
		line = next;
	}
	if (a->named == before) {
		snprintf(a->err, a->errlen, "%s: %s: '%s' names no node",
			 a->origin, word, path);
		goto out;
	}
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

/* @slurm: the nodes of the job, each with its CPUs. */
static int add_slurm(struct adding *a, const struct nodelist_io *io)
{
	struct slurm_job job = SLURM_JOB_INIT;
	char why[900];
	size_t i;
	int rc = -1;

	if (slurm_job_read(io->getenv, io->slurm_hostnames,
			   HOSTRANGE_MAX_HOSTS, &job, why, sizeof(why)) < 0) {
		snprintf(a->err, a->errlen, "%s: @slurm: %s", a->origin, why);
		return -1;
	}
	for (i = 0; i < job.hosts.n; i++) {
		struct nodename n;

		if (nodename_parse(job.hosts.v[i], &n, why, sizeof(why)) < 0) {
			snprintf(a->err, a->errlen,
				 "%s: @slurm: node '%s' (from scontrol): %s",
				 a->origin, job.hosts.v[i], why);
			goto out;
		}
		nodename_release(&n);
	}
	if (merge(a, &job.hosts, job.cpus) < 0) {
		goto out;
	}
	if (a->caps != NULL) {
		a->caps->slurm = 1;
		free(a->caps->from);
		a->caps->from = job.from;
		job.from = NULL;
		free(a->caps->job);
		a->caps->job = job.id;
		job.id = NULL;
	}
	rc = 0;
out:
	slurm_job_release(&job);
	return rc;
}

static int add_word(struct adding *a, const char *word, const char *base,
		    const struct nodelist_io *io)
{
	if (word[0] == '^') {
		if (word[1] == '\0') {
			snprintf(a->err, a->errlen, "%s: '^' names no file",
				 a->origin);
			return -1;
		}
		return io ? add_file(a, word, base, io) : add_typed(a, word);
	}
	if (word[0] == '@') {
		if (strcmp(word, "@slurm") != 0) {
			snprintf(a->err, a->errlen,
				 "%s: '%.100s': unknown node group (the one "
				 "there is: @slurm)",
				 a->origin, word);
			return -1;
		}
		return io ? add_slurm(a, io) : add_typed(a, word);
	}
	return add_names(a, word, "");
}

int nodelist_add(struct strvec *nodes, struct nodelist_caps *caps,
		 const char *value, const char *origin, const char *base,
		 const struct nodelist_io *io, char *err, size_t errlen)
{
	struct adding a = { nodes, caps, { NULL, 0 }, 0, origin, err, errlen };
	const char *p = value;
	size_t len;
	int rc = 0;

	for (len = text_word(&p); rc == 0 && len > 0; len = text_word(&p)) {
		char *word = strndup(p, len);

		if (word == NULL) {
			rc = out_of_memory(&a);
			break;
		}
		rc = add_word(&a, word, base, io);
		free(word);
		p += len;
	}
	free(a.set.slots);
	return rc;
}

long nodelist_caps_get(const struct nodelist_caps *caps, size_t i)
{
	return caps->cpus != NULL && i < caps->n ? caps->cpus[i] : 0;
}

void nodelist_caps_release(struct nodelist_caps *caps)
{
	free(caps->cpus);
	caps->cpus = NULL;
	caps->n = 0;
	free(caps->from);
	caps->from = NULL;
	free(caps->job);
	caps->job = NULL;
	caps->slurm = 0;
}

char *nodelist_absolute_files(const char *value, const char *basedir)
{
	struct buf f = BUF_INIT;
	const char *p = value;
	size_t len;

	for (len = text_word(&p); len > 0; len = text_word(&p)) {
		if (basedir != NULL && p[0] == '^' && len > 1 && p[1] != '/') {
			buf_printf(&f, "^%s/%.*s\n", basedir, (int)len - 1,
				   p + 1);
		} else {
			buf_printf(&f, "%.*s\n", (int)len, p);
		}
		p += len;
	}
	return buf_take(&f);
}
