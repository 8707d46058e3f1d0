/*
 * buf: a growing string in memory, for text built piece by piece (a
 * diff, a table, a list of paths).  Pure: no I/O.  A failed allocation
 * is remembered; buf_take then returns NULL.
 */
#ifndef PYTEST_CLOUD_BUF_H
#define PYTEST_CLOUD_BUF_H

#include <stddef.h>

struct buf {
	char *p;    /* NUL-terminated once anything was added */
	size_t len; /* bytes in p, without the NUL */
	size_t cap;
	int oom;    /* an allocation failed */
};

#define BUF_INIT { NULL, 0, 0, 0 }

/* Appends n bytes of s. */
void buf_add(struct buf *b, const char *s, size_t n);

/* Appends the text of a printf format. */
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The text (malloc'ed, "" when nothing was added; the caller frees it),
 * or NULL when an allocation failed; b is empty again either way. */
char *buf_take(struct buf *b);

#endif
