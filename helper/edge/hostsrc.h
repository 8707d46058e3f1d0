/*
 * hostsrc: where node names come from outside the config (nodelist.h):
 * host files (^PATH) read from this machine, and the Slurm job (@slurm):
 * its environment, and its node list expanded by Slurm's own
 * `scontrol show hostnames` (spawned without a shell, spawn.h; bounded
 * to HOSTSRC_SCONTROL_SECONDS).
 */
#ifndef PYTEST_CLOUD_HOSTSRC_H
#define PYTEST_CLOUD_HOSTSRC_H

#include "config.h"

/* Largest host file read, and most output taken from scontrol. */
#define HOSTSRC_MAX_BYTES (16L * 1024 * 1024)
#define HOSTSRC_SCONTROL_SECONDS 20

/* The functions for cfg->io (static storage). */
const struct nodelist_io *hostsrc_io(void);

/* With --dry-run, says on stderr the nodes the list expanded to (and the
 * Slurm job's, with where their CPUs came from). */
void hostsrc_say(const struct cloud_config *cfg);

#endif
