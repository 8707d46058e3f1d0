/*
 * nodelist: the one parser of node lists (cloud_nodes, PYTEST_CLOUD_NODES,
 * --cloud-node(s), pytest-cloud init --nodes).  A list is whitespace-
 * separated words, each one of:
 *
 *   [user@]host[:port]  a node (nodename.h)
 *   node[01-16,20]      a host range (hostrange.h), user and port allowed
 *   ^PATH               a host file: nodes and ranges, whitespace-
 *                       separated (one a line, usually); '#' starts a
 *                       comment; no '^' or '@' words inside
 *   @slurm              the nodes of the Slurm job pytest runs in, each
 *                       with its CPUs in the allocation (slurm.h)
 *
 * Every name is checked (nodename.h) and kept once, in the order first
 * seen; a list holds at most HOSTRANGE_MAX_HOSTS names.  Pure: host files
 * and the Slurm job are read through the functions of struct
 * nodelist_io, which the edge supplies (hostsrc.h).  Without them, '^'
 * and '@slurm' words are kept as typed (pytest-cloud init writes them
 * so; ranges are checked there and kept as typed too, by the caller).
 */
#ifndef PYTEST_CLOUD_NODELIST_H
#define PYTEST_CLOUD_NODELIST_H

#include <stddef.h>

#include "strvec.h"

struct nodelist_io {
	/* The whole file at path (absolute, or relative to the current
	 * folder), malloc'ed; or NULL with one line in why. */
	char *(*read_file)(const char *path, char *why, size_t whylen);
	/* `scontrol show hostnames LIST`'s output, malloc'ed; or NULL with
	 * one line in why (scontrol missing: what to install). */
	char *(*slurm_hostnames)(const char *list, char *why, size_t whylen);
	/* The environment (Slurm's variables). */
	const char *(*getenv)(const char *name);
};

/* CPUs in an allocation, per node of a list. */
struct nodelist_caps {
	long *cpus;  /* per name of the list, 0 for none; NULL while no
		      * name has one */
	size_t n;    /* entries of cpus (the list's length when cpus is
		      * not NULL) */
	char *from;  /* where they came from ("SLURM_JOB_CPUS_PER_NODE"),
		      * or NULL */
	char *job;   /* the Slurm job's id, or NULL */
	int slurm;   /* 1 when @slurm named nodes */
};

#define NODELIST_CAPS_INIT { NULL, 0, NULL, NULL, 0 }

/*
 * Adds the words of value to nodes (and, for @slurm, the CPUs to caps,
 * which may be NULL when io is).  origin names the source for messages
 * ("pytest.ini:3: cloud_nodes"); a relative ^PATH is taken against base
 * when base is not NULL, else as given (relative to the current folder).
 * Returns 0, or -1 with one line in err ("ORIGIN: node 'n[5-1]': range
 * '5-1' is reversed"; "ORIGIN: ^hosts: hosts:4: node 'a;b': ..."); nodes
 * and caps may then hold part of value.
 */
int nodelist_add(struct strvec *nodes, struct nodelist_caps *caps,
		 const char *value, const char *origin, const char *base,
		 const struct nodelist_io *io, char *err, size_t errlen);

/* The CPUs of name i in the allocation, 0 when it has none. */
long nodelist_caps_get(const struct nodelist_caps *caps, size_t i);

/* Frees what caps holds (it is empty again). */
void nodelist_caps_release(struct nodelist_caps *caps);

/*
 * value with each relative ^PATH made ^BASEDIR/PATH (an ini file's host
 * files are relative to its folder), other words as they are, one a
 * line; malloc'ed, NULL when out of memory.  basedir NULL: value's words
 * as they are.
 */
char *nodelist_absolute_files(const char *value, const char *basedir);

#endif
