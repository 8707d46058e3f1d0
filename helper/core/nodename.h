/*
 * nodename: parse and check a node name, [user@]host[:port].
 *
 * A node name reaches ssh, rsync and pytest-xdist's spec strings, so only
 * characters valid in a user or host name pass: letters, digits, '.', '-'
 * and '_' (user names and ssh_config aliases use '_'), and neither part may
 * start with '-' or '.'.  Pure: no I/O.
 */
#ifndef PYTEST_CLOUD_NODENAME_H
#define PYTEST_CLOUD_NODENAME_H

#include <stddef.h>

struct nodename {
	char *user; /* NULL when the name has no "user@" */
	char *host; /* never NULL after a successful parse */
	int port;   /* 0 when the name has no ":port" */
};

/*
 * Parses name into out (which the caller then releases with
 * nodename_release).  Returns 0, or -1 with a reason written to why
 * ("character ';' is not valid in a host name") and out left empty.
 */
int nodename_parse(const char *name, struct nodename *out, char *why,
		   size_t whylen);

/* Frees the fields of n and sets them to NULL. */
void nodename_release(struct nodename *n);

#endif
