/*
 * sshconn_int: what the files of one libssh session share (sshconn.c,
 * sshexec.c, sshstream.c); not for other modules, which see sshconn.h.
 */
#ifndef PYTEST_CLOUD_SSHCONN_INT_H
#define PYTEST_CLOUD_SSHCONN_INT_H

#include <libssh/libssh.h>
#include <pthread.h>
#include <stddef.h>

/*
 * A session is used by more than one thread once a lock is held on it: a
 * step's thread (a command) and the heartbeat's (hold.h).  libssh's
 * sessions are not thread-safe, so every libssh call on one is made
 * holding mu; a thread that waits for the node lets it go meanwhile
 * (sshconn_wait_input), so that the other gets its turn.
 */
struct sshconn {
	ssh_session session;
	long keepalive; /* seconds of silence before the node is given up */
	pthread_mutex_t mu;
	double last_alive; /* when the heartbeat last heard the node (its
			    * lock's reply; 0: no heartbeat): a step's own
			    * pings are not needed while this is recent */
};

/* Takes and lets go of the session (mu). */
void sshconn_lock(struct sshconn *c);
void sshconn_unlock(struct sshconn *c);

/* Takes the session if no other thread has it: 1, else 0. */
int sshconn_trylock(struct sshconn *c);

/* With the session taken: lets it go while waiting up to ms for input on
 * its socket, then takes it again. */
void sshconn_wait_input(struct sshconn *c, int ms);

/* When the node was last heard from, by a step (last_rx) or by the
 * heartbeat, whichever is later; with the session taken. */
double sshconn_heard(const struct sshconn *c, double last_rx);

/*
 * Sets the session's bound for the blocking libssh request that follows
 * (a live sshd answers one at once): what is left until deadline, and no
 * more than the keepalive; at least 1 s.  Returns the bound.
 */
long sshconn_bound(struct sshconn *c, double deadline);

/* A request's failure in why: "STEP: the node did not answer for Ns"
 * when it used up its bound (it began at start), else "STEP: libssh's
 * error". */
void sshconn_step_failed(ssh_session s, const char *step, double start,
			 long bound, char *why, size_t whylen);

/*
 * Asks the node for a reply (OpenSSH's "keepalive@openssh.com" global
 * request, which sshd answers even while the command is silent); 1 when
 * it answered within timeout_s.
 */
int sshconn_answers(ssh_session s, long timeout_s);

/* The pause between pings and the time a ping may wait: together no more
 * than the keepalive (as ssh's ServerAliveInterval and CountMax). */
void sshconn_ping_plan(const struct sshconn *c, double *every, long *wait);

#endif
