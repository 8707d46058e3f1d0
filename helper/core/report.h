/*
 * report: what the run found out about one node.
 *
 * Each node moves through these states, and its final state is what the
 * JSON reports:
 *
 *   NODE_NEW -> NODE_CONNECTING -> NODE_PROBED -> NODE_SYNCING -> NODE_OK
 *                     |                 |              |
 *                     +-----------------+--------------+--> NODE_EXCLUDED
 *
 * NODE_EXCLUDED always has a reason.  In a dry run NODE_PROBED nodes with
 * processes become NODE_OK without syncing.
 */
#ifndef PYTEST_CLOUD_REPORT_H
#define PYTEST_CLOUD_REPORT_H

#include "interp.h"
#include "nodename.h"
#include "sshg.h"

enum node_state {
	NODE_NEW,
	NODE_CONNECTING,
	NODE_PROBED,
	NODE_SYNCING,
	NODE_OK,
	NODE_EXCLUDED
};

/* A node's sync as the live display shows it. */
enum live_state {
	LIVE_IDLE = 0,
	LIVE_WAITING,
	LIVE_SYNCING,
	LIVE_DONE,
	LIVE_FAILED
};

struct node_report {
	const char *name;       /* the node as given; not owned */
	struct nodename addr;   /* parsed name; owned */
	struct sshg ssh;        /* where OpenSSH goes for it (sshg.h); owned */
	char *host_key;         /* the key the probe judged trusted, "TYPE
				 * BASE64"; owned, NULL until then */
	int mux;                /* its ssh master (enum sshmux_state) */
	char *mux_path;         /* the master's ControlPath that every later
				 * ssh goes through (ours); owned, or NULL */
	const char *mux_client; /* with mux_path: the mux client rsync's ssh
				 * goes through (pytest-cloud-mux, muxmain.c);
				 * not owned, or NULL: ssh's own */
	enum node_state state;
	char *reason;           /* why excluded; owned, NULL otherwise */
	char *note;             /* a remark on an ok node, or NULL; owned */
	int have_cpus;
	long cpus;
	long alloc_cpus;        /* its CPUs in the Slurm job's allocation
				 * (@slurm); 0 when none */
	const char *alloc_from; /* the variable they came from; not owned */
	int have_mem;
	long mem_available_mb;
	long processes;
	double probe_seconds;
	int synced;
	long long bytes_sent;
	long long files_sent;   /* regular files transferred, -1 unknown */
	/* for the live display, read by another thread: __atomic only */
	int live_state;         /* enum live_state */
	long long live_bytes;   /* bytes rsync has sent so far */
	double sync_seconds;
	int unchanged;          /* its copy listed as the project does: not
				 * copied again (rsyncargs.h) */
	int chdir_new;          /* the claim found CHDIR absent or empty */
	/* a node whose CHDIR is another node's folder (a shared home): */
	long shares_with;       /* that node's index, whose copy it uses;
				 * -1 for a node with a folder of its own */
	int claimed;            /* CHDIR made ours for this run (locked or,
				 * without flock(1), unlocked) */
	int in_place;           /* runs in the project itself, which it sees
				 * at the same path (inplace.h): no copy */
	char *lock_lost;        /* why its CHDIR lock ended, once it did
				 * (hold.h); owned */
	struct interp_choice interp; /* the python of the node's virtualenv */
	long long interp_bytes; /* sent copying that python, or 0 */
};

/* Sets state to NODE_EXCLUDED with a formatted reason (replacing any
 * earlier one).  Returns -1 only when out of memory (state still set). */
int report_exclude(struct node_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Frees the owned fields. */
void report_release(struct node_report *r);

#endif
