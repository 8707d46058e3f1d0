/* sync: copy and prepare the probed nodes (see sync.h). */
#define _GNU_SOURCE
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "develop.h"
#include "display.h"
#include "fanout.h"
#include "msgs.h"
#include "probe.h"
#include "resolve.h"
#include "rsync.h"
#include "spawn.h"
#include "sshconn.h"
#include "text.h"

/* Why a claim ended without a lock, from its last lines. */
static void claim_failed(struct run *run, struct node_report *r,
			 struct sshconn_stream *st, enum chdir_state state,
			 const char *real)
{
	char why[600];

	if (state != CHDIR_UNKNOWN && state != CHDIR_DIR &&
	    state != CHDIR_ABSENT) {
		probe_check_chdir(run, r, state, real);
		return;
	}
	text_last_line(sshconn_stream_stderr(st), why, sizeof(why));
	report_exclude(r, "making '%s' failed%s%s", run->cfg.chdir,
		       why[0] ? ": " : "", why);
}

/*
 * Claims CHDIR on node i over its session (claim.h): waits for another
 * run's lock when there is one, then keeps the lock in run->locks[i] for
 * this run.  Leaves the node out when CHDIR cannot be ours.
 */
static void claim_job(size_t i, void *arg)
{
	struct run *run = arg;
	struct node_report *r = &run->nodes[i];
	struct sshconn_stream *st;
	enum chdir_state state = CHDIR_UNKNOWN;
	char line[600];
	char text[400];
	char owner[400] = "";
	char why[300];
	long wait_ms = run->cfg.connect_timeout * 1000;
	int rc;

	if (r->state != NODE_PROBED) {
		return;
	}
	st = sshconn_stream_start(run->conns[i], run->claim_command, why,
				  sizeof(why));
	if (st == NULL) {
		report_exclude(r, "claiming '%s': %s", run->cfg.chdir, why);
		goto out;
	}
	while ((rc = sshconn_stream_line(st, wait_ms, line, sizeof(line), why,
					 sizeof(why))) > 0) {
		switch (claim_line(line, &state, text, sizeof(text))) {
		case CLAIM_BUSY:
			snprintf(owner, sizeof(owner), "%s", text);
			text_clean(owner); /* the node's text, printed */
			infof("node '%s': '%s' is in use by another run (%s): "
			      "waiting up to %lds", r->name, run->cfg.chdir,
			      owner, run->cfg.lock_timeout);
			wait_ms = (run->cfg.lock_timeout +
				   run->cfg.connect_timeout) * 1000;
			break;
		case CLAIM_TIMEOUT:
			report_exclude(r, "'%s' on the node is in use by another "
				       "run (%s), still after %lds "
				       "(cloud_lock_timeout)", run->cfg.chdir,
				       owner, run->cfg.lock_timeout);
			goto out;
		case CLAIM_LOCKLINK:
			report_exclude(r, "the lock file beside '%s' on the node "
				       "is a symbolic link (left as it is)",
				       run->cfg.chdir);
			goto out;
		case CLAIM_UNLOCKED:
			warnf("node '%s': no flock(1) there: '%s' is not "
			      "locked against other runs", r->name,
			      run->cfg.chdir);
			/* fall through */
		case CLAIM_LOCKED:
			if (state == CHDIR_DIR) {
				run->locks[i] = st;
				st = NULL;
				return;
			}
			break;
		case CLAIM_STATE:
			wait_ms = run->cfg.connect_timeout * 1000;
			break;
		case CLAIM_OTHER:
			break;
		}
	}
	if (rc < 0) {
		report_exclude(r, "claiming '%s': %s", run->cfg.chdir, why);
	} else {
		claim_failed(run, r, st, state, text);
	}
out:
	sshconn_stream_close(st);
	run_say_excluded(r);
}

static void sync_job(size_t i, void *arg)
{
	struct run *run = arg;
	struct node_report *r = &run->nodes[i];

	if (r->state != NODE_PROBED) {
		return;
	}
	__atomic_store_n(&r->live_state, LIVE_SYNCING, __ATOMIC_RELAXED);
	rsync_sync_node(&run->cfg, run->rsync_path, r, run->live);
	__atomic_store_n(&r->live_state,
			 r->state == NODE_EXCLUDED ? LIVE_FAILED : LIVE_DONE,
			 __ATOMIC_RELAXED);
	if (run->live) {
		return; /* the display shows it; lines follow at the end */
	}
	if (r->state == NODE_EXCLUDED) {
		run_say_excluded(r);
	} else {
		infof("node '%s': synced %lld files, %lld bytes in %.1fs",
		      r->name, r->files_sent, r->bytes_sent, r->sync_seconds);
	}
}

