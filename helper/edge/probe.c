/* probe: every node at once over SSH (see probe.h). */
#define _GNU_SOURCE
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "develop.h"
#include "exits.h"
#include "fanout.h"
#include "inplace.h"
#include "msgs.h"
#include "plan.h"
#include "probe_parse.h"
#include "shquote.h"
#include "spawn.h"
#include "sshresolve.h"
#include "venv.h"
#include "text.h"

/* The virtualenv's interpreter (venv.h), and the probe's part that asks
 * the nodes for theirs appended to *script.  Returns 0, or -1 when out of
 * memory. */
static int know_interpreter(struct run *run, char **script)
{
	char why[700];
	char *part = NULL;
	char *joined = NULL;
	int rc = venv_inspect(&run->cfg, &run->base, why, sizeof(why));

	if (rc < 0) {
		return -1;
	}
	if (rc > 0) {
		warnf("virtualenv '%s': %s: the nodes need its interpreter at "
		      "the same path", run->cfg.venv_rel, why);
		return 0;
	}
	run->have_base = 1;
	part = interp_probe_part(&run->base);
	if (part == NULL || asprintf(&joined, "%s; %s", *script, part) < 0) {
		free(part);
		return -1;
	}
	free(part);
	free(*script);
	*script = joined;
	return 0;
}

/* The probe's part that tells whether a node sees the project (inplace.h),
 * appended to *script; and the worker check such a node runs in it.
 * Returns 0, or -1 when out of memory. */
static int add_inplace_part(struct run *run, char **script)
{
	char *part = inplace_probe_part(run->cfg.rootdir, run->token);
	char *joined = NULL;
	struct cloud_config there = run->cfg; /* borrowed: not released */

	there.chdir = run->cfg.rootdir;
	there.worker_python = inplace_python(&run->cfg);
	if (there.worker_python != NULL) {
		run->inplace_check = develop_prepare_command(&there, 0, NULL);
	}
	free(there.worker_python);
	if (part == NULL || run->inplace_check == NULL ||
	    asprintf(&joined, "%s; %s", *script, part) < 0) {
		free(part);
		return -1;
	}
	free(part);
	free(*script);
	*script = joined;
	return 0;
}

void probe_command(struct run *run)
{
	char *script = probe_script(run->cfg.chdir, run->marker);

	if (script != NULL && strcmp(run->cfg.in_place, "no") != 0 &&
	    add_inplace_part(run, &script) < 0) {
		free(script);
		script = NULL;
	}
	if (script != NULL && run->cfg.venv_rel != NULL &&
	    know_interpreter(run, &script) < 0) {
		free(script);
		script = NULL;
	}
	run->probe_command = script ? shquote_sh_command(script) : NULL;
	free(script);
}

int probe_find_ssh(struct run *run)
{
	run->ssh_path = spawn_find_program("ssh");
	if (run->ssh_path != NULL) {
		return 0;
	}
	if (!run->cfg.dry_run) {
		errorf("ssh: OpenSSH's client is not on PATH: rsync copies "
		       "over it and the run reads the ssh config through "
		       "'ssh -G' (install the openssh-client package)");
		return EXIT_INTERNAL;
	}
	warnf("ssh: OpenSSH's client is not on PATH: libssh reads the ssh "
	      "config instead, which may differ from OpenSSH's reading "
	      "(fine for --dry-run; a run that copies needs ssh)");
	return 0;
}

/* Step 1: what OpenSSH makes of node i (ssh -G; sshresolve.h), then
 * its session there, or NULL with r left out. */
static struct sshconn *probe_connect(struct run *run, size_t i)
{
	struct node_report *r = &run->nodes[i];
	struct sshconn_target t;
	struct sshconn *c;
	char why[1024];

	r->state = NODE_CONNECTING;
	if (run->ssh_path != NULL &&
	    sshresolve_node(run->ssh_path, run->cfg.ssh_config, &r->addr,
			    run->cfg.connect_timeout, &r->ssh, why,
			    sizeof(why)) < 0) {
		report_exclude(r, "%s", why);
		return NULL;
	}
	sshresolve_after_queue(run->cfg.connect_timeout);
	t.addr = &r->addr;
	t.g = &r->ssh;
	t.ssh_config = run->cfg.ssh_config;
	t.connect_timeout = run->cfg.connect_timeout;
	t.keepalive = run->cfg.keepalive;
	t.dry_run = run->cfg.dry_run;
	t.host_key = &r->host_key; /* names its master (sshmux.h) */
	c = sshconn_open(&t, why, sizeof(why));
	if (c == NULL) {
		report_exclude(r, "%s", why);
	}
	return c;
}

/* Step 2: the probe script's output in o.  The connect timeout bounded
 * the set-up; a node that is connected and answering is not dead, only
 * loaded: its script is given up when the node stops answering for the
 * keepalive (sshconn_exec pings it while the script is silent), and at
 * most PROBE_CAP(cfg) seconds in all (README).  Returns 0, or -1 with r
 * left out. */
#define PROBE_CAP(cfg) ((cfg)->connect_timeout + (cfg)->keepalive)

static int probe_run(struct run *run, struct node_report *r,
		     struct sshconn *c, double start, struct sshconn_output *o)
{
	char why[1024];

