/* hold: signals, the locks' heartbeat and --hold (see hold.h). */
#define _GNU_SOURCE
#include "hold.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "msgs.h"
#include "spawn.h"
#include "sshconn.h"
#include "sshmaster.h"

static volatile sig_atomic_t holding;
static volatile sig_atomic_t hold_ended_by;

static void on_stop_signal(int sig)
{
	struct timespec grace = { 0, 200 * 1000 * 1000 };

	if (holding) {
		hold_ended_by = sig;
		return;
	}
	spawn_kill_all(SIGTERM);
	/* what has not ended a moment later is killed (whatever rsync or
	 * its remote shell waits for) */
	nanosleep(&grace, NULL);
	spawn_kill_all(SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

void hold_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
	}
}

void hold_set_lock(struct run *run, size_t i, struct sshconn_stream *st)
{
	struct sshconn_stream *old;

	pthread_mutex_lock(&run->hb_mu);
	old = run->locks[i];
	run->locks[i] = st;
	pthread_mutex_unlock(&run->hb_mu);
	if (old != NULL && old != st) {
		sshconn_stream_close(old);
	}
}

/* Says node i lost with its lock, and every node that uses its folder;
 * after the plan is out (holding hb_mu). */
static void say_lost(const struct run *run, size_t i)
{
	const struct node_report *r = &run->nodes[i];
	size_t j;

	infof("node '%s' lost: its lock on '%s' ended (%s)", r->name,
	      run->cfg.chdir, r->lock_lost);
	for (j = 0; j < run->n; j++) {
		if (run->nodes[j].shares_with == (long)i &&
		    run->nodes[j].state == NODE_OK) {
			infof("node '%s' lost: it shares '%s' with node '%s', "
			      "whose lock on it ended (%s)",
			      run->nodes[j].name, run->cfg.chdir, r->name,
			      r->lock_lost);
		}
	}
}

/* One round: every held lock's beat (holding hb_mu). */
static void beat_round(struct run *run)
{
	size_t i;

	for (i = 0; i < run->n; i++) {
		struct node_report *r = &run->nodes[i];
		char why[600];

		if (run->locks[i] == NULL || r->lock_lost != NULL ||
		    sshconn_stream_heartbeat(run->locks[i], run->cfg.keepalive,
					     why, sizeof(why)) >= 0) {
			continue;
		}
		r->lock_lost = strdup(why);
		if (r->lock_lost == NULL) {
			r->lock_lost = strdup("out of memory");
		}
		if (run->plan_out && r->state == NODE_OK) {
			say_lost(run, i);
		}
	}
}

static void *heartbeat(void *arg)
{
	struct run *run = arg;
	long every = run->cfg.keepalive / 3 > 1 ? run->cfg.keepalive / 3 : 1;

	pthread_mutex_lock(&run->hb_mu);
	while (!run->hb_stop) {
		struct timespec until;

		beat_round(run);
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += every;
		while (!run->hb_stop &&
		       pthread_cond_timedwait(&run->hb_cond, &run->hb_mu,
					      &until) != ETIMEDOUT) {
		}
	}
	pthread_mutex_unlock(&run->hb_mu);
	return NULL;
}

int hold_heartbeat_start(struct run *run)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&run->hb_cond, &attr);
	pthread_condattr_destroy(&attr);
	run->hb_stop = 0;
	if (pthread_create(&run->hb_thread, NULL, heartbeat, run) != 0) {
		pthread_cond_destroy(&run->hb_cond);
		errorf("the locks' heartbeat: cannot start a thread");
		return -1;
	}
	run->hb_running = 1;
	return 0;
}

void hold_heartbeat_stop(struct run *run)
{
	if (!run->hb_running) {
		return;
	}
	pthread_mutex_lock(&run->hb_mu);
	run->hb_stop = 1;
	pthread_cond_signal(&run->hb_cond);
	pthread_mutex_unlock(&run->hb_mu);
	pthread_join(run->hb_thread, NULL);
	pthread_cond_destroy(&run->hb_cond);
	run->hb_running = 0;
}

/* A node whose lock was lost before the plan, or whose folder's was:
 * left out of the plan. */
static void leave_out_lost(struct run *run)
{
	size_t i;

	for (i = 0; i < run->n; i++) {
		struct node_report *r = &run->nodes[i];
		const struct node_report *l;

		if (r->state != NODE_OK) {
			continue;
		}
		if (r->lock_lost != NULL) {
			report_exclude(r, "its lock on '%s' ended (%s)",
				       run->cfg.chdir, r->lock_lost);
		} else if (r->shares_with >= 0 &&
			   (l = &run->nodes[r->shares_with])->lock_lost) {
			report_exclude(r, "it shares '%s' with node '%s', whose "
				       "lock on it ended (%s)", run->cfg.chdir,
				       l->name, l->lock_lost);
		} else {
			continue;
		}
		run_say_excluded(r);
	}
}

int hold_plan_out(struct run *run, int (*emit)(struct run *))
{
	size_t i;
	int status;

	pthread_mutex_lock(&run->hb_mu);
	leave_out_lost(run);
	for (i = 0; i < run->n; i++) {
		/* no test runs on a node that is out: its folder goes free */
		if (run->locks[i] != NULL && run->nodes[i].state != NODE_OK) {
			sshconn_stream_close(run->locks[i]);
			run->locks[i] = NULL;
		}
	}
	status = emit(run);
	run->plan_out = 1;
	pthread_mutex_unlock(&run->hb_mu);
	/* nor does anything else: its session and its master's control
	 * connection go too (at hundreds of nodes, files and masters kept
	 * through the tests for nothing), after the plan, which they would
	 * only hold back */
	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].state != NODE_OK) {
			sshconn_close(run->conns[i]);
			run->conns[i] = NULL;
			sshmaster_let_go(run, i);
		}
	}
	return status;
}

void hold(void)
{
	struct pollfd in = { STDIN_FILENO, POLLIN, 0 };
	int devnull = open("/dev/null", O_WRONLY);
	char buf[512];

	fflush(stdout);
	if (devnull >= 0) {
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	signal(SIGINT, SIG_IGN);
	holding = 1;
	while (!hold_ended_by) {
		int rc = poll(&in, 1, 1000);

		if (rc < 0 && errno != EINTR) {
			break;
		}
		if (rc > 0 && read(STDIN_FILENO, buf, sizeof(buf)) <= 0) {
			break;
		}
	}
}