/* After the sync, over the probe's session: develop.h's steps, bounded
 * by cloud_sync_timeout. */
static void prepare_job(size_t i, void *arg)
{
	struct run *run = arg;
	struct node_report *r = &run->nodes[i];
	struct sshconn_output o = { NULL, NULL, -1, "" };
	char why[1024];

	if (r->state != NODE_OK || run->conns[i] == NULL) {
		return;
	}
	if (sshconn_exec(run->conns[i], run->check_command,
			 run->cfg.sync_timeout, &o, why, sizeof(why)) < 0) {
		report_exclude(r, "after the copy: %s", why);
	} else if (o.exit_status != 0) {
		char step[600];
		char how[80];

		probe_describe_end(&o, how, sizeof(how));
		text_last_line(o.err[0] ? o.err : o.out, why, sizeof(why));
		report_exclude(r, "%s (%s)%s%s",
			       develop_step(&run->cfg, o.exit_status, step,
					    sizeof(step)),
			       how, why[0] ? ": " : "", why);
	}
	free(o.out);
	free(o.err);
	run_say_excluded(r);
}

/* Copies in flight: cloud_rsync_max_processes (default: all), within
 * the open files (four each while one starts). */
static size_t rsync_concurrency(const struct run *run)
{
	long spare = run_fds_in_flight(run) / 4;
	long want = run->cfg.rsync_max_processes > 0
			    ? run->cfg.rsync_max_processes
			    : (long)run->n;

	return (size_t)(want < spare ? want : (spare > 0 ? spare : 1));
}

/* Prints the per-node lines the live display stood in for. */
static void report_sync_lines(const struct run *run)
{
	size_t i;

	for (i = 0; i < run->n; i++) {
		const struct node_report *r = &run->nodes[i];

		if (r->live_state == LIVE_FAILED) {
			run_say_excluded(r);
		}
	}
}

const char *sync_owner(char *buf, size_t len)
{
	char host[256] = "?";
	char when[32] = "?";
	char *user = local_user();
	time_t now = time(NULL);
	struct tm tm;

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	if (gmtime_r(&now, &tm) != NULL) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	snprintf(buf, len, "pytest-cloud pid %ld by %s on %s since %s",
		 (long)getpid(), user ? user : "?", host, when);
	free(user);
	return buf;
}

int sync_nodes(struct run *run)
{
	struct display *d = NULL;
	double start = clock_seconds();
	long long bytes = 0;
	long long files = 0;
	size_t i;

	run->rsync_path = spawn_find_program("rsync");
	if (run->rsync_path == NULL) {
		errorf("rsync: not found on PATH (install the rsync package)");
		return -1;
	}
	fanout_run(run->n, 0, claim_job, run);
	infof("syncing '%s' to '%s' on %zu nodes", run->cfg.rootdir,
	      run->cfg.chdir, run_count_state(run, NODE_PROBED));
	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].state == NODE_PROBED) {
			run->nodes[i].live_state = LIVE_WAITING;
		}
	}
	if (run->live) {
		d = display_start(run->nodes, run->n);
		run->live = d != NULL;
	}
	fanout_run(run->n, rsync_concurrency(run), sync_job,
		   run);
	if (d != NULL) {
		display_stop(d);
		report_sync_lines(run);
	}
	run->seconds.sync = clock_seconds() - start;
	fanout_run(run->n, 0, prepare_job, run);
	run->seconds.prepare = clock_seconds() - start - run->seconds.sync;
	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].synced && run->nodes[i].bytes_sent > 0) {
			bytes += run->nodes[i].bytes_sent;
		}
		if (run->nodes[i].synced && run->nodes[i].files_sent > 0) {
			files += run->nodes[i].files_sent;
		}
	}
	infof("sync done: %zu nodes, %lld files and %lld bytes sent, %.1fs",
	      run_count_state(run, NODE_OK), files, bytes, clock_seconds() - start);
	return 0;
}
