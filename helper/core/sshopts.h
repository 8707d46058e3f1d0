/*
 * sshopts: the options every ssh of a run gets, from one place: rsync's
 * ssh and the nodes' gateways (the plan's px specs carry them, so the
 * conftest and a user running xdist by hand use the very same).  Pure.
 *
 *   -o BatchMode=yes -o ConnectTimeout=N
 *   -o ServerAliveInterval=I -o ServerAliveCountMax=C
 *   -o StrictHostKeyChecking=yes -o UpdateHostKeys=no
 *
 * with N = cloud_connect_timeout and I x C <= cloud_keepalive: a node
 * silent for the keepalive is given up (sshopts_alive).  The probe judged
 * every node's host key and added the new ones (hostkey.h); the later
 * ssh accept exactly what is in the known_hosts files then, and change
 * none of them.
 */
#ifndef PYTEST_CLOUD_SSHOPTS_H
#define PYTEST_CLOUD_SSHOPTS_H

#include "config.h"

/* ServerAliveInterval and ServerAliveCountMax for keepalive seconds:
 * max(1, k/4) and 3; under 4 s, 1 s and max(1, k-1) tries. */
void sshopts_alive(long keepalive, long *interval, long *count);

/* The options above as one string (words separated by spaces), newly
 * allocated; NULL when out of memory. */
char *sshopts_common(const struct cloud_config *cfg);

#endif
