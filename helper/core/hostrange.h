/*
 * hostrange: host ranges as cluster tools write them (pdsh, Slurm,
 * ClusterShell): "node[01-16,20]", "rack[1-2]-n[1-4]",
 * "user@gpu[1-3]:2222".  Pure: no I/O.
 *
 * A word is literal text and bracket groups.  A group is a comma-separated
 * list of numbers and ranges LO-HI (decimal, at most 9 digits, LO <= HI);
 * a number is written with the width of its range's LO as written, so
 * leading zeros stay ("[08-10]" gives 08 09 10, "[8-10]" 8 9 10).  A HI
 * written with leading zeros must have LO's width ("[1-010]" is refused:
 * its padding is ambiguous).  Several groups multiply, the first one
 * outermost ("r[1-2]n[1-2]": r1n1 r1n2 r2n1 r2n2), and each group keeps
 * the order it was written in.  Groups do not nest.
 */
#ifndef PYTEST_CLOUD_HOSTRANGE_H
#define PYTEST_CLOUD_HOSTRANGE_H

#include <stddef.h>

#include "strvec.h"

/* Most names one node list may hold, and one word may expand to. */
#define HOSTRANGE_MAX_HOSTS 100000

/* Longest word with a group (no node name is longer: user and host are
 * at most 253 characters each). */
#define HOSTRANGE_MAX_WORD 1024

/* 1 when word has a '[' or ']' (so it is a range, or malformed). */
int hostrange_has(const char *word);

/*
 * Appends the names word expands to, in order, to out (the word itself
 * when it has no group).  Returns 0, or -1 with one line in why and out
 * as it was: "'[' is never closed", "']' without '['", "'[' inside a
 * group (groups do not nest)", "empty group '[]'", "'a' in a group (only
 * digits, ',' and '-')", "range '5-1' is reversed", "number
 * '1234567890' is too wide (most 9 digits)", "range '1-010': the bounds
 * are padded to different widths", "expands to 200000 names (most
 * 100000)" (more than max), "longer than 1024 characters", "out of
 * memory".  max is at most HOSTRANGE_MAX_HOSTS.
 */
int hostrange_expand(const char *word, size_t max, struct strvec *out,
		     char *why, size_t whylen);

#endif
