/*
 * pytest-cloud: plans a distributed pytest run (see README.md).
 *
 * The story of a run, one step a file:
 *   resolve  the options: defaults < config file < environment < command
 *            line (resolve.c), the copy of the plugin checked first
 *   probe    every node at once: where OpenSSH goes for it (ssh -G,
 *            sshresolve.c), then over SSH: CPUs, memory, CHDIR, whether
 *            it sees the project in place, processes planned (probe.c)
 *   sync     CHDIR claimed and locked (its heartbeat from then on,
 *            hold.c), the project copied with rsync, the steps after the
 *            copy (sync.c); --dry-run lists what the copy would send
 *            instead (copylist.c)
 *   emit     the plan as JSON on stdout, the table on stderr (render.c),
 *            nodes whose lock was lost meanwhile left out (hold.c)
 *   hold     with --hold, the nodes' locks kept until stdin ends (hold.c)
 * 'pytest-cloud init' is a command of its own (init.c).
 *
 * Exit status: main is the only place that picks it (exits.h).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libssh/libssh.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "claim.h"
#include "copylist.h"
#include "develop.h"
#include "exits.h"
#include "hold.h"
#include "init.h"
#include "inifile.h"
#include "msgs.h"
#include "probe.h"
#include "resolve.h"
#include "run.h"
#include "spawn.h"
#include "sshresolve.h"
#include "sync.h"
#include "template.h"
#include "version.h"

/* The open-file limit, the soft one raised to the hard one (run.h). */
static long fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		return 1024;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit raised = { rl.rlim_max, rl.rlim_max };

		if (raised.rlim_cur == RLIM_INFINITY ||
		    raised.rlim_cur > (1u << 20)) {
			raised.rlim_cur = 1u << 20;
		}
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
			rl = raised;
		}
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20)
		       ? 1L << 20
		       : (long)rl.rlim_cur;
}

/* fds 0-2 must be open, or a later open() would take their place. */
static void sanitise_stdfd(void)
{
	int fd = open("/dev/null", O_RDWR);

	while (fd >= 0 && fd <= 2) {
		fd = dup(fd);
	}
	if (fd > 2) {
		close(fd);
	}
}

/* The nodes' reports and the remote commands every node runs; 0 or an
 * exit status (said). */
static int setup_nodes(struct run *run)
{
	size_t i;
	char why[256];
	char *host = local_host();

	run->n = run->cfg.nodes.n;
	pthread_mutex_init(&run->hb_mu, NULL);
	pthread_mutex_init(&run->check_mu, NULL);
	run->nodes = calloc(run->n, sizeof(*run->nodes));
	run->conns = calloc(run->n, sizeof(*run->conns));
	run->locks = calloc(run->n, sizeof(*run->locks));
	run->marker = host ? claim_marker(run->cfg.rootdir, host) : NULL;
	free(host);
	if (run->marker != NULL && run_name(run) == 0) {
		probe_command(run);
	}
	run->prepare_command = develop_prepare_command(&run->cfg, 1, NULL);
	run->check_command = develop_prepare_command(&run->cfg, 0, NULL);
	if (run->nodes == NULL || run->conns == NULL || run->locks == NULL ||
	    run->probe_command == NULL || run->prepare_command == NULL ||
	    run->check_command == NULL) {
		errorf("out of memory");
		return EXIT_INTERNAL;
	}
	for (i = 0; i < run->n; i++) {
		run->nodes[i].name = run->cfg.nodes.v[i];
		run->nodes[i].shares_with = -1;
		run->nodes[i].ssh = (struct sshg)SSHG_INIT;
		/* checked when the option was read (config.c): this keeps
		 * its parts */
		if (nodename_parse(run->nodes[i].name, &run->nodes[i].addr, why,
				   sizeof(why)) < 0) {
			errorf("node '%s': %s", run->nodes[i].name, why);
			return EXIT_BAD_INPUT;
		}
	}
	return 0;
}

/* With --dry-run, every probed node is usable as it stands. */
static void finish_dry_run(struct run *run)
{
	size_t i;

	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].state == NODE_PROBED) {
			run->nodes[i].state = NODE_OK;
		}
	}
}

/* With --dry-run, what the copy would send and leave out, said and kept
 * for the JSON. */
static void list_copy(struct run *run)
{
	run->copy_listed = copy_list(&run->cfg, &run->copied, &run->left) == 0;
	if (run->copy_listed && !run->cfg.json_only && !run->cfg.quiet) {
		copy_say(&run->copied, &run->left);
	}
}

