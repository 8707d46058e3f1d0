/* slurm: the Slurm job's nodes and CPUs (see slurm.h). */
#define _GNU_SOURCE
#include "slurm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole number of at most 9 digits at *p; advances *p.  Returns
 * 0, or -1 when there is none. */
static int read_count(const char **p, long *v)
{
	size_t len = strspn(*p, "0123456789");
	size_t i;

	if (len == 0 || len > 9) {
		return -1;
	}
	*v = 0;
	for (i = 0; i < len; i++) {
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += len;
	return 0;
}

/* Appends count c, times repeat, to *counts (*n of *alloc used). */
static int push_counts(long **counts, size_t *n, size_t *alloc, long c,
		       long repeat)
{
	long k;

	if (*n + (size_t)repeat > *alloc) {
		size_t want = (*n + (size_t)repeat) * 2;
		long *grown = realloc(*counts, want * sizeof(*grown));

		if (grown == NULL) {
			return -1;
		}
		*counts = grown;
		*alloc = want;
	}
	for (k = 0; k < repeat; k++) {
		(*counts)[(*n)++] = c;
	}
	return 0;
}

int slurm_counts_parse(const char *spec, size_t max, long **counts,
		       size_t *n, char *why, size_t whylen)
{
	const char *p = spec;
	size_t alloc = 0;

	*counts = NULL;
	*n = 0;
	for (;;) {
		long c;
		long repeat = 1;

		if (read_count(&p, &c) < 0) {
			goto bad;
		}
		if (strncmp(p, "(x", 2) == 0) {
			p += 2;
			if (read_count(&p, &repeat) < 0 || *p != ')') {
				goto bad;
			}
			p++;
		}
		if (c < 1 || c > SLURM_MAX_CPUS || repeat < 1) {
			snprintf(why, whylen,
				 "'%.60s': a count of 0 or of more than %ld",
				 spec, SLURM_MAX_CPUS);
			goto fail;
		}
		if ((size_t)repeat > max - *n) {
			snprintf(why, whylen, "'%.60s': counts for more than "
				 "%zu nodes", spec, max);
			goto fail;
		}
		if (push_counts(counts, n, &alloc, c, repeat) < 0) {
			snprintf(why, whylen, "out of memory");
			goto fail;
		}
		if (*p == '\0') {
			return 0;
		}
		if (*p != ',') {
			goto bad;
		}
		p++;
	}
bad:
	snprintf(why, whylen, "'%.60s' is not a list of counts like "
		 "16(x2),8", spec);
fail:
	free(*counts);
	*counts = NULL;
	*n = 0;
	return -1;
}

int slurm_hostnames_parse(const char *text, struct strvec *out, char *why,
			  size_t whylen)
{
	const char *p = text;
	size_t before = out->n;

	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		size_t end = len;
		size_t lead = strspn(p, " \t\r");

		while (end > lead && (p[end - 1] == ' ' || p[end - 1] == '\t' ||
				      p[end - 1] == '\r')) {
			end--;
		}
		if (end > lead && strcspn(p + lead, " \t") < end - lead) {
			snprintf(why, whylen, "%.*s",
				 (int)(end - lead > 200 ? 200 : end - lead),
				 p + lead);
			goto fail;
		}
		if (end > lead) {
			char *name = strndup(p + lead, end - lead);

			if (name == NULL || strvec_push(out, name) < 0) {
				free(name);
				snprintf(why, whylen, "out of memory");
				goto fail;
			}
			free(name);
		}
		p += len;
		p += *p == '\n';
	}
	if (out->n == before) {
		snprintf(why, whylen, "no host names");
		return -1;
	}
	return 0;
fail:
	while (out->n > before) {
		free(out->v[--out->n]);
		out->v[out->n] = NULL;
	}
	return -1;
}

/* The value of the first of names (NULL-terminated) that is set and not
 * empty; its name in *which. */
static const char *first_set(const char *(*getenv_fn)(const char *),
			     const char *const *names, const char **which)
{
	for (; *names != NULL; names++) {
		const char *v = getenv_fn(*names);

		if (v != NULL && v[0] != '\0') {
			*which = *names;
			return v;
		}
	}
	return NULL;
}

