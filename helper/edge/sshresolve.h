/*
 * sshresolve: what OpenSSH makes of a node, asked of OpenSSH itself
 * ("ssh -G", no connection made; sshg.h reads the answer).  Edge.
 *
 * One ssh -G per node, run by the node's probe job before it connects
 * (its connect waits until the ssh -G that asked before it are running:
 * sshresolve_after_queue), at most two per CPU at once: each is a short
 * burst of CPU (loading OpenSSH's libraries, reading the config), and
 * hundreds at once only fight for the cores.  Bounded by the connect
 * timeout: a config's "Match exec" runs a command of the user's, which
 * may hang.  Its environment is the helper's, so ${VAR} in the config
 * and Match exec see what ssh would see.
 */
#ifndef PYTEST_CLOUD_SSHRESOLVE_H
#define PYTEST_CLOUD_SSHRESOLVE_H

#include <stddef.h>

#include "nodename.h"
#include "sshg.h"

/* Sets how many ssh -G may run at once (two per online CPU); before any
 * thread starts. */
void sshresolve_init(void);

/*
 * Fills g (made with SSHG_INIT) with what "SSH -G [-F ssh_config] [-l
 * user] [-p port] -- host" says of addr, checked with sshg_check.  ssh is
 * the OpenSSH client's path.  Returns 0, or -1 with why ("ssh config:
 * ...": ssh's own error line, a bound that passed, output not
 * understood, a value that cannot be passed on).
 */
int sshresolve_node(const char *ssh, const char *ssh_config,
		    const struct nodename *addr, long timeout_s,
		    struct sshg *g, char *why, size_t whylen);

/*
 * Returns once every ssh -G that had asked for its slot by now has it,
 * or after timeout_s seconds.  A probe job calls it between its node's
 * ssh -G and its connect, so that the nodes' ssh -G, which need only
 * this machine's CPU, start before the handshakes take it: a node that
 * will not answer starts its connect timeout early instead of behind
 * every other node's handshake.  It waits for no connection, and not for
 * an ssh -G that asks after this call; the bound is for the ssh -G of a
 * config's Match exec that hang, each holding a slot for its own bound.
 */
void sshresolve_after_queue(long timeout_s);

#endif
