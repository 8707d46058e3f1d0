/*
 * versions: pytest-cloud releases ("N.N.N") and the contract between a
 * project's copy of the plugin and the helper: the release's major.minor
 * (JSON fields, option names, spec form).  Another major.minor stops the
 * run; another patch level only warns.  Pure.
 */
#ifndef PYTEST_CLOUD_VERSIONS_H
#define PYTEST_CLOUD_VERSIONS_H

enum versions_contract {
	CONTRACT_SAME,  /* same version */
	CONTRACT_PATCH, /* same major.minor, another patch level: warn */
	CONTRACT_OTHER, /* another major.minor: stop */
	CONTRACT_BAD    /* not a version (N.N.N) */
};

/* How a copy's version relates to the helper's (both "N.N.N"). */
enum versions_contract versions_contract(const char *theirs, const char *ours);

/* -1, 0 or 1 as version a sorts before, with or after b ("N.N.N"; a bad
 * version sorts first). */
int versions_cmp(const char *a, const char *b);

#endif
