#define _GNU_SOURCE
/* libFuzzer target: host ranges, Slurm's count lists and scontrol's
 * output, and whole node lists (nodelist.h): the input's first line is
 * the list, what follows is the host file, scontrol's answer and
 * SLURM_JOB_CPUS_PER_NODE.  Checks what a success promises: every name
 * within the limit, checked, and without brackets. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostrange.h"
#include "nodelist.h"
#include "nodename.h"
#include "slurm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_text; /* after the first line */

static char *fuzz_read(const char *path, char *why, size_t whylen)
{
	(void)path;
	(void)why;
	(void)whylen;
	return strdup(fuzz_text);
}

static char *fuzz_scontrol(const char *list, char *why, size_t whylen)
{
	(void)list;
	(void)why;
	(void)whylen;
	return strdup(fuzz_text);
}

static const char *fuzz_getenv(const char *name)
{
	if (strcmp(name, "SLURM_JOB_NODELIST") == 0) {
		return "x";
	}
	if (strcmp(name, "SLURM_JOB_CPUS_PER_NODE") == 0) {
		return fuzz_text;
	}
	return NULL;
}

static void check_names(const struct strvec *v, size_t max)
{
	size_t i;

	if (v->n > max) {
		abort();
	}
	for (i = 0; i < v->n; i++) {
		if (strpbrk(v->v[i], "[]") != NULL) {
			abort();
		}
	}
}

static void fuzz_range(const char *text)
{
	struct strvec out = STRVEC_INIT;
	char why[300];

	if (hostrange_expand(text, 5000, &out, why, sizeof(why)) == 0) {
		check_names(&out, 5000);
	} else if (out.n != 0 || why[0] == '\0') {
		abort();
	}
	strvec_clear(&out);
}

static void fuzz_counts(const char *text)
{
	long *counts = NULL;
	size_t n = 0;
	size_t i;
	char why[300];

	if (slurm_counts_parse(text, 5000, &counts, &n, why, sizeof(why)) ==
	    0) {
		if (n == 0 || n > 5000) {
			abort();
		}
		for (i = 0; i < n; i++) {
			if (counts[i] < 1 || counts[i] > SLURM_MAX_CPUS) {
				abort();
			}
		}
	}
	free(counts);
}

static void fuzz_slurm_text(const char *text)
{
	struct strvec out = STRVEC_INIT;
	char why[300];

	if (slurm_hostnames_parse(text, &out, why, sizeof(why)) == 0 &&
	    out.n == 0) {
		abort();
	}
	strvec_clear(&out);
}

static void fuzz_list(const char *text)
{
	static const struct nodelist_io io = { fuzz_read, fuzz_scontrol,
					       fuzz_getenv };
	struct strvec nodes = STRVEC_INIT;
	struct nodelist_caps caps = NODELIST_CAPS_INIT;
	char err[600];
	size_t i;

	if (nodelist_add(&nodes, &caps, text, "fuzz", "/base", &io, err,
			 sizeof(err)) == 0) {
		check_names(&nodes, HOSTRANGE_MAX_HOSTS);
		for (i = 0; i < nodes.n; i++) {
			struct nodename n;

			if (nodename_parse(nodes.v[i], &n, err, sizeof(err)) <
			    0) {
				abort();
			}
			nodename_release(&n);
			if (nodelist_caps_get(&caps, i) < 0) {
				abort();
			}
		}
	}
	strvec_clear(&nodes);
	nodelist_caps_release(&caps);
	free(nodelist_absolute_files(text, "/base"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL) {
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_text = strchr(text, '\n') ? strchr(text, '\n') + 1 : "";
	fuzz_range(text);
	fuzz_counts(text);
	fuzz_slurm_text(fuzz_text);
	*strchrnul(text, '\n') = '\0';
	fuzz_list(text);
	free(text);
	return 0;
}