	(void)start;
	if (sshconn_exec(c, run->probe_command, PROBE_CAP(&run->cfg), o, why,
			 sizeof(why)) < 0) {
		report_exclude(r, "probe: %s", why);
		return -1;
	}
	if (o->exit_status != 0) {
		char how[80];

		sshconn_describe_end(o, how, sizeof(how));
		text_last_line(o->err, why, sizeof(why));
		report_exclude(r, "probe failed (%s)%s%s", how,
			       why[0] ? ": " : "", why);
		return -1;
	}
	return 0;
}

static void note_limits(struct node_report *r, const struct probe_result *pr,
			const char *planwhy)
{
	char note[512];

	snprintf(note, sizeof(note), "%s%s%s%s%s",
		 pr->cgroup_cpu ? "CPUs limited by the cgroup's quota" : "",
		 pr->cgroup_cpu && pr->cgroup_mem ? "; " : "",
		 pr->cgroup_mem ? "memory limited by the cgroup" : "",
		 (pr->cgroup_cpu || pr->cgroup_mem) && planwhy[0] ? "; " : "",
		 planwhy);
	if (note[0] != '\0') {
		r->note = strdup(note);
	}
}

/* Which python the node's virtualenv will run on (interp.h); 0, or -1
 * with r left out, before anything is copied. */
static int probe_interpreter(const struct run *run, struct node_report *r,
			     const char *out)
{
	struct interp_node n;
	char why[1500];

	if (!run->have_base) {
		return 0;
	}
	interp_parse_probe(out, &n);
	if (interp_decide(&run->base, &n, strcmp(run->cfg.copy_python, "no") != 0,
			  &r->interp, why, sizeof(why)) < 0) {
		report_exclude(r, "%s", why);
		return -1;
	}
	return 0;
}

/* Step 3: what the output says, CHDIR checked, the processes planned.
 * Returns 0 when the node can take tests, else -1 with r left out. */
static int probe_take(struct run *run, struct node_report *r,
		      const char *out)
{
	struct probe_result pr;
	struct plan_limits lim;
	char why[1024];
	char planwhy[256];

	if (probe_parse(out, &pr, why, sizeof(why)) < 0) {
		report_exclude(r, "probe output not understood: %s", why);
		return -1;
	}
	r->have_cpus = 1;
	r->cpus = pr.cpus;
	r->have_mem = pr.have_mem;
	r->mem_available_mb = pr.mem_available_mb;
	if (probe_interpreter(run, r, out) < 0) {
		return -1;
	}
	if (inplace_seen(out)) {
		r->in_place = inplace_usable(&run->cfg, &r->interp, why,
					     sizeof(why));
		if (!r->in_place) {
			infof("node '%s': not in place: %s", r->name, why);
		}
	}
	if (!r->in_place && run_check_chdir(run, r, &pr.chdir) < 0) {
		return -1;
	}
	if (run->cfg.dry_run && !r->in_place) {
		run_say_replacing(r, &pr.chdir, "--dry-run: would replace");
	}
	lim.max_processes = run->cfg.max_processes;
	lim.mem_per_process = run->cfg.mem_per_process;
	r->alloc_cpus = nodelist_caps_get(&run->cfg.caps,
					  (size_t)(r - run->nodes));
	r->alloc_from = run->cfg.caps.from;
	lim.alloc_cpus = r->alloc_cpus;
	r->processes = plan_processes(pr.cpus, pr.mem_available_mb,
				      pr.have_mem, &lim, planwhy,
				      sizeof(planwhy));
	if (r->processes == 0) {
		report_exclude(r, "%s", planwhy);
		return -1;
	}
	r->state = NODE_PROBED;
	note_limits(r, &pr, planwhy);
	return 0;
}

/* Step 4: one line on stderr for the node. */
static void probe_log(const struct node_report *r)
{
	char python[700];

	if (r->state == NODE_EXCLUDED) {
		run_say_excluded(r);
		return;
	}
	interp_describe(&r->interp, python, sizeof(python));
	infof("node '%s': %ld CPU%s, %ld MiB available: %ld process%s%s%s%s",
	      r->name, r->cpus, r->cpus == 1 ? "" : "s", r->mem_available_mb,
	      r->processes, r->processes == 1 ? "" : "es",
	      python[0] ? "; " : "", python,
	      r->in_place ? "; in place: it sees the project at the same path"
			  : "");
}

/* Probes node i; keeps its session in run->conns[i] when it can take
 * tests. */
static void probe_job(size_t i, void *arg)
{
	struct run *run = arg;
	struct node_report *r = &run->nodes[i];
	struct sshconn_output o = { NULL, NULL, -1, "" };
	double start = clock_seconds();
	struct sshconn *c = probe_connect(run, i);

	if (c != NULL && probe_run(run, r, c, start, &o) == 0 &&
	    probe_take(run, r, o.out) == 0) {
		run->conns[i] = c;
		c = NULL;
	}
	free(o.out);
	free(o.err);
	sshconn_close(c);
	r->probe_seconds = clock_seconds() - start;
	probe_log(r);
}

/* Probes in flight: cloud_max_connections, within the open files. */
static size_t probe_concurrency(const struct run *run)
{
	long spare = run_fds_in_flight(run);
	long want = run->cfg.max_connections;

	return (size_t)(want < spare ? want : (spare > 0 ? spare : 1));
}

void probe_nodes(struct run *run)
{
	double start = clock_seconds();

	infof("probing %zu nodes (connect timeout %lds)", run->n,
	      run->cfg.connect_timeout);
	fanout_run(run->n, probe_concurrency(run), probe_job, run);
	run->seconds.probe = clock_seconds() - start;
}
