/* cfgedit: cloud_nodes added to a config file's text (see cfgedit.h). */
#define _GNU_SOURCE
#include "cfgedit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edits.h"
#include "text.h"

enum cfgedit_format cfgedit_format(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (strcmp(base, "pyproject.toml") == 0) {
		return FORMAT_PYPROJECT;
	}
	if (strcmp(base, "pytest.toml") == 0 ||
	    strcmp(base, ".pytest.toml") == 0) {
		return FORMAT_PYTEST_TOML;
	}
	if (len > 5 && strcmp(base + len - 5, ".toml") == 0) {
		return FORMAT_PYPROJECT; /* read as pytest reads -c x.toml */
	}
	if (strcmp(base, "setup.cfg") == 0) {
		return FORMAT_SETUP_CFG;
	}
	return FORMAT_INI;
}

/* One line of a config file. */
struct cfg_line {
	size_t start; /* offset of its first character */
	size_t end;   /* offset of its newline, or n */
	char kind;    /* 'h' header, 'k' key = value, 'c' comment,
		       * 'b' blank, 'v' more of a value (continuation,
		       * multi-line array or string) */
	char header[64]; /* for 'h': the name inside the brackets,
			  * spaces removed */
};

/* Splits text into lines and tells their kinds; TOML strings and arrays
 * spanning lines are followed.  Returns the lines (malloc'ed), or NULL
 * when out of memory. */
static struct cfg_line *cfg_lines(const char *text, int toml, size_t *count)
{
	size_t n = strlen(text);
	size_t alloc = 16;
	struct cfg_line *v = malloc(alloc * sizeof(*v));
	size_t pos = 0;
	int depth = 0;     /* TOML: open brackets and braces */
	char in_multi = 0; /* TOML: the quote of an open """ or ''' */

	*count = 0;
	while (v != NULL && pos < n) {
		struct cfg_line *l;
		const char *nlp = memchr(text + pos, '\n', n - pos);
		size_t end = nlp ? (size_t)(nlp - text) : n;
		size_t s = pos;
		size_t k;

		if (*count == alloc) {
			struct cfg_line *g = realloc(v, 2 * alloc * sizeof(*v));

			if (g == NULL) {
				free(v);
				return NULL;
			}
			v = g;
			alloc *= 2;
		}
		l = &v[(*count)++];
		memset(l, 0, sizeof(*l));
		l->start = pos;
		l->end = end;
		while (s < end && strchr(" \t\r\f", text[s]) != NULL) {
			s++;
		}
		if (toml && (in_multi || depth > 0)) {
			l->kind = 'v';
		} else if (s == end) {
			l->kind = 'b';
		} else if (text[s] == '#' || (!toml && text[s] == ';')) {
			l->kind = 'c';
		} else if (text[s] == '[' && (toml || s == pos)) {
			size_t h = 0;

			l->kind = 'h';
			for (k = s + 1; k < end && text[k] != ']'; k++) {
				if (text[k] != ' ' && text[k] != '\t' &&
				    h + 1 < sizeof(l->header)) {
					l->header[h++] = text[k];
				}
			}
			l->header[h] = '\0';
			if (toml && text[s + 1] == '[') {
				l->header[0] = '\0'; /* [[array of tables]] */
			}
		} else if (!toml && s > pos) {
			l->kind = 'v';
		} else {
			l->kind = 'k';
		}
		if (toml && l->kind != 'h') { /* follow strings and arrays */
			for (k = pos; k < end; k++) {
				char c = text[k];

				if (in_multi) {
					if (c == '\\' && in_multi == '"') {
						k++;
					} else if (c == in_multi &&
						   k + 2 < n &&
						   text[k + 1] == c &&
						   text[k + 2] == c) {
						in_multi = 0;
						k += 2;
					}
				} else if (c == '#') {
					break;
				} else if ((c == '"' || c == '\'') &&
					   k + 2 < n && text[k + 1] == c &&
					   text[k + 2] == c) {
					in_multi = c;
					k += 2;
				} else if (c == '"' || c == '\'') {
					for (k++; k < end && text[k] != c;
					     k++) {
						k += c == '"' &&
						     text[k] == '\\';
					}
				} else if (c == '[' || c == '{') {
					depth++;
				} else if ((c == ']' || c == '}') &&
					   depth > 0) {
					depth--;
				}
			}
		}
		pos = end + 1;
	}
	return v;
}

/* The key of a 'k' line, if it is name (ini "name =", "name:", TOML
 * "name =", "\"name\" ="). */
static int line_has_key(const char *text, const struct cfg_line *l,
			const char *name)
{
	const char *s = text + l->start;
	size_t len = strlen(name);

	s += strspn(s, " \t");
	if (*s == '"' && strncmp(s + 1, name, len) == 0 && s[len + 1] == '"') {
		s += len + 2;
	} else if (strncmp(s, name, len) == 0) {
		s += len;
	} else {
		return 0;
	}
	s += strspn(s, " \t");
	return *s == '=' || *s == ':';
}

/* A comment line that reads "# cloud_nodes = ..." */
static int line_is_example(const char *text, const struct cfg_line *l)
{
	const char *s = text + l->start;

	s += strspn(s, " \t");
	if (*s != '#' && *s != ';') {
		return 0;
	}
	s++;
	s += strspn(s, " \t");
	if (strncmp(s, "cloud_nodes", 11) != 0) {
		return 0;
	}
	s += 11;
	s += strspn(s, " \t");
	return *s == '=';
}

