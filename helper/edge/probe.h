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

/*
 * The probe's remote command, in run->probe_command (NULL when out of
 * memory): the script of probe_parse.h, the part that tells whether a
 * node sees the project (inplace.h, unless cloud_in_place is no: it also
 * sets run->inplace_check) and the part that asks the nodes for the
 * virtualenv's interpreter (interp.h; sets run->base when it is known).
 * Needs run->marker and run->token.
 */
void probe_command(struct run *run);

/*
 * OpenSSH's client, which decides where each node is and how it is
 * reached (sshresolve.h), and which rsync copies over, in run->ssh_path.
 * Without it a dry run goes on with libssh's reading of the config,
 * saying so; a run that copies cannot.  Returns 0 or an exit status
 * (said).
 */
int probe_find_ssh(struct run *run);

/* Probes every node; sets run->seconds.probe. */
void probe_nodes(struct run *run);

#endif