/* The job's nodes: the list from the environment, through scontrol. */
static int read_hosts(const char *(*getenv_fn)(const char *),
		      char *(*hostnames_fn)(const char *, char *, size_t),
		      size_t max, struct slurm_job *job, char *why,
		      size_t whylen)
{
	static const char *const lists[] = { "SLURM_JOB_NODELIST",
					     "SLURM_NODELIST", NULL };
	const char *var = NULL;
	const char *list = first_set(getenv_fn, lists, &var);
	char said[600];
	char *text;

	if (list == NULL) {
		snprintf(why, whylen,
			 "not inside a Slurm job: SLURM_JOB_NODELIST is not "
			 "set (run pytest under salloc, sbatch or srun)");
		return -1;
	}
	text = hostnames_fn(list, said, sizeof(said));
	if (text == NULL) {
		snprintf(why, whylen, "%s", said);
		return -1;
	}
	if (slurm_hostnames_parse(text, &job->hosts, said, sizeof(said)) < 0) {
		snprintf(why, whylen, "scontrol show hostnames '%.200s' (%s): "
			 "%s", list, var, said);
		free(text);
		return -1;
	}
	free(text);
	if (job->hosts.n > max) {
		snprintf(why, whylen, "%s '%.200s' names %zu nodes (most %zu)",
			 var, list, job->hosts.n, max);
		return -1;
	}
	return 0;
}

/* Each node's CPUs from the first variable that gives them. */
static int read_cpus(const char *(*getenv_fn)(const char *),
		     struct slurm_job *job, char *why, size_t whylen)
{
	static const char *const per_node[] = { "SLURM_JOB_CPUS_PER_NODE",
						"SLURM_TASKS_PER_NODE",
						"SLURM_CPUS_ON_NODE", NULL };
	const char *var = NULL;
	const char *spec = first_set(getenv_fn, per_node, &var);
	const char *per_task = getenv_fn("SLURM_CPUS_PER_TASK");
	long times = 1;
	long *counts = NULL;
	size_t n = 0;
	size_t i;
	char said[200];

	if (spec == NULL) {
		return 0;
	}
	if (slurm_counts_parse(spec, job->hosts.n, &counts, &n, said,
			       sizeof(said)) < 0) {
		snprintf(why, whylen, "%s: %s", var, said);
		return -1;
	}
	if (strcmp(var, "SLURM_CPUS_ON_NODE") == 0 && n == 1) {
		long one = counts[0];
		long *all = calloc(job->hosts.n, sizeof(*all));

		free(counts);
		counts = all;
		n = job->hosts.n;
		for (i = 0; all != NULL && i < n; i++) {
			all[i] = one;
		}
	}
	if (counts == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (n != job->hosts.n) {
		snprintf(why, whylen,
			 "%s '%.60s' gives CPUs for %zu node%s, the job has "
			 "%zu",
			 var, spec, n, n == 1 ? "" : "s", job->hosts.n);
		free(counts);
		return -1;
	}
	if (strcmp(var, "SLURM_TASKS_PER_NODE") == 0 && per_task != NULL &&
	    per_task[0] != '\0') {
		const char *p = per_task;

		if (read_count(&p, &times) < 0 || *p != '\0' || times < 1) {
			snprintf(why, whylen, "SLURM_CPUS_PER_TASK: '%.60s' is "
				 "not a count", per_task);
			free(counts);
			return -1;
		}
		for (i = 0; i < n; i++) {
			counts[i] = counts[i] * times > SLURM_MAX_CPUS
					    ? SLURM_MAX_CPUS
					    : counts[i] * times;
		}
	}
	job->cpus = counts;
	job->from = strdup(times > 1 ? "SLURM_TASKS_PER_NODE x "
				       "SLURM_CPUS_PER_TASK" : var);
	if (job->from == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

int slurm_job_read(const char *(*getenv_fn)(const char *name),
		   char *(*hostnames_fn)(const char *list, char *why,
					 size_t whylen),
		   size_t max, struct slurm_job *job, char *why,
		   size_t whylen)
{
	const char *id = getenv_fn("SLURM_JOB_ID");

	if (read_hosts(getenv_fn, hostnames_fn, max, job, why, whylen) < 0 ||
	    read_cpus(getenv_fn, job, why, whylen) < 0) {
		slurm_job_release(job);
		return -1;
	}
	if (id != NULL && id[0] != '\0') {
		job->id = strdup(id);
		if (job->id == NULL) {
			snprintf(why, whylen, "out of memory");
			slurm_job_release(job);
			return -1;
		}
	}
	return 0;
}

void slurm_job_release(struct slurm_job *job)
{
	strvec_clear(&job->hosts);
	free(job->cpus);
	job->cpus = NULL;
	free(job->from);
	job->from = NULL;
	free(job->id);
	job->id = NULL;
}
