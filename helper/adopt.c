/* adopt: init's text edits and the version handshake (see adopt.h). */
#define _GNU_SOURCE
#include "adopt.h"
#include "buf.h"
#include "text.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first line of every copy of the plugin, 0.1.0 on. */
static const char first_line[] =
	"\"\"\"pytest-cloud: run this project's tests on SSH nodes with "
	"pytest-xdist.";

/* ---- versions ---------------------------------------------------- */

static int parse_version(const char *s, long v[3])
{
	int i;

	for (i = 0; i < 3; i++) {
		char *end;

		if (!isdigit((unsigned char)*s)) {
			return -1;
		}
		v[i] = strtol(s, &end, 10);
		s = end;
		if (i < 2 && *s++ != '.') {
			return -1;
		}
	}
	return *s == '\0' ? 0 : -1;
}

enum adopt_contract adopt_contract(const char *theirs, const char *ours)
{
	long a[3];
	long b[3];

	if (parse_version(theirs, a) < 0 || parse_version(ours, b) < 0) {
		return CONTRACT_BAD;
	}
	if (a[0] != b[0] || a[1] != b[1]) {
		return CONTRACT_OTHER;
	}
	return a[2] == b[2] ? CONTRACT_SAME : CONTRACT_PATCH;
}

int adopt_version_cmp(const char *a, const char *b)
{
	long va[3];
	long vb[3];
	int bad_a = parse_version(a, va) < 0;
	int bad_b = parse_version(b, vb) < 0;
	int i;

	if (bad_a || bad_b) {
		return bad_a && bad_b ? 0 : bad_a ? -1 : 1;
	}
	for (i = 0; i < 3; i++) {
		if (va[i] != vb[i]) {
			return va[i] < vb[i] ? -1 : 1;
		}
	}
	return 0;
}

/* ---- Python text -------------------------------------------------- */

/*
 * A mask of Python source: code as it is, comments as spaces, string
 * contents as 'x' (quotes kept) and newlines inside strings as '\1', so
 * that brackets, names and statement ends can be found in the mask.
 */
static char *py_mask(const char *text, size_t n)
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

struct py_stmt {
	size_t line;  /* offset of its first line's start */
	size_t start; /* offset of its first character */
	size_t end;   /* offset of the newline that ends it, or n */
};

/* The logical statements of masked source; *count receives how many.
 * Returns NULL (with *count 0) when there are none or memory ran out;
 * *oom tells the two apart. */
