/* hold: signals and --hold (see hold.h). */
#define _GNU_SOURCE
#include "hold.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fanout.h"
#include "msgs.h"
#include "spawn.h"
#include "sshconn.h"

static volatile sig_atomic_t holding;
static volatile sig_atomic_t hold_ended_by;

static void on_stop_signal(int sig)
{
	if (holding) {
		hold_ended_by = sig;
		return;
	}
	spawn_kill_all(SIGTERM);
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

/*
 * One lock's heartbeat: a line to its command (which, from the first one
 * on, lets the lock go when they stop for twice the keepalive) and a
 * ping.  A lock that ended or whose node does not answer within the
 * keepalive makes its node lost: the line below tells the conftest,
 * which stops that node's workers and moves its tests to the others.
 */
static void beat_job(size_t i, void *arg)
{
	struct run *run = arg;
	char why[256];

	if (run->locks[i] == NULL ||
	    sshconn_stream_beat(run->locks[i], run->cfg.keepalive, why,
				sizeof(why)) == 0) {
		return;
	}
	infof("node '%s' lost: its lock on '%s' ended (%s)",
	      run->nodes[i].name, run->cfg.chdir, why);
	sshconn_stream_close(run->locks[i]);
	run->locks[i] = NULL;
}

/* Every lock's heartbeat, all at once: a node that does not answer must
 * not hold back the lines to the others for its keepalive (two silent
 * nodes, one after the other, would outlast the healthy nodes' bound). */
static void beat(struct run *run)
{
	fanout_run(run->n, 0, beat_job, run);
}

void hold(struct run *run)
{
	struct pollfd in = { STDIN_FILENO, POLLIN, 0 };
	int devnull = open("/dev/null", O_WRONLY);
	char buf[512];
	long every = run->cfg.keepalive / 3 > 1 ? run->cfg.keepalive / 3 : 1;
	double next_beat = 0;

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
		if (clock_seconds() >= next_beat) {
			beat(run);
			next_beat = clock_seconds() + (double)every;
		}
	}
}
