/*
 * probe_parse: the remote probe's script and the parser of its output.
 *
 * The probe is a POSIX shell one-liner run over one SSH exec channel; it
 * needs no python on the node.  It prints "key value" lines:
 *
 *   pytest-cloud-probe 1
 *   cpus 4                  CPUs this login may run on (nproc)
 *   mem_available_kb 812344 MemAvailable of /proc/meminfo ("" if none)
 *
 * Pure: no I/O.
 */
#ifndef PYTEST_CLOUD_PROBE_PARSE_H
#define PYTEST_CLOUD_PROBE_PARSE_H

#include <stddef.h>

struct probe_result {
	long cpus;             /* >= 1 after a successful parse */
	long mem_available_mb; /* MiB (1024 * 1024 bytes), floor */
	int have_mem;          /* 0 when the node gave no memory figure */
};

/* The shell command the probe runs on the node (static storage). */
const char *probe_script(void);

/*
 * Parses the probe's stdout.  Returns 0, or -1 with why filled ("no 'cpus'
 * line", "cpus 'x' is not a number") and out zeroed.
 */
int probe_parse(const char *text, struct probe_result *out, char *why,
		size_t whylen);

#endif
