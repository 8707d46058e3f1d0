/* run: shared state and helpers of the steps (see run.h). */
#define _GNU_SOURCE
#include "run.h"

#include <stdlib.h>

#include "msgs.h"
#include "sshconn.h"

size_t run_count_state(const struct run *run, enum node_state s)
{
	size_t i;
	size_t k = 0;

	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].state == s) {
			k++;
		}
	}
	return k;
}

void run_say_excluded(const struct node_report *r)
{
	if (r->state == NODE_EXCLUDED) {
		warnf("node '%s': excluded: %s", r->name,
		      r->reason ? r->reason : "out of memory");
	}
}

long run_fds_in_flight(const struct run *run)
{
	long spare = run->fd_limit - FD_RESERVE - (long)run->n;

	return spare > 0 ? spare : 0;
}

int run_check_chdir(const struct run *run, struct node_report *r,
		      const struct chdir_facts *f)
{
	char why[1200];

	if (claim_refusal(f, run->cfg.chdir, why, sizeof(why)) != NULL) {
		report_exclude(r, "%s", why);
		return -1;
	}
	return 0;
}

void run_release(struct run *run)
{
	char **texts[] = { &run->probe_command, &run->prepare_command,
			   &run->check_command, &run->marker, &run->who,
			   &run->rsync_path, &run->ssh_path };
	size_t i;

	for (i = 0; run->nodes != NULL && i < run->n; i++) {
		report_release(&run->nodes[i]);
	}
	for (i = 0; run->locks != NULL && i < run->n; i++) {
		sshconn_stream_close(run->locks[i]);
	}
	free(run->locks);
	run->locks = NULL;
	for (i = 0; run->conns != NULL && i < run->n; i++) {
		sshconn_close(run->conns[i]);
	}
	free(run->conns);
	run->conns = NULL;
	free(run->nodes);
	run->nodes = NULL;
	copyset_list_release(&run->copied);
	copyset_list_release(&run->left);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		free(*texts[i]);
		*texts[i] = NULL;
	}
	interp_base_release(&run->base);
	config_release(&run->cfg);
}
