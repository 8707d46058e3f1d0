/* udiff: a unified diff of one change (see udiff.h). */
#define _GNU_SOURCE
#include "udiff.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Offsets of the starts of text's lines, plus one past the end. */
static size_t *line_starts(const char *text, size_t *lines)
{
	size_t n = strlen(text);
	size_t i;
	size_t k = 0;
	size_t *v;

	*lines = 0;
	for (i = 0; i < n; i++) {
		*lines += text[i] == '\n';
	}
	if (n > 0 && text[n - 1] != '\n') {
		(*lines)++;
	}
	v = malloc((*lines + 1) * sizeof(*v));
	if (v == NULL) {
		return NULL;
	}
	v[k++] = 0;
	for (i = 0; i < n && k < *lines; i++) {
		if (text[i] == '\n') {
			v[k++] = i + 1;
		}
	}
	v[*lines] = n;
	return v;
}

static int same_line(const char *a, const size_t *la, size_t i,
		     const char *b, const size_t *lb, size_t j)
{
	size_t na = la[i + 1] - la[i];

	return na == lb[j + 1] - lb[j] && memcmp(a + la[i], b + lb[j], na) == 0;
}

static void put_lines(struct buf *f, char mark, const char *t,
		      const size_t *ls, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++) {
		size_t len = ls[i + 1] - ls[i];

		buf_add(f, &mark, 1);
		buf_add(f, t + ls[i], len);
		if (len == 0 || t[ls[i] + len - 1] != '\n') {
			buf_printf(f, "\n\\ No newline at end of file\n");
		}
	}
}

char *udiff_make(const char *old, const char *new_text, const char *name)
{
	size_t na;
	size_t nb;
	size_t *la = line_starts(old, &na);
	size_t *lb = line_starts(new_text, &nb);
	size_t pre = 0;
	size_t suf = 0;
	size_t c0;
	size_t a1;
	size_t b1;
	struct buf f = BUF_INIT;

	if (la == NULL || lb == NULL) {
		free(la);
		free(lb);
		return NULL;
	}
	while (pre < na && pre < nb && same_line(old, la, pre, new_text, lb, pre)) {
		pre++;
	}
	while (suf < na - pre && suf < nb - pre &&
	       same_line(old, la, na - 1 - suf, new_text, lb, nb - 1 - suf)) {
		suf++;
	}
	if (pre < na || pre < nb) {
		c0 = pre > 3 ? pre - 3 : 0;
		a1 = na - suf + (suf > 3 ? 3 : suf);
		b1 = nb - suf + (suf > 3 ? 3 : suf);
		buf_printf(&f, "--- a/%s\n+++ b/%s\n@@ -%zu,%zu +%zu,%zu @@\n",
			name, name, a1 > c0 ? c0 + 1 : c0, a1 - c0,
			b1 > c0 ? c0 + 1 : c0, b1 - c0);
		put_lines(&f, ' ', old, la, c0, pre);
		put_lines(&f, '-', old, la, pre, na - suf);
		put_lines(&f, '+', new_text, lb, pre, nb - suf);
		put_lines(&f, ' ', old, la, na - suf, a1);
	}
	free(la);
	free(lb);
	return buf_take(&f);
}
