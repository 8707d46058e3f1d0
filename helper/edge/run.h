/*
 * run: the state of one run, which its steps share (main.c tells them in
 * order: resolve, probe, sync, emit, hold), and the small things every
 * step uses.  Not thread-safe but where said: the probe and sync steps
 * work on node i's fields from one thread each.
 */
#ifndef PYTEST_CLOUD_RUN_H
#define PYTEST_CLOUD_RUN_H

#include <pthread.h>
#include <stddef.h>

#include "claim.h"
#include "clock.h"
#include "config.h"
#include "copyset.h"
#include "interp.h"
#include "render.h"
#include "report.h"

struct sshconn;
struct sshconn_stream;
struct sshmasters;

/* Per-run state.  conns[i] is node i's SSH session, opened by the probe
 * and kept for the steps after the sync; NULL once the node is out. */
struct run {
	struct cloud_config cfg;
	struct node_report *nodes;
	struct sshconn **conns;
	struct sshconn_stream **locks; /* CHDIR locks held for this run */
	size_t n;
	char *probe_command;
	char *prepare_command; /* the steps after the copy (develop.h) */
	char *check_command;   /* only the worker check, for a node that
				* shares another node's folder */
	char *marker;          /* CHDIR's marker for this project (claim.h) */
	char *who;             /* this run in a lock file: pid, user, host,
				* start */
	char token[20];        /* names this run in the nodes' lock files */
	char *mark;            /* the mark of inplace.h while it is there */
	char *mark_made;       /* the first folder made for it (NULL: none),
				* removed with it when empty */
	char *inplace_check;   /* the worker check of an in-place node */
	struct interp_base base; /* the virtualenv's interpreter (interp.h) */
	int have_base;           /* base is known */
	char *rsync_path;
	char *mux_client;      /* pytest-cloud-mux beside the helper, or
				 * NULL (sshmaster.h) */
	char *ssh_path;        /* OpenSSH's client, which decides every
				* node's settings (sshresolve.h); NULL:
				* none here, libssh reads the config */
	struct run_timings seconds;
	int live; /* a live display of the sync runs on stderr */
	long fd_limit; /* open files this process may have */
	int started;   /* the spawn registry and libssh are set up */
	struct copyset_list copied; /* --dry-run: what the copy would send */
	struct copyset_list left;   /* and the entries left out by default */
	int copy_listed;
	/* the locks' heartbeat (hold.h) */
	pthread_mutex_t hb_mu; /* locks[], the nodes' lock_lost, plan_out */
	pthread_cond_t hb_cond;
	pthread_t hb_thread;
	int hb_running;
	int hb_stop;
	int plan_out;          /* the plan was printed */
	struct sshmasters *masters; /* the nodes' ssh masters (sshmaster.h) */
	/* the project's digests for the unchanged check (sync.c), one per
	 * list of kept paths: "DIGEST PATHS" (64 hex digits, or 64 '-'
	 * when it could not be had; the paths each followed by '\n') */
	pthread_mutex_t check_mu;
	struct strvec check_cache;
};

/* How many nodes are in state s. */
size_t run_count_state(const struct run *run, enum node_state s);

/* Says on stderr that node r is left out, and why (thread-safe). */
void run_say_excluded(const struct node_report *r);

/*
 * File descriptors.  Each usable node keeps its session's socket for the
 * whole run, and its master's control connection while the open files
 * allow (sshmaster.h); a probe being set up holds one, and a running
 * rsync two (four while it starts).  The soft limit is raised to the hard
 * one (main), and the probes and the copies in flight are what is left
 * once the sessions and the control connections held are counted.
 */
#define FD_RESERVE 16 /* stdio, /dev/null, files read on the way */

/* What is left for things in flight once every node may keep its
 * session, and the control connections held are counted; 0 when not
 * even that fits. */
long run_fds_in_flight(const struct run *run);

/* Leaves out node r when CHDIR, as f says, cannot receive the project
 * (claim.h).  Returns 0, or -1 when left out. */
int run_check_chdir(const struct run *run, struct node_report *r,
		    const struct chdir_facts *f);

/* Says that node r's CHDIR, a copy another project or host made (f),
 * is replaced ("node 'a': HOW the copy of project '/p' from host 'h'",
 * HOW "replacing"); nothing for a folder of any other owner. */
void run_say_replacing(const struct node_report *r,
		       const struct chdir_facts *f, const char *how);

/* Names this run (run->token, run->who): how other runs see it in a
 * lock file (pid, user, host, start) and a random token (shared homes,
 * the mark of inplace.h).  Returns 0, or -1 when out of memory. */
int run_name(struct run *run);

/* Writes the mark of inplace.h into the project (a project this login
 * cannot write gets a warning and no mark: every node is copied then);
 * run_unmark_project removes it.  Returns 0, or -1 when out of memory. */
int run_mark_project(struct run *run);
void run_unmark_project(struct run *run);

/* Frees everything run holds, sessions and locks closed. */
void run_release(struct run *run);

#endif
