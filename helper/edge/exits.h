/*
 * exits: the helper's exit statuses.  main is the only place that picks
 * one; the man page is generated from this list.
 */
#ifndef PYTEST_CLOUD_EXITS_H
#define PYTEST_CLOUD_EXITS_H

#define EXIT_NO_NODES 1
#define EXIT_BAD_INPUT 2
#define EXIT_INTERNAL 3

/* X(status, meaning) for each status, in order. */
#define PYTEST_CLOUD_EXITS(X)                                                  \
	X(0, "a plan with at least one test process came out (with "           \
	     "--dry-run: the plan was printed); init: done, or nothing to "     \
	     "change")                                                          \
	X(EXIT_NO_NODES, "no node can run tests; each node's reason is on "    \
			 "stderr and in the JSON")                              \
	X(EXIT_BAD_INPUT, "bad input (options, config file, environment), a "  \
			  "project's copy of the plugin of another contract, " \
			  "or init refused; nothing was written to any node "  \
			  "or file")                                           \
	X(EXIT_INTERNAL, "internal failure (out of memory, rsync missing, "    \
			 "too few open files)")

#endif
