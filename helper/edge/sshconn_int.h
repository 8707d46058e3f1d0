/*
 * sshconn_int: what the files of one libssh session share (sshconn.c,
 * sshexec.c, sshstream.c); not for other modules, which see sshconn.h.
 */
#ifndef PYTEST_CLOUD_SSHCONN_INT_H
#define PYTEST_CLOUD_SSHCONN_INT_H

#include <libssh/libssh.h>
#include <stddef.h>

struct sshconn {
	ssh_session session;
	long keepalive; /* seconds of silence before the node is given up */
};

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
