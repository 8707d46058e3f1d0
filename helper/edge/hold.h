/*
 * hold: signals, the locks' heartbeat and --hold.
 *
 * Signals: until the plan is out, SIGINT, SIGTERM and SIGHUP stop the
 * run: every rsync child gets SIGTERM and the helper ends by the signal
 * (SSH sessions end with the process; rsync's ssh with rsync).  While it
 * holds the nodes' locks (--hold), SIGINT is pytest's to handle (it
 * closes our stdin when it is done) and SIGTERM or SIGHUP end the hold.
 *
 * Heartbeat: one thread, from the first claim to the end of the run
 * (through the copy, the steps after it and the tests), beats every
 * held lock every max(1, keepalive/3) seconds (claim.h: the node lets a
 * lock go when no beat came for twice the keepalive, and answers each).
 * A beat never waits for its node (sshconn_stream_heartbeat), so one
 * loop serves every node: a hung node cannot hold back a healthy one's
 * beat.  A lock that ended, or whose node has not answered for the
 * keepalive, makes its node lost, and with it every node that shares its
 * folder (a shared home): before the plan is out such nodes are left out
 * of it (hold_plan_out), after it one line each tells the conftest,
 * which stops their workers and moves their tests to the others:
 * "pytest-cloud: node 'NAME' lost: its lock on 'CHDIR' ended (WHY)".
 * run->locks is shared with the claims and the shared-home grouping:
 * every change to it is made holding run->hb_mu.
 */
#ifndef PYTEST_CLOUD_HOLD_H
#define PYTEST_CLOUD_HOLD_H

#include "run.h"

/* Installs the stop signals' handler. */
void hold_signals(void);

/* Starts the heartbeat thread.  Returns 0, or -1 (said) when it cannot
 * start. */
int hold_heartbeat_start(struct run *run);

/* Stops it (waits for the thread); nothing when it was not started. */
void hold_heartbeat_stop(struct run *run);

/* Sets run->locks[i] (NULL: closes the one held), holding hb_mu. */
void hold_set_lock(struct run *run, size_t i, struct sshconn_stream *st);

/*
 * Just before the plan goes out: leaves out every node whose lock was
 * lost so far (and the nodes that share its folder), lets go of the
 * locks of nodes that are out, then calls emit (which prints the plan)
 * and from then on says each lost node in a line.  Returns emit's.
 */
int hold_plan_out(struct run *run, int (*emit)(struct run *));

/* --hold: the plan is out (stdout closes, so the reader sees its end);
 * the locks stay held, and beaten, until stdin ends. */
void hold(void);

#endif
