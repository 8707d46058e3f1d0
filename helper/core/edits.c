/* edits: new text from old, by insertions (see edits.h). */
#define _GNU_SOURCE
#include "edits.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* text with each edit's text inserted at its offset (edits in any
 * order, offsets of the original). */
char *edits_apply(const char *text, struct edits_insert *e, size_t ne)
{
	size_t n = strlen(text);
	size_t total = n;
	size_t i;
	size_t done = 0;
	char *out;
	char *w;

	for (i = 0; i < ne; i++) {
		total += strlen(e[i].ins);
	}
	/* sort by offset, stable (few edits) */
	for (i = 1; i < ne; i++) {
		size_t j = i;

		while (j > 0 && e[j - 1].at > e[j].at) {
			struct edits_insert t = e[j - 1];

			e[j - 1] = e[j];
			e[j] = t;
			j--;
		}
	}
	out = malloc(total + 1);
	if (out == NULL) {
		return NULL;
	}
	w = out;
	for (i = 0; i < ne; i++) {
		memcpy(w, text + done, e[i].at - done);
		w += e[i].at - done;
		done = e[i].at;
		w = stpcpy(w, e[i].ins);
	}
	memcpy(w, text + done, n - done);
	w[n - done] = '\0';
	return out;
}

const char *edits_newline(const char *text)
{
	const char *nl = strchr(text, '\n');

	return nl != NULL && nl > text && nl[-1] == '\r' ? "\r\n" : "\n";
}

void edits_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

size_t edits_line(const char *text, size_t at)
{
	size_t line = 1;
	size_t i;

	for (i = 0; i < at; i++) {
		line += text[i] == '\n';
	}
	return line;
}
