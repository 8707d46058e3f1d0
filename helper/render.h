/*
 * render: the run's output, built from the config and the node reports.
 * Pure: builds strings, prints nothing.
 *
 * Spec, one per test process (as the original pytest-cloud):
 *   ssh=NODE//id=HOST_INDEX//chdir=CHDIR//python=PYTHON[//ssh_config=F]
 * where NODE is the node as given ("user@host -p PORT" when it names a
 * port: ssh does not read "host:port", execnet splits the value into
 * ssh's arguments, and "//" of an ssh:// URL would end the spec field)
 * and HOST_INDEX is HOST_I for process I of the node.
 */
#ifndef PYTEST_CLOUD_RENDER_H
#define PYTEST_CLOUD_RENDER_H

#include <stddef.h>

#include "config.h"
#include "report.h"
#include "strvec.h"

/* Appends the specs of every NODE_OK node to tx.  Returns 0 or -1 (out of
 * memory). */
int render_specs(const struct cloud_config *cfg,
		 const struct node_report *nodes, size_t n, struct strvec *tx);

/* Wall-clock seconds of the run's phases (0 for a phase not run). */
struct run_timings {
	double probe;
	double sync;
	double prepare;
};

/* Returns the JSON document (caller frees with free()), or NULL when out
 * of memory.  Keys: tx, nodes[], rootdir, inifile, chdir, python,
 * connect_timeout, dry_run, seconds {probe, sync, prepare}; t may be
 * NULL. */
char *render_json(const struct cloud_config *cfg,
		  const struct node_report *nodes, size_t n,
		  const struct strvec *tx, const struct run_timings *t);

/* Returns the human table (caller frees), or NULL when out of memory:
 * one line per node with status or reason, CPUs, memory, processes. */
char *render_table(const struct node_report *nodes, size_t n);

#endif
