/*
 * plan: how many test processes a node takes.  Pure.
 *
 * processes = min(cpus, alloc_cpus if set, max_processes if set,
 *                 floor(mem_available_mb / mem_per_process) if set)
 *
 * alloc_cpus is the node's CPUs in a Slurm job's allocation (@slurm): a
 * login that the job's cgroup does not adopt sees all of the node's.
 */
#ifndef PYTEST_CLOUD_PLAN_H
#define PYTEST_CLOUD_PLAN_H

#include <stddef.h>

struct plan_limits {
	long max_processes;   /* 0 = no limit */
	long mem_per_process; /* MiB; 0 = no memory limit */
	long alloc_cpus;      /* CPUs in the allocation; 0 = none */
};

/*
 * Returns the process count (>= 0).  When it is 0, why says which limit
 * made it so, with the numbers.  have_mem = 0 with a memory limit set
 * plans by CPUs alone and says so in why (why is "" otherwise).
 */
long plan_processes(long cpus, long mem_available_mb, int have_mem,
		    const struct plan_limits *lim, char *why, size_t whylen);

#endif
