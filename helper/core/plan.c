/* plan: processes per node (see plan.h). */
#include "plan.h"

#include <stdio.h>

long plan_processes(long cpus, long mem_available_mb, int have_mem,
		    const struct plan_limits *lim, char *why, size_t whylen)
{
	long n = cpus;

	why[0] = '\0';
	if (lim->alloc_cpus > 0 && lim->alloc_cpus < n) {
		n = lim->alloc_cpus;
	}
	if (lim->max_processes > 0 && lim->max_processes < n) {
		n = lim->max_processes;
	}
	if (lim->mem_per_process > 0) {
		if (!have_mem) {
			snprintf(why, whylen,
				 "no memory figure from the node; planned by "
				 "CPUs alone");
		} else if (mem_available_mb / lim->mem_per_process < n) {
			n = mem_available_mb / lim->mem_per_process;
		}
	}
	if (n <= 0) {
		if (cpus <= 0) {
			snprintf(why, whylen, "0 processes: no CPUs");
		} else {
			snprintf(why, whylen,
				 "0 processes: %ld MiB available, %ld MiB "
				 "per process",
				 mem_available_mb, lim->mem_per_process);
		}
		return 0;
	}
	return n;
}
