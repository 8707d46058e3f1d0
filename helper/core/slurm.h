/*
 * slurm: the nodes and CPUs of the Slurm job pytest runs in, from the
 * environment Slurm gives the job.  Pure: the environment and scontrol
 * come in through functions the caller passes (the edge: hostsrc.h).
 *
 *   SLURM_JOB_NODELIST (older: SLURM_NODELIST)  the job's nodes, compressed
 *       ("node[01-04],gpu7"); `scontrol show hostnames LIST` writes one
 *       per line, as Slurm's users expand it
 *   SLURM_JOB_CPUS_PER_NODE  CPUs of the job on each node, in that order,
 *       runs of equal counts compressed: "16(x2),8"
 *   SLURM_TASKS_PER_NODE     tasks on each node, the same form; times
 *       SLURM_CPUS_PER_TASK when set
 *   SLURM_CPUS_ON_NODE       one count (the node the job's script runs
 *       on), then taken for every node
 *
 * The first of the last three that is set gives each node's CPUs in the
 * allocation; with none the job gives no figures.
 */
#ifndef PYTEST_CLOUD_SLURM_H
#define PYTEST_CLOUD_SLURM_H

#include <stddef.h>

#include "strvec.h"

/* Most CPUs one node may have in an allocation (a sanity bound). */
#define SLURM_MAX_CPUS 1000000L

struct slurm_job {
	struct strvec hosts; /* the job's nodes, in Slurm's order */
	long *cpus;          /* CPUs in the allocation, per host; NULL when
			      * the job's environment gives none */
	char *from;          /* the variable(s) cpus came from, or NULL */
	char *id;            /* SLURM_JOB_ID, or NULL */
};

#define SLURM_JOB_INIT { STRVEC_INIT, NULL, NULL, NULL }

/*
 * Parses a count list, "16(x2),8" (each count 1..SLURM_MAX_CPUS, each
 * repeat >= 1), into *counts (malloc'ed; the caller frees) and *n, at
 * most max counts in all.  Returns 0, or -1 with why ("'16(x2' is not a
 * list of counts like 16(x2),8").
 */
int slurm_counts_parse(const char *spec, size_t max, long **counts,
		       size_t *n, char *why, size_t whylen);

/*
 * The host names in scontrol's output, one a line, appended to out.  A
 * line with a blank in it is scontrol's message (scontrol says
 * "Invalid hostlist: ..." and exits 0): returns -1 with that line in
 * why, as it does for no names at all.
 */
int slurm_hostnames_parse(const char *text, struct strvec *out, char *why,
			  size_t whylen);

/*
 * Reads the job: its node list from getenv_fn, expanded by hostnames_fn
 * (which runs scontrol: its output, malloc'ed, or NULL with why), and the
 * CPUs per node as above, at most max nodes.  Returns 0, or -1 with one
 * line in why: not in a job ("SLURM_JOB_NODELIST is not set ..."), a
 * malformed variable (named, with its value), counts that do not match
 * the nodes, scontrol's failure.
 */
int slurm_job_read(const char *(*getenv_fn)(const char *name),
		   char *(*hostnames_fn)(const char *list, char *why,
					 size_t whylen),
		   size_t max, struct slurm_job *job, char *why,
		   size_t whylen);

/* Frees what job holds; it may be read again. */
void slurm_job_release(struct slurm_job *job);

#endif
