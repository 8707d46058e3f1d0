/* path: lexical path arithmetic (see path.h). */
#define _GNU_SOURCE
#include "path.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Appends the components of path to the component stack in out. */
static int push_components(char *out, size_t outlen, const char *path)
{
	const char *p = path;
	size_t len = strlen(out);

	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* empty or "." component */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(out, '/');

			if (slash != NULL) {
				*slash = '\0';
				len = (size_t)(slash - out);
			}
		} else {
			if (len + 1 + n + 1 > outlen) {
				return -1;
			}
			out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
		p += n;
		p += strspn(p, "/");
	}
	return 0;
}

static int normalise(char *out, size_t outlen, const char *base,
		     const char *path)
{
	out[0] = '\0';
	if (path[0] != '/' && base != NULL &&
	    push_components(out, outlen, base) < 0) {
		return -1;
	}
	return push_components(out, outlen, path);
}

char *path_inside(const char *root, const char *base,
			 const char *path)
{
	char nroot[PATH_MAX];
	char npath[PATH_MAX];
	size_t rlen;

	if (normalise(nroot, sizeof(nroot), NULL, root) < 0 ||
	    normalise(npath, sizeof(npath), base, path) < 0) {
		return NULL;
	}
	rlen = strlen(nroot);
	if (strncmp(npath, nroot, rlen) != 0) {
		return NULL;
	}
	if (npath[rlen] == '\0') {
		return strdup(".");
	}
	if (npath[rlen] != '/') {
		return NULL;
	}
	return strdup(npath + rlen + 1);
}
