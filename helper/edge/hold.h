/*
 * hold: signals and --hold.  Until the plan is out, SIGINT, SIGTERM and
 * SIGHUP stop the run: every rsync child gets SIGTERM and the helper
 * ends by the signal (SSH sessions end with the process; rsync's ssh
 * with rsync).  While it holds the nodes' locks (--hold), SIGINT is
 * pytest's to handle (it closes our stdin when it is done) and SIGTERM
 * or SIGHUP end the hold.
 */
#ifndef PYTEST_CLOUD_HOLD_H
#define PYTEST_CLOUD_HOLD_H

#include "run.h"

/* Installs the stop signals' handler. */
void hold_signals(void);

/*
 * --hold: the plan is out (stdout closes, so the reader sees its end);
 * the nodes' locks stay held until stdin ends.  Every third of the
 * keepalive each lock gets its heartbeat, all at once (a thread a node,
 * so that silent nodes do not delay the others') (claim.h: from the first one on
 * the node lets the lock go when they stop for twice the keepalive) and
 * its node a ping; a lock that ended, or whose node did not answer within
 * the keepalive, makes the node lost, said in one line the conftest acts
 * on: "pytest-cloud: node 'NAME' lost: its lock on 'CHDIR' ended (WHY)".
 */
void hold(struct run *run);

#endif
