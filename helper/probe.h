/*
 * probe: every node at once over SSH (at most cloud_max_connections
 * being set up, within the open-file budget): connect and authenticate,
 * run the probe script (probe_parse.h), read CPUs, memory and the state
 * of CHDIR, plan the node's test processes (plan.h).  A node that can
 * take tests keeps its session in run->conns for the later steps; any
 * other is left out with the step that failed and why.  One deadline,
 * cloud_connect_timeout, covers a node's whole probe.
 */
#ifndef PYTEST_CLOUD_PROBE_H
#define PYTEST_CLOUD_PROBE_H

#include "claim.h"
#include "run.h"
#include "sshconn.h"

/* Probes every node; sets run->seconds.probe. */
void probe_nodes(struct run *run);

/* Leaves out node r when CHDIR, as f says, cannot receive the project
 * (claim.h).  Returns 0, or -1 when left out. */
int probe_check_chdir(const struct run *run, struct node_report *r,
		      const struct chdir_facts *f);

/* How a remote command ended: "exit 3", "killed by signal KILL", or
 * "ended without an exit status". */
void probe_describe_end(const struct sshconn_output *o, char *buf, size_t len);

#endif
