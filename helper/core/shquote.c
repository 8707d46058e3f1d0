/* shquote: single-quote a string for sh (see shquote.h). */
#define _GNU_SOURCE
#include "shquote.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

char *shquote(const char *s)
{
	size_t quotes = 0;
	const char *p;
	char *out;
	char *o;

	for (p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			quotes++;
		}
	}
	out = malloc(strlen(s) + quotes * 3 + 3);
	if (out == NULL) {
		return NULL;
	}
	o = out;
	*o++ = '\'';
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

char *shquote_sh_command(const char *script)
{
	char *q = shquote(script);
	char *command = NULL;

	if (q == NULL || asprintf(&command, "exec /bin/sh -c %s", q) < 0) {
		command = NULL;
	}
	free(q);
	return command;
}
