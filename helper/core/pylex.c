/* pylex: Python source read as far as init needs (see pylex.h). */
#define _GNU_SOURCE
#include "pylex.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/*
 * A mask of Python source: code as it is, comments as spaces, string
 * contents as 'x' (quotes kept) and newlines inside strings as '\1', so
 * that brackets, names and statement ends can be found in the mask.
 */
char *pylex_mask(const char *text, size_t n)
{
	char *m = malloc(n + 1);
	size_t i = 0;

	if (m == NULL) {
		return NULL;
	}
	while (i < n) {
		char c = text[i];

		if (c == '#') {
			while (i < n && text[i] != '\n') {
				m[i++] = ' ';
			}
		} else if (c == '"' || c == '\'') {
			int triple = i + 2 < n && text[i + 1] == c &&
				     text[i + 2] == c;
			size_t q = triple ? 3 : 1;

			memset(m + i, c, q);
			i += q;
			while (i < n) {
				if (text[i] == '\\' && i + 1 < n) {
					m[i] = 'x';
					m[i + 1] = text[i + 1] == '\n' ? '\1'
								       : 'x';
					i += 2;
				} else if (text[i] == c &&
					   (!triple ||
					    (i + 2 < n && text[i + 1] == c &&
					     text[i + 2] == c))) {
					memset(m + i, c, q);
					i += q;
					break;
				} else if (text[i] == '\n' && !triple) {
					break; /* unterminated: ends here */
				} else {
					m[i] = text[i] == '\n' ? '\1' : 'x';
					i++;
				}
			}
		} else {
			m[i++] = c;
		}
	}
	m[n] = '\0';
	return m;
}

/* The logical statements of masked source; *count receives how many.
 * Returns NULL (with *count 0) when there are none or memory ran out;
 * *oom tells the two apart. */
struct pylex_stmt *pylex_statements(const char *m, size_t n, size_t *count,
				     int *oom)
{
	struct pylex_stmt *v = NULL;
	size_t alloc = 0;
	size_t pos = 0;

	*count = 0;
	*oom = 0;
	while (pos < n) {
		size_t start = pos;
		size_t j;
		int depth = 0;

		while (start < n && strchr(" \t\r\f", m[start]) != NULL) {
			start++;
		}
		if (start >= n || m[start] == '\n') {
			pos = start + 1;
			continue;
		}
		for (j = start; j < n; j++) {
			if (strchr("([{", m[j]) != NULL) {
				depth++;
			} else if (strchr(")]}", m[j]) != NULL) {
				depth -= depth > 0;
			} else if (m[j] == '\\' && j + 1 < n &&
				   (m[j + 1] == '\n' ||
				    (m[j + 1] == '\r' && j + 2 < n &&
				     m[j + 2] == '\n'))) {
				j += m[j + 1] == '\r' ? 2 : 1;
			} else if (m[j] == '\n' && depth == 0) {
				break;
			}
		}
		if (*count == alloc) {
			struct pylex_stmt *grown;

			alloc = alloc ? alloc * 2 : 32;
			grown = realloc(v, alloc * sizeof(*v));
			if (grown == NULL) {
				free(v);
				*count = 0;
				*oom = 1;
				return NULL;
			}
			v = grown;
		}
		v[*count].line = pos;
		v[*count].start = start;
		v[*count].end = j;
		(*count)++;
		pos = j + 1;
	}
	return v;
}

int pylex_is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Whether the masked statement at s begins with word as a whole name. */
int pylex_starts_word(const char *m, size_t s, size_t end,
			    const char *word)
{
	size_t len = strlen(word);

	return s + len <= end && strncmp(m + s, word, len) == 0 &&
	       (s + len == end || !pylex_is_ident(m[s + len]));
}

/* Skips a string prefix (r, u, b, f and pairs) before a quote. */
size_t pylex_string_prefix(const char *m, size_t s, size_t end)
{
	size_t k = s;

	while (k < end && k < s + 2 && strchr("rRuUbBfF", m[k]) != NULL) {
		k++;
	}
	return k < end && (m[k] == '"' || m[k] == '\'') ? k : s;
}

/* The end (one past) of the string literal whose quote is at q, in the
 * mask. */
size_t pylex_string_end(const char *m, size_t q, size_t end)
{
	char c = m[q];
	int triple = q + 2 < end && m[q + 1] == c && m[q + 2] == c;
	size_t k = q + (triple ? 3 : 1);

	while (k < end && m[k] != c) {
		k++;
	}
	return k + (triple ? 3 : 1) <= end ? k + (triple ? 3 : 1) : end;
}

size_t pylex_last_nonspace(const char *m, size_t from, size_t before)
{
	size_t k = before;

	while (k > from && strchr(" \t\r\n\f", m[k - 1]) != NULL) {
		k--;
	}
	return k; /* one past the last non-space, or from */
}

/* The name a top-level "def NAME" or "class NAME" statement defines
 * (its length in *len), or NULL. */
const char *pylex_defined_name(const char *m, const struct pylex_stmt *st,
				size_t *len)
{
	size_t s = st->start;
	size_t k;

	if (s != st->line) {
		return NULL; /* indented: inside something */
	}
	if (pylex_starts_word(m, s, st->end, "async")) {
		s += 5 + strspn(m + s + 5, " \t");
	}
	if (pylex_starts_word(m, s, st->end, "def")) {
		k = s + 3;
	} else if (pylex_starts_word(m, s, st->end, "class")) {
		k = s + 5;
	} else {
		return NULL;
	}
	k += strspn(m + k, " \t");
	*len = 0;
	while (k + *len < st->end && pylex_is_ident(m[k + *len])) {
		(*len)++;
	}
	return m + k;
}

/* Whether the masked source defines name at the top level. */
int pylex_defines(const char *m, const struct pylex_stmt *v, size_t count,
		   const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < count; i++) {
		size_t l;
		const char *d = pylex_defined_name(m, &v[i], &l);

		if (d != NULL && l == len && strncmp(d, name, len) == 0) {
			return 1;
		}
	}
	return 0;
}
