/*
 * sync: the project onto every probed node, then each node made ready.
 * Per node, over the probe's own session: CHDIR claimed (claim.h: made
 * with its parents, locked against other runs for this run, waiting up
 * to cloud_lock_timeout for one that holds it); then one rsync per node
 * (rsync.h; at most cloud_rsync_max_processes, within the open-file
 * budget); then the steps after the copy (develop.h), bounded by
 * cloud_sync_timeout.  A node that fails a step is left out with why.
 * Nodes whose CHDIR is one folder (a shared home, found through the lock
 * file: claim.h) get one claim, one copy and one after-copy step, through
 * the node that claimed it; the others use its copy.
 */
#ifndef PYTEST_CLOUD_SYNC_H
#define PYTEST_CLOUD_SYNC_H

#include <stddef.h>

#include "run.h"

/* Claims, copies and prepares every probed node; sets the sync and
 * prepare times.  Returns 0, or -1 when rsync is not there (said). */
int sync_nodes(struct run *run);

#endif
