/*
 * probe_parse: the remote probe's script and the parser of its output.
 *
 * The probe is a POSIX shell script run over one SSH exec channel; it
 * needs no python on the node.  It prints "key value" lines of raw facts
 * and leaves the arithmetic to probe_parse:
 *
 *   pytest-cloud-probe 1
 *   os Linux                      uname -s
 *   cpus 4                        CPUs this login may run on (nproc:
 *                                 affinity), or sysctl hw.ncpu
 *   mem_available_kb 812344       MemAvailable of /proc/meminfo, or empty
 *   cg cpu.max 200000 100000      cgroup v2, per level up to the root
 *   cg memory.max 1073741824      (with memory.current)
 *   cg cpu.cfs_quota_us 50000     cgroup v1 (with cpu.cfs_period_us,
 *                                 memory.limit_in_bytes, .usage_in_bytes)
 *   pagesize 4096                 macOS and BSD: free and inactive pages
 *   free_pages 1000
 *   inactive_pages 2000
 *   chdir dir                     CHDIR's state, checked as claim.h says:
 *                                 dir, absent, notdir, readonly, symlink,
 *                                 outside REALPATH
 *   owner none                    whose CHDIR is (claim.h): none, ours,
 *                                 empty, earlier, other M, ...
 *
 * CPUs = min(cpus, ceil(quota / period) of every level with a quota).
 * Memory = min(MemAvailable (or free + inactive pages), limit - usage of
 * every level with a limit).  Pure: no I/O.
 */
#ifndef PYTEST_CLOUD_PROBE_PARSE_H
#define PYTEST_CLOUD_PROBE_PARSE_H

#include <stddef.h>

#include "claim.h"

struct probe_result {
	long cpus;             /* >= 1 after a successful parse */
	long mem_available_mb; /* MiB (1024 * 1024 bytes), floor */
	int have_mem;          /* 0 when the node gave no memory figure */
	int cgroup_cpu;        /* 1 when a cgroup quota lowered cpus */
	int cgroup_mem;        /* 1 when a cgroup limit lowered memory */
	struct chdir_facts chdir; /* CHDIR's state and owner (claim.h) */
};

/*
 * The shell command the probe runs on the node, checking the folder chdir
 * (relative to the remote home; quoted inside) and whose it is against
 * marker (claim_marker).  Returns a newly allocated string, or NULL when
 * out of memory.
 */
char *probe_script(const char *chdir, const char *marker);

/*
 * Parses the probe's stdout.  Returns 0, or -1 with why filled ("no CPU
 * count", "CPU count 'x' is not a number in 1..65536") and out zeroed.
 */
int probe_parse(const char *text, struct probe_result *out, char *why,
		size_t whylen);

#endif
