/* strvec: growable vector of owned strings (see strvec.h). */
#define _GNU_SOURCE
#include "strvec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strvec_init(struct strvec *sv)
{
	sv->v = NULL;
	sv->n = 0;
	sv->alloc = 0;
}

static int strvec_take(struct strvec *sv, char *owned)
{
	if (sv->n + 2 > sv->alloc) {
		size_t want = sv->alloc ? sv->alloc * 2 : 8;
		char **grown = realloc(sv->v, want * sizeof(*grown));

		if (grown == NULL) {
			free(owned);
			return -1;
		}
		sv->v = grown;
		sv->alloc = want;
	}
	sv->v[sv->n++] = owned;
	sv->v[sv->n] = NULL;
	return 0;
}

int strvec_push(struct strvec *sv, const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL) {
		return -1;
	}
	return strvec_take(sv, copy);
}

int strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		return -1;
	}
	return strvec_take(sv, s);
}

int strvec_contains(const struct strvec *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->n; i++) {
		if (strcmp(sv->v[i], s) == 0) {
			return 1;
		}
	}
	return 0;
}

void strvec_clear(struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++) {
		free(sv->v[i]);
		sv->v[i] = NULL;
	}
	free(sv->v);
	strvec_init(sv);
}