/* The plan on stdout, the table on stderr; EXIT_NO_NODES when no node
 * can run tests. */
static int emit(struct run *run)
{
	struct render_specs specs = RENDER_SPECS_INIT;
	char *json = NULL;
	char *table = NULL;
	int status = EXIT_INTERNAL;
	size_t i;

	if (render_specs(&run->cfg, run->nodes, run->n, &specs) < 0) {
		errorf("out of memory");
		goto out;
	}
	json = render_json(&run->cfg, run->nodes, run->n, &specs,
			   &run->seconds, run->copy_listed ? &run->copied : NULL,
			   run->copy_listed ? &run->left : NULL);
	if (json == NULL) {
		errorf("out of memory");
		goto out;
	}
	if (!run->cfg.json_only && !run->cfg.quiet) {
		table = render_table(run->nodes, run->n);
		if (table != NULL) {
			fputs(table, stderr);
		}
	}
	printf("%s\n", json);
	fflush(stdout);
	if (specs.tx.n == 0) {
		errorf("no node can run tests:");
		for (i = 0; i < run->n; i++) {
			errorf("node '%s': %s", run->nodes[i].name,
			       run->nodes[i].reason ? run->nodes[i].reason
						    : "not usable");
		}
		status = EXIT_NO_NODES;
	} else {
		infof("%zu test processes on %zu of %zu nodes", specs.tx.n,
		      run_count_state(run, NODE_OK), run->n);
		status = 0;
	}
out:
	free(table);
	free(json);
	render_specs_release(&specs);
	return status;
}

/* Steps between resolve and emit; an exit status. */
static int run_steps(struct run *run)
{
	int status = setup_nodes(run);

	if (status != 0) {
		return status;
	}
	if (run->cfg.print_probe) {
		printf("%s\n", run->probe_command);
		return 0;
	}
	status = probe_find_ssh(run);
	if (status != 0) {
		return status;
	}
	run->fd_limit = fd_limit();
	if (run->fd_limit - FD_RESERVE - (long)run->n < 1) {
		errorf("%zu nodes need more open files than the limit of %ld "
		       "allows (one per node, and some in flight): raise it "
		       "(ulimit -n)", run->n, run->fd_limit);
		return EXIT_INTERNAL;
	}
	if (spawn_registry_init(run->n + 4) < 0) {
		errorf("out of memory");
		return EXIT_INTERNAL;
	}
	hold_signals();
	sshresolve_init();
	ssh_init();
	run->started = 1;
	if (copy_decide(&run->cfg) < 0) {
		errorf("out of memory");
		return EXIT_INTERNAL;
	}
	if (strcmp(run->cfg.in_place, "no") != 0 && run_mark_project(run) < 0) {
		errorf("out of memory");
		return EXIT_INTERNAL;
	}
	probe_nodes(run);
	run_unmark_project(run);
	if (run->cfg.dry_run) {
		finish_dry_run(run);
		list_copy(run);
	} else if (sync_nodes(run) < 0) {
		return EXIT_INTERNAL;
	}
	return hold_plan_out(run, emit);
}

int main(int argc, char **argv)
{
	struct run run;
	int status;

	memset(&run, 0, sizeof(run));
	sanitise_stdfd();
	signal(SIGPIPE, SIG_IGN);
	inifile_setup();
	if (argc > 1 && strcmp(argv[1], "init") == 0) {
		return init_main(argc - 1, argv + 1, template_plugin,
				 PYTEST_CLOUD_VERSION);
	}
	switch (resolve(&run, argc, argv)) {
	case RESOLVE_RUN:
		break;
	case RESOLVE_SHOWN:
		run_release(&run);
		return 0;
	case RESOLVE_BAD_INPUT:
		run_release(&run);
		return EXIT_BAD_INPUT;
	case RESOLVE_INTERNAL:
		run_release(&run);
		return EXIT_INTERNAL;
	}
	if (run.cfg.quiet || run.cfg.json_only) {
		msgs_set_level(MSGS_QUIET);
	} else {
		run.live = isatty(STDERR_FILENO) && getenv("TERM") != NULL &&
			   strcmp(getenv("TERM"), "dumb") != 0;
	}
	status = run_steps(&run);
	if (status == 0 && run.started && run.cfg.hold && !run.cfg.dry_run) {
		hold();
	}
	hold_heartbeat_stop(&run);
	if (run.started) {
		run_release(&run); /* sessions closed before libssh ends */
		spawn_registry_release();
		ssh_finalize();
	} else {
		run_release(&run);
	}
	return status;
}
