/* sshresolve: ssh -G for one node (see sshresolve.h). */
#define _GNU_SOURCE
#include "sshresolve.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"
#include "strvec.h"
#include "text.h"

static sem_t slots;
static int slots_ready;

/* ssh -G waiting for a slot now, and the wait for none (see
 * sshresolve_after_queue) */
static pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_empty = PTHREAD_COND_INITIALIZER;
static long queued;

void sshresolve_init(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	slots_ready = sem_init(&slots, 0,
			       (unsigned int)(cpus > 0 ? 2 * cpus : 2)) == 0;
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
		queued++;
		pthread_mutex_unlock(&queue_mu);
		while (sem_wait(&slots) < 0) {
		}
		pthread_mutex_lock(&queue_mu);
		if (--queued == 0) {
			pthread_cond_broadcast(&queue_empty);
		}
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

void sshresolve_after_queue(void)
{
	pthread_mutex_lock(&queue_mu);
	while (queued > 0) {
		pthread_cond_wait(&queue_empty, &queue_mu);
	}
	pthread_mutex_unlock(&queue_mu);
}
