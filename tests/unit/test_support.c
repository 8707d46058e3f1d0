/* What more than one suite needs: a script run by a real sh in a scratch
 * home. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "spawn.h"
#include "suites.h"

char *unit_sh(const char *scratch, const char *bin, const char *script,
	      int *code)
{
	char *sh = spawn_find_program("sh");
	char *path = NULL;
	char *full = NULL;
	char *argv[] = { "sh", "-c", NULL, NULL };
	struct spawn_result res;
	char why[128];
	char *out = NULL;

	if (bin != NULL && asprintf(&path, "PATH=%s:/usr/bin:/bin; ", bin) < 0) {
		path = NULL;
		goto out;
	}
	if (sh == NULL ||
	    asprintf(&full, "HOME=%s/home; export HOME; %scd /; %s", scratch,
		     path ? path : "", script) < 0) {
		full = NULL;
		goto out;
	}
	argv[2] = full;
	if (spawn_run(sh, argv, &res, why, sizeof(why)) == 0) {
		*code = res.exited ? res.code : -1;
		out = res.output;
		res.output = NULL;
		spawn_result_release(&res);
	}
out:
	free(full);
	free(path);
	free(sh);
	return out;
}
