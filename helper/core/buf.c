/* buf: a growing string in memory (see buf.h). */
#define _GNU_SOURCE
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for n more bytes and the NUL. */
static int grow(struct buf *b, size_t n)
{
	size_t want = b->len + n + 1;
	char *p;

	if (b->oom) {
		return -1;
	}
	if (want <= b->cap) {
		return 0;
	}
	if (want < 2 * b->cap) {
		want = 2 * b->cap;
	}
	p = realloc(b->p, want);
	if (p == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = want;
	return 0;
}

void buf_add(struct buf *b, const char *s, size_t n)
{
	if (grow(b, n) < 0) {
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, (size_t)n) < 0) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *buf_take(struct buf *b)
{
	char *p = b->oom ? NULL : b->p ? b->p : strdup("");

	if (b->oom) {
		free(b->p);
	}
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = 0;
	return p;
}
