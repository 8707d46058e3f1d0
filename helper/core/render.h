/*
 * render: the run's output, built from the config and the node reports.
 * Pure: builds strings, prints nothing.
 *
 * One SSH connection per node: each usable node gets one execnet proxy
 * gateway (px), and each of its test processes a pytest-xdist worker that
 * the proxy starts on the node (tx), as xdist's own --px/--tx do:
 *
 *   px  ssh=OPTIONS NODE//id=ID//chdir=CHDIR//python=PYTHON
 *       //execmodel=thread[//ssh_config=F]
 *
 * OPTIONS are the run's (sshopts.h), the node's place pinned (sshg_pin)
 * and, when it has one of ours, its master's (sshmux_client_opts).  A
 * node with a master of ours, when the mux client is beside the helper
 * (node_report.mux_client), gets instead
 *
 *   px  popen//id=ID//chdir=CHDIR//python=MUX --quote SOCKET ssh OPTIONS
 *       [-F F] [-p PORT] DEST PYTHON//execmodel=thread
 *
 * so that its gateway's session goes through the master without starting
 * ssh (muxmain.c); execnet splits python= as the shell would (words are
 * quoted where they need it) and appends the python's arguments.
 *   tx  popen//id=ID_I//via=ID//python=WORKER_PYTHON     (I = 0, 1, ...)
 *
 * NODE is the node as given ("user@host -p PORT" when it names a port:
 * ssh does not read "host:port", execnet splits the value into ssh's
 * arguments, and "//" of an ssh:// URL would end the spec field).  ID is
 * the host, made unique with "-INDEX" when an earlier node has the same
 * host.  PYTHON is CHDIR/VENV/bin/python (or cloud_python); the proxy runs
 * from CHDIR, so WORKER_PYTHON is VENV/bin/python (or cloud_python).  The
 * proxy's execmodel is "thread" so that it serves all its workers at once.
 */
#ifndef PYTEST_CLOUD_RENDER_H
#define PYTEST_CLOUD_RENDER_H

#include <stddef.h>

#include "config.h"
#include "report.h"
#include "strvec.h"

struct copyset_list;

struct render_specs {
	struct strvec px; /* one proxy gateway per usable node */
	struct strvec tx; /* one worker per test process */
};

#define RENDER_SPECS_INIT { STRVEC_INIT, STRVEC_INIT }

/* Appends the specs of every NODE_OK node to out.  Returns 0 or -1 (out
 * of memory). */
int render_specs(const struct cloud_config *cfg,
		 const struct node_report *nodes, size_t n,
		 struct render_specs *out);

/* Frees both lists. */
void render_specs_release(struct render_specs *s);

/* The gateway id of nodes[i] (see above) in buf. */
void render_gateway_id(const struct node_report *nodes, size_t i, char *buf,
		       size_t len);

/* Wall-clock seconds of the run's phases (0 for a phase not run). */
struct run_timings {
	double probe;
	double sync;
	double prepare;
};

/* Returns the JSON document (caller frees with free()), or NULL when out
 * of memory.  Keys: tx, px, nodes[] (with "gateway" for usable ones),
 * rootdir, inifile, chdir, python, connect_timeout, keepalive, dry_run,
 * seconds {probe, sync, prepare}; t may be NULL; with copied (a dry
 * run's listing, else NULL) "copy": {"files", "bytes", "entries": [{name,
 * dir, files, bytes}], "left_out": [{name, files, bytes, why}]}. */
char *render_json(const struct cloud_config *cfg,
		  const struct node_report *nodes, size_t n,
		  const struct render_specs *specs,
		  const struct run_timings *t,
		  const struct copyset_list *copied,
		  const struct copyset_list *left);

/* Returns the human table (caller frees), or NULL when out of memory:
 * one line per node with status or reason, CPUs, memory, processes. */
char *render_table(const struct node_report *nodes, size_t n);

#endif
