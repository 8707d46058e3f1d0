/*
 * edits: new text from old by insertions, the only way pytest-cloud init
 * changes a user's file (it adds, it never rewrites), and the small
 * things its editors share.  Pure.
 */
#ifndef PYTEST_CLOUD_EDITS_H
#define PYTEST_CLOUD_EDITS_H

#include <stddef.h>

struct edits_insert {
	size_t at;       /* offset in the original text */
	const char *ins; /* what goes there */
};

/* text with each insertion made (in any order; offsets of the
 * original; e is sorted in place).  Newly allocated; NULL when out of
 * memory. */
char *edits_apply(const char *text, struct edits_insert *e, size_t ne);

/* The text's newline: "\r\n" when its first line ends so, else "\n". */
const char *edits_newline(const char *text);

/* The line number (from 1) of offset at. */
size_t edits_line(const char *text, size_t at);

/* snprintf into why (a reason for a refusal). */
void edits_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
