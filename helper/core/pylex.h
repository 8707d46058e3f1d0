/*
 * pylex: Python source, read as far as pytest-cloud init needs: where the
 * top-level statements are, which names they define, where strings and
 * brackets end.  It works on a mask of the source (pylex_mask): code as
 * it is, comments as spaces, string contents as 'x' (quotes kept) and
 * newlines inside strings as '\1', so that brackets, names and statement
 * ends can be found in it with plain searches.  Offsets into the mask are
 * offsets into the source.  Pure.
 */
#ifndef PYTEST_CLOUD_PYLEX_H
#define PYTEST_CLOUD_PYLEX_H

#include <stddef.h>

/* The mask of text (n bytes), newly allocated; NULL when out of memory. */
char *pylex_mask(const char *text, size_t n);

/* One logical statement (its continuation lines and brackets joined). */
struct pylex_stmt {
	size_t line;  /* offset of its first line's start */
	size_t start; /* offset of its first character */
	size_t end;   /* offset of the newline that ends it, or n */
};

/* The logical statements of mask m (n bytes); *count receives how many.
 * Returns them (malloc'ed), or NULL (with *count 0) when there are none
 * or memory ran out; *oom tells the two apart. */
struct pylex_stmt *pylex_statements(const char *m, size_t n, size_t *count,
				    int *oom);

/* Whether c may be part of a name. */
int pylex_is_ident(char c);

/* Whether the masked statement at s (up to end) begins with word as a
 * whole name. */
int pylex_starts_word(const char *m, size_t s, size_t end, const char *word);

/* The offset of the quote after a string prefix (r, u, b, f, pairs) at
 * s, or s when no string starts there. */
size_t pylex_string_prefix(const char *m, size_t s, size_t end);

/* One past the end of the string literal whose quote is at q. */
size_t pylex_string_end(const char *m, size_t q, size_t end);

/* One past the last non-space before 'before' (from at the least). */
size_t pylex_last_nonspace(const char *m, size_t from, size_t before);

/* The name a top-level "def NAME" or "class NAME" statement defines
 * (its length in *len), or NULL. */
const char *pylex_defined_name(const char *m, const struct pylex_stmt *st,
			       size_t *len);

/* Whether mask m (statements v) defines name (len bytes) at the top
 * level. */
int pylex_defines(const char *m, const struct pylex_stmt *v, size_t count,
		  const char *name, size_t len);

#endif
