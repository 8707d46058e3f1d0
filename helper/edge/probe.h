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

#include "run.h"
#include "sshconn.h"

/* Probes every node; sets run->seconds.probe. */
void probe_nodes(struct run *run);

#endif
