/*
 * sshmaster: the nodes' OpenSSH master connections, kept up (sshmux.h
 * has the model: what a master is started with, how it is named).  Edge:
 * the folder, a lock per name, the control socket, ssh.
 *
 * Steps for each probed node, on a thread of their own beside the claims
 * (sshmaster_begin), at most cloud_max_connections at once, and 8 per CPU
 * of this machine (a handshake is mostly the client's CPU: more at once
 * only brings each nearer its connect timeout), within the open files;
 * sshmaster_end waits for them before the copy:
 *   1. a node whose ssh config has a ControlPath is the user's to
 *      multiplex: nothing is done (SSHMUX_YOURS);
 *   2. its master's name; NAME.lock taken, so that one run at a time
 *      checks or starts the master of a name (bounded: twice the connect
 *      timeout);
 *   3. the socket answers the alive check (the control protocol's hello
 *      and MUX_C_ALIVE_CHECK, within the connect timeout): reused;
 *   4. else the socket is removed (a master that died, or hangs), the
 *      master's known_hosts written (the key the probe judged), and ssh
 *      started, which forks into the background once it is connected,
 *      has checked that key and logged in (bounded by the connect
 *      timeout); then checked as in 3: started;
 *   5. that control connection stays open while the helper runs: a
 *      master counts it as a client, so it stays up between the copy and
 *      the gateways (the steps after the copy, the bring-up), and its
 *      cloud_ssh_persist seconds start when the helper ends: when pytest
 *      does (--hold), or when the helper is stopped in any way.
 * A master that cannot be had leaves its node as before, each later ssh
 * connecting by itself, and says why in one warning.  A dry run starts
 * none.  The folder is made 0700; one that is not this user's own, or
 * cannot be made, turns the masters off for the run, with a warning.
 */
#ifndef PYTEST_CLOUD_SSHMASTER_H
#define PYTEST_CLOUD_SSHMASTER_H

#include "run.h"

/* Starts the steps above for every NODE_PROBED node (a snapshot: the
 * claims that run meanwhile change no field they read).  Nothing for a
 * dry run or without OpenSSH. */
void sshmaster_begin(struct run *run);

/* Waits for them; says how many masters were started, reused and left
 * to the user's config. */
void sshmaster_end(struct run *run);

/* Control connections held now (run_fds_in_flight counts them). */
long sshmaster_held(const struct run *run);

/* Closes node i's control connection, if held (a node left out: its
 * master's cloud_ssh_persist seconds start now). */
void sshmaster_let_go(struct run *run, size_t i);

/* Closes the control connections (the masters' persist time starts) and
 * frees; safe when nothing was begun. */
void sshmaster_release(struct run *run);

#endif