/* The cloud_nodes line (without newline) in the format; value NULL:
 * the commented example. */
static char *nodes_line(const char *nodes, int native, int toml)
{
	char *value = NULL;
	char *line = NULL;
	const char *list = nodes != NULL ? nodes : "user@node1 user@node2";
	size_t cap = 4 * strlen(list) + 16;
	char *w;
	const char *p = list;

	if (!toml) {
		if (asprintf(&line, "%scloud_nodes = %s",
			     nodes != NULL ? "" : "# ", list) < 0) {
			return NULL;
		}
		return line;
	}
	/* node names hold no quote or backslash (nodename.h) */
	value = malloc(cap);
	if (value == NULL) {
		return NULL;
	}
	w = value;
	if (native) {
		*w++ = '[';
		size_t len;

		while ((len = text_word(&p)) > 0) {
			w += sprintf(w, "%s\"%.*s\"", w > value + 1 ? ", " : "",
				     (int)len, p);
			p += len;
		}
		*w++ = ']';
		*w = '\0';
	} else {
		sprintf(w, "\"%s\"", list);
	}
	if (asprintf(&line, "%scloud_nodes = %s", nodes != NULL ? "" : "# ",
		     value) < 0) {
		line = NULL;
	}
	free(value);
	return line;
}

char *cfgedit_add_nodes(const char *text, enum cfgedit_format format,
		      const char *nodes, int *changed, char *why,
		      size_t whylen)
{
	const char *nl = edits_newline(text);
	int toml = format == FORMAT_PYPROJECT || format == FORMAT_PYTEST_TOML;
	const char *want = format == FORMAT_INI	      ? "pytest"
			   : format == FORMAT_SETUP_CFG ? "tool:pytest"
			   : format == FORMAT_PYTEST_TOML ? "pytest"
							  : NULL;
	size_t count = 0;
	struct cfg_line *l = cfg_lines(text, toml, &count);
	size_t i;
	size_t head = (size_t)-1;
	size_t after = (size_t)-1; /* the line the new one follows */
	size_t example = (size_t)-1;
	int native = format == FORMAT_PYTEST_TOML;
	char *line = NULL;
	char *ins = NULL;
	char *out = NULL;
	size_t n = strlen(text);
	struct edits_insert e;

	*changed = 0;
	if (l == NULL && n > 0) {
		edits_why(why, whylen, "out of memory");
		return NULL;
	}
	for (i = 0; i < count; i++) {
		if (l[i].kind != 'h') {
			continue;
		}
		if (want != NULL ? strcmp(l[i].header, want) == 0
				 : strcmp(l[i].header,
					  "tool.pytest.ini_options") == 0 ||
					   strcmp(l[i].header, "tool.pytest") ==
						   0) {
			if (head != (size_t)-1) {
				edits_why(why, whylen,
					"line %zu: a second [%s] table",
					edits_line(text, l[i].start),
					l[i].header);
				free(l);
				return NULL;
			}
			head = i;
			native = native || strcmp(l[i].header, "tool.pytest") == 0;
		}
	}
	if (head != (size_t)-1) {
		after = head;
		for (i = head + 1; i < count && l[i].kind != 'h'; i++) {
			if (l[i].kind == 'k' && line_has_key(text, &l[i],
							      "cloud_nodes")) {
				free(l);
				return strdup(text);
			}
			if (l[i].kind == 'c' && line_is_example(text, &l[i])) {
				example = i;
			}
			if (l[i].kind == 'k' || l[i].kind == 'v') {
				after = i;
			}
		}
		if (example != (size_t)-1) {
			if (nodes == NULL) {
				free(l);
				return strdup(text);
			}
			after = example;
			while (after + 1 < count && l[after + 1].kind == 'v') {
				after++;
			}
		}
	}
	line = nodes_line(nodes, native, toml);
	if (line == NULL) {
		goto oom;
	}
	if (head == (size_t)-1) { /* a new section at the end */
		const char *section = want != NULL ? want : "tool.pytest.ini_options";
		int ends_nl = n == 0 || text[n - 1] == '\n';
		int blank = n == 0 || (n >= 2 && text[n - 2] == '\n') ||
			    (n >= 3 && text[n - 3] == '\n' && text[n - 2] == '\r');

		if (asprintf(&ins, "%s%s[%s]%s%s%s", ends_nl ? "" : nl,
			     blank && ends_nl ? "" : nl, section, nl, line,
			     nl) < 0) {
			goto oom;
		}
		e = (struct edits_insert){ n, ins };
	} else if (l[after].end >= n) { /* the last line, no newline */
		if (asprintf(&ins, "%s%s%s", nl, line,
			     text[n - 1] == '\n' ? nl : "") < 0) {
			goto oom;
		}
		e = (struct edits_insert){ n, ins };
	} else {
		if (asprintf(&ins, "%s%s", line, nl) < 0) {
			goto oom;
		}
		e = (struct edits_insert){ l[after].end + 1, ins };
	}
	out = edits_apply(text, &e, 1);
	if (out == NULL) {
		goto oom;
	}
	*changed = 1;
	free(ins);
	free(line);
	free(l);
	return out;
oom:
	edits_why(why, whylen, "out of memory");
	free(ins);
	free(line);
	free(l);
	return NULL;
}
