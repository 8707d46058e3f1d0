/* sshresolve: ssh -G for one node (see sshresolve.h). */
#define _GNU_SOURCE
#include "sshresolve.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "strvec.h"
#include "text.h"

static sem_t slots;
static int slots_ready;

/* Turns: each ssh -G takes a ticket as it asks for a slot (arrived) and
 * counts as granted once it has one (see sshresolve_after_queue). */
static pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_moved = PTHREAD_COND_INITIALIZER;
static unsigned long arrived;
static unsigned long granted;

void sshresolve_init(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_condattr_t attr;

	/* the turns' bound on the monotonic clock */
	if (pthread_condattr_init(&attr) != 0) {
		return;
	}
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_destroy(&queue_moved) == 0 &&
	    pthread_cond_init(&queue_moved, &attr) == 0) {
		slots_ready = sem_init(&slots, 0,
				       (unsigned int)(cpus > 0 ? 2 * cpus
							       : 2)) == 0;
	}
	pthread_condattr_destroy(&attr);
}

int sshresolve_node(const char *ssh, const char *ssh_config,
		    const struct nodename *addr, long timeout_s,
		    struct sshg *g, char *why, size_t whylen)
{
	struct strvec argv = STRVEC_INIT;
	struct spawn_result res = { 0, 0, 0, 0, 0, NULL };
	char spawn_why[256];
	char line[600];
	int rc = -1;

	if (sshg_argv(ssh_config, addr, &argv) < 0) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (slots_ready) {
		pthread_mutex_lock(&queue_mu);
		arrived++;
		pthread_mutex_unlock(&queue_mu);
		while (sem_wait(&slots) < 0) {
		}
		pthread_mutex_lock(&queue_mu);
		granted++;
		pthread_cond_broadcast(&queue_moved);
		pthread_mutex_unlock(&queue_mu);
	}
	rc = spawn_run_watch(ssh, argv.v, &res, NULL, NULL, timeout_s,
			     spawn_why, sizeof(spawn_why));
	if (slots_ready) {
		sem_post(&slots);
	}
	if (rc < 0) {
		snprintf(why, whylen, "ssh config: ssh -G: %s", spawn_why);
		goto out;
	}
	rc = -1;
	text_last_line(res.output ? res.output : "", line, sizeof(line));
	text_clean(line);
	if (res.timed_out) {
		snprintf(why, whylen, "ssh config: 'ssh -G' did not end within "
			 "%lds (a Match exec command that hangs?)", timeout_s);
		goto out;
	}
	if (res.exec_errno != 0 || !res.exited || res.code != 0) {
		char how[120];

		spawn_describe(&res, how, sizeof(how));
		snprintf(why, whylen, "ssh config: 'ssh -G' %s%s%s", how,
			 line[0] ? ": " : "", line);
		goto out;
	}
	if (sshg_parse(res.output, g, line, sizeof(line)) < 0) {
		snprintf(why, whylen, "ssh config: 'ssh -G' said what is not "
			 "understood: %s", line);
		goto out;
	}
	rc = sshg_check(g, why, whylen);
out:
	spawn_result_release(&res);
	strvec_clear(&argv);
	return rc;
}

void sshresolve_after_queue(long timeout_s)
{
	struct timespec until;
	unsigned long mine;

	if (!slots_ready) {
		return; /* no turns taken */
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_s;
	pthread_mutex_lock(&queue_mu);
	mine = arrived;
	while (granted < mine &&
	       pthread_cond_timedwait(&queue_moved, &queue_mu, &until) !=
		       ETIMEDOUT) {
	}
	pthread_mutex_unlock(&queue_mu);
}
