/* versions: releases and the contract between copy and helper (see
 * versions.h). */
#define _GNU_SOURCE
#include "versions.h"

#include <ctype.h>
#include <stdlib.h>

static int parse_version(const char *s, long v[3])
{
	int i;

	for (i = 0; i < 3; i++) {
		char *end;

		if (!isdigit((unsigned char)*s)) {
			return -1;
		}
		v[i] = strtol(s, &end, 10);
		s = end;
		if (i < 2 && *s++ != '.') {
			return -1;
		}
	}
	return *s == '\0' ? 0 : -1;
}

enum versions_contract versions_contract(const char *theirs, const char *ours)
{
	long a[3];
	long b[3];

	if (parse_version(theirs, a) < 0 || parse_version(ours, b) < 0) {
		return CONTRACT_BAD;
	}
	if (a[0] != b[0] || a[1] != b[1]) {
		return CONTRACT_OTHER;
	}
	return a[2] == b[2] ? CONTRACT_SAME : CONTRACT_PATCH;
}

int versions_cmp(const char *a, const char *b)
{
	long va[3];
	long vb[3];
	int bad_a = parse_version(a, va) < 0;
	int bad_b = parse_version(b, vb) < 0;
	int i;

	if (bad_a || bad_b) {
		return bad_a && bad_b ? 0 : bad_a ? -1 : 1;
	}
	for (i = 0; i < 3; i++) {
		if (va[i] != vb[i]) {
			return va[i] < vb[i] ? -1 : 1;
		}
	}
	return 0;
}