static struct py_stmt *py_statements(const char *m, size_t n, size_t *count,
				     int *oom)
{
	struct py_stmt *v = NULL;
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
			struct py_stmt *grown;

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

static int is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Whether the masked statement at s begins with word as a whole name. */
static int starts_with_word(const char *m, size_t s, size_t end,
			    const char *word)
{
	size_t len = strlen(word);

	return s + len <= end && strncmp(m + s, word, len) == 0 &&
	       (s + len == end || !is_ident(m[s + len]));
}

/* Skips a string prefix (r, u, b, f and pairs) before a quote. */
static size_t skip_string_prefix(const char *m, size_t s, size_t end)
{
	size_t k = s;

	while (k < end && k < s + 2 && strchr("rRuUbBfF", m[k]) != NULL) {
		k++;
	}
	return k < end && (m[k] == '"' || m[k] == '\'') ? k : s;
}

/* The end (one past) of the string literal whose quote is at q, in the
 * mask. */
static size_t string_end(const char *m, size_t q, size_t end)
{
	char c = m[q];
	int triple = q + 2 < end && m[q + 1] == c && m[q + 2] == c;
	size_t k = q + (triple ? 3 : 1);

	while (k < end && m[k] != c) {
		k++;
	}
	return k + (triple ? 3 : 1) <= end ? k + (triple ? 3 : 1) : end;
}

static size_t last_nonspace(const char *m, size_t from, size_t before)
{
	size_t k = before;

	while (k > from && strchr(" \t\r\n\f", m[k - 1]) != NULL) {
		k--;
	}
	return k; /* one past the last non-space, or from */
}

/* The name a top-level "def NAME" or "class NAME" statement defines
 * (its length in *len), or NULL. */
static const char *defined_name(const char *m, const struct py_stmt *st,
				size_t *len)
{
	size_t s = st->start;
	size_t k;

	if (s != st->line) {
		return NULL; /* indented: inside something */
	}
	if (starts_with_word(m, s, st->end, "async")) {
		s += 5 + strspn(m + s + 5, " \t");
	}
	if (starts_with_word(m, s, st->end, "def")) {
		k = s + 3;
	} else if (starts_with_word(m, s, st->end, "class")) {
		k = s + 5;
	} else {
		return NULL;
	}
	k += strspn(m + k, " \t");
	*len = 0;
	while (k + *len < st->end && is_ident(m[k + *len])) {
		(*len)++;
	}
	return m + k;
}

/* Whether the masked source defines name at the top level. */
static int defines(const char *m, const struct py_stmt *v, size_t count,
		   const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < count; i++) {
		size_t l;
		const char *d = defined_name(m, &v[i], &l);

		if (d != NULL && l == len && strncmp(d, name, len) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Whether a copy (masked as m, statements v) holds code of its own. */
static int holds_own_code(const char *m, const struct py_stmt *v,
			  size_t count, const char *pm,
			  const struct py_stmt *pv, size_t pcount)
{
	size_t i;

	for (i = 0; i < count; i++) {
		size_t s = v[i].start;
		size_t len;
		const char *d;

		if (s == v[i].line && m[s] == '@') {
			if (strncmp(m + s, "@pytest.hookimpl", 16) != 0) {
				return 1;
			}
			continue;
		}
		d = defined_name(m, &v[i], &len);
		if (d == NULL || d[0] == '_' || strncmp(d, "pytest_", 7) == 0) {
			continue;
		}
		if (!defines(pm, pv, pcount, d, len)) {
			return 1;
		}
	}
	return 0;
}

/* The version of "PYTEST_CLOUD_VERSION = "X"" at the start of a line. */
static int find_version_line(const char *text, char *version, size_t len)
{
	static const char key[] = "PYTEST_CLOUD_VERSION = \"";
	const char *p = text;

	while ((p = strstr(p, key)) != NULL) {
		if (p == text || p[-1] == '\n') {
			const char *v = p + sizeof(key) - 1;
			size_t vlen = strcspn(v, "\"\n");

			if (v[vlen] == '"' && vlen < len) {
				memcpy(version, v, vlen);
				version[vlen] = '\0';
				return 1;
			}
		}
		p++;
	}
	return 0;
}

enum adopt_kind adopt_classify(const char *text, const char *plugin,
			       char *version, size_t versionlen)
{
	size_t n = strlen(text);
	size_t pn = strlen(plugin);
	char *m = NULL;
	char *pm = NULL;
	struct py_stmt *v = NULL;
	struct py_stmt *pv = NULL;
	size_t count = 0;
	size_t pcount = 0;
	int oom = 1;
	int own = 1; /* when it cannot be told: do not touch it */

	if (strncmp(text, first_line, sizeof(first_line) - 1) != 0) {
		return ADOPT_NOT_OURS;
	}
	if (!find_version_line(text, version, versionlen)) {
		snprintf(version, versionlen, "0.1.0");
	}
	m = py_mask(text, n);
	pm = py_mask(plugin, pn);
	if (m != NULL && pm != NULL) {
		v = py_statements(m, n, &count, &oom);
	}
	if (!oom) {
		pv = py_statements(pm, pn, &pcount, &oom);
	}
	if (!oom) {
		own = holds_own_code(m, v, count, pm, pv, pcount);
	}
	free(v);
	free(pv);
	free(m);
	free(pm);
	return own ? ADOPT_OURS_EDITED : ADOPT_OURS;
}

int adopt_conftest_conflict(const char *text, char *why, size_t whylen)
{
	static const char *const marks[] = { "\"--cloud-", "'--cloud-",
					     "PYTEST_CLOUD_VERSION" };
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (strstr(text, marks[i]) != NULL) {
			snprintf(why, whylen,
				 "it holds pytest-cloud's own hooks already "
				 "(it mentions %s): with the plugin loaded too "
				 "pytest would stop with 'option names already "
				 "added'; take them out, then run init again",
				 marks[i][0] == 'P' ? "PYTEST_CLOUD_VERSION"
						    : "the --cloud-* options");
			return 1;
		}
	}
	return 0;
}

/* ---- building new text -------------------------------------------- */

struct edit {
	size_t at;
	const char *ins;
};

/* text with each edit's text inserted at its offset (edits in any
 * order, offsets of the original). */
static char *apply_edits(const char *text, struct edit *e, size_t ne)
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
			struct edit t = e[j - 1];

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

static const char *newline_of(const char *text)
{
	const char *nl = strchr(text, '\n');

	return nl != NULL && nl > text && nl[-1] == '\r' ? "\r\n" : "\n";
}

static void set_why(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

static size_t line_number(const char *text, size_t at)
{
	size_t line = 1;
	size_t i;

	for (i = 0; i < at; i++) {
		line += text[i] == '\n';
	}
	return line;
}

/* ---- pytest_plugins ------------------------------------------------ */

/* Whether the original text between a and b lists the plugin module. */
static int lists_module(const char *text, size_t a, size_t b)
{
	static const char *const forms[] = { "\"" ADOPT_PLUGIN_MODULE "\"",
					     "'" ADOPT_PLUGIN_MODULE "'" };
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *p = text + a;
		size_t len = strlen(forms[i]);

		while ((p = strstr(p, forms[i])) != NULL &&
		       (size_t)(p - text) + len <= b) {
			return 1;
		}
	}
	return 0;
}

/* The offset of '=' of "pytest_plugins [: T] = value" at s, or 0. */
static size_t simple_assignment(const char *m, size_t s, size_t end)
{
	size_t k = s + strlen("pytest_plugins");

	while (k < end && (m[k] == ' ' || m[k] == '\t')) {
		k++;
	}
	if (k < end && m[k] == ':') {
		while (k < end && m[k] != '=') {
			k++;
		}
	}
	if (k < end && m[k] == '=' && (k + 1 >= end || m[k + 1] != '=')) {
		return k;
	}
	return 0;
}

/* The offset one past the bracket that closes the one at open. */
static size_t matching_close(const char *m, size_t open, size_t end)
{
	int depth = 0;
	size_t k;

	for (k = open; k < end; k++) {
		if (strchr("([{", m[k]) != NULL) {
			depth++;
		} else if (strchr(")]}", m[k]) != NULL && --depth == 0) {
			return k + 1;
		}
	}
	return 0;
}

/* Extends the value of the assignment whose '=' is at eq. */
static char *extend_plugins(const char *text, const char *m, size_t eq,
			    size_t end, char *why, size_t whylen)
{
	const char *nl = newline_of(text);
	size_t v = eq + 1;
	size_t last = last_nonspace(m, eq, end);
	char quote = '"';
	char item[64];
	char *buf = NULL;
	char *out;
	struct edit e[2];
	size_t ne = 0;
	size_t q;

	while (v < end && strchr(" \t", m[v]) != NULL) {
		v++;
	}
	for (q = v; q < last; q++) {
		if (m[q] == '"' || m[q] == '\'') {
			quote = m[q];
			break;
		}
	}
	snprintf(item, sizeof(item), "%c%s%c", quote, ADOPT_PLUGIN_MODULE,
		 quote);
	if (v < last && (m[v] == '[' || m[v] == '(') &&
	    matching_close(m, v, end) == last) {
		size_t close = last - 1;
		size_t sig = last_nonspace(m, v + 1, close);
		const char *close_nl = memchr(m + sig, '\n', close - sig);

		if (sig == v + 1) { /* empty */
			e[ne++] = (struct edit){ v + 1, item };
		} else if (close_nl == NULL) { /* closes on the last line */
			if (asprintf(&buf, "%s%s", m[sig - 1] == ',' ? " " : ", ",
				     item) < 0) {
				return NULL;
			}
			e[ne++] = (struct edit){ sig, buf };
		} else { /* one element a line: a line before the bracket */
			size_t ls = sig;
			size_t cls = close;

			while (ls > 0 && m[ls - 1] != '\n') {
				ls--;
			}
			while (cls > 0 && m[cls - 1] != '\n') {
				cls--;
			}
			if (m[sig - 1] != ',') {
				e[ne++] = (struct edit){ sig, "," };
			}
			/* indented as the last element, or by 4 when that
			 * shares the line of the opening bracket */
			if (asprintf(&buf, "%.*s%s,%s",
				     ls > v ? (int)strspn(text + ls, " \t") : 4,
				     ls > v ? text + ls : "    ", item, nl) < 0) {
				return NULL;
			}
			e[ne++] = (struct edit){ cls, buf };
		}
	} else if (v < last && skip_string_prefix(m, v, last) == v &&
		   (m[v] == '"' || m[v] == '\'') &&
		   string_end(m, v, last) == last) {
		if (asprintf(&buf, ", %s]", item) < 0) {
			return NULL;
		}
		e[ne++] = (struct edit){ v, "[" };
		e[ne++] = (struct edit){ last, buf };
	} else {
		set_why(why, whylen,
			"line %zu: pytest_plugins is not a list, tuple or "
			"string written out: add \"%s\" to it by hand",
			line_number(text, eq), ADOPT_PLUGIN_MODULE);
		return NULL;
	}
	out = apply_edits(text, e, ne);
	free(buf);
	if (out == NULL) {
		set_why(why, whylen, "out of memory");
	}
	return out;
}

/* Adds the pytest_plugins line after the docstring and __future__. */
static char *insert_plugins_line(const char *text, const char *m, size_t n,
				 const struct py_stmt *v, size_t count)
{
	const char *nl = newline_of(text);
	size_t i = 0;
	size_t at;
	char *line;
	char *out;
	struct edit e;

	if (count > 0) {
		size_t q = skip_string_prefix(m, v[0].start, v[0].end);

		if ((m[q] == '"' || m[q] == '\'') &&
		    string_end(m, q, v[0].end) ==
			    last_nonspace(m, q, v[0].end)) {
			i = 1;
		}
	}
	while (i < count && v[i].start == v[i].line &&
	       starts_with_word(m, v[i].start, v[i].end, "from") &&
	       strncmp(m + v[i].start + 4 + strspn(m + v[i].start + 4, " \t"),
		       "__future__", 10) == 0) {
		i++;
	}
	if (i > 0) {
		at = v[i - 1].end < n ? v[i - 1].end + 1 : n;
	} else {
		at = count > 0 ? v[0].line : n;
	}
	if (asprintf(&line, "%spytest_plugins = [\"%s\"]%s",
		     at == n && n > 0 && text[n - 1] != '\n' ? nl : "",
		     ADOPT_PLUGIN_MODULE, nl) < 0) {
		return NULL;
	}
	e = (struct edit){ at, line };
	out = apply_edits(text, &e, 1);
	free(line);
	return out;
}

char *adopt_add_plugin(const char *text, int *changed, char *why,
		       size_t whylen)
{
	size_t n = strlen(text);
	char *m = py_mask(text, n);
	struct py_stmt *v = NULL;
	size_t count = 0;
	size_t found = (size_t)-1;
	int oom = 0;
	char *out = NULL;
	const char *p;

	*changed = 0;
	if (m != NULL) {
		v = py_statements(m, n, &count, &oom);
	}
	if (m == NULL || oom) {
		set_why(why, whylen, "out of memory");
		goto out;
	}
	/* every use of the name must be a simple top-level assignment */
	for (p = m; (p = strstr(p, "pytest_plugins")) != NULL; p++) {
		size_t at = (size_t)(p - m);
		size_t s;

		if ((at > 0 && (is_ident(m[at - 1]) || m[at - 1] == '.')) ||
		    is_ident(m[at + 14])) {
			continue;
		}
		for (s = 0; s < count && v[s].start != at; s++) {
		}
		if (s == count || v[s].start != v[s].line ||
		    simple_assignment(m, at, v[s].end) == 0 ||
		    (found != (size_t)-1)) {
			if (s < count && lists_module(text, v[s].start,
						       v[s].end)) {
				out = strdup(text);
				goto out;
			}
			set_why(why, whylen,
				"line %zu: pytest_plugins is set in a way "
				"init does not edit (not one plain assignment "
				"at the top level): add \"%s\" to it by hand",
				line_number(text, at), ADOPT_PLUGIN_MODULE);
			goto out;
		}
		found = s;
	}
	if (found != (size_t)-1) {
		if (lists_module(text, v[found].start, v[found].end)) {
			out = strdup(text);
		} else {
			out = extend_plugins(
				text, m,
				simple_assignment(m, v[found].start,
						  v[found].end),
				v[found].end, why, whylen);
			*changed = out != NULL;
		}
	} else {
		out = insert_plugins_line(text, m, n, v, count);
		*changed = out != NULL;
	}
	if (out == NULL && why[0] == '\0') {
		set_why(why, whylen, "out of memory");
	}
out:
	free(v);
	free(m);
	return out;
}

/* ---- config files ------------------------------------------------- */

enum adopt_format adopt_format_of(const char *path)
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

char *adopt_add_nodes(const char *text, enum adopt_format format,
		      const char *nodes, int *changed, char *why,
		      size_t whylen)
{
	const char *nl = newline_of(text);
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
	struct edit e;

	*changed = 0;
	if (l == NULL && n > 0) {
		set_why(why, whylen, "out of memory");
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
				set_why(why, whylen,
					"line %zu: a second [%s] table",
					line_number(text, l[i].start),
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
		e = (struct edit){ n, ins };
	} else if (l[after].end >= n) { /* the last line, no newline */
		if (asprintf(&ins, "%s%s%s", nl, line,
			     text[n - 1] == '\n' ? nl : "") < 0) {
			goto oom;
		}
		e = (struct edit){ n, ins };
	} else {
		if (asprintf(&ins, "%s%s", line, nl) < 0) {
			goto oom;
		}
		e = (struct edit){ l[after].end + 1, ins };
	}
	out = apply_edits(text, &e, 1);
	if (out == NULL) {
		goto oom;
	}
	*changed = 1;
	free(ins);
	free(line);
	free(l);
	return out;
oom:
	set_why(why, whylen, "out of memory");
	free(ins);
	free(line);
	free(l);
	return NULL;
}

/* ---- diff ----------------------------------------------------------- */

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

char *adopt_diff(const char *old, const char *new_text, const char *name)
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
