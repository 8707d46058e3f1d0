/* adopt: the plugin in a project: what a copy is, and the edit that
 * loads it (see adopt.h). */
#define _GNU_SOURCE
#include "adopt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edits.h"
#include "pylex.h"

/* The first line of every copy of the plugin, 0.1.0 on. */
static const char first_line[] =
	"\"\"\"pytest-cloud: run this project's tests on SSH nodes with "
	"pytest-xdist.";

/* Whether a copy (masked as m, statements v) holds code of its own. */
static int holds_own_code(const char *m, const struct pylex_stmt *v,
			  size_t count, const char *pm,
			  const struct pylex_stmt *pv, size_t pcount)
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
		d = pylex_defined_name(m, &v[i], &len);
		if (d == NULL || d[0] == '_' || strncmp(d, "pytest_", 7) == 0) {
			continue;
		}
		if (!pylex_defines(pm, pv, pcount, d, len)) {
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
	struct pylex_stmt *v = NULL;
	struct pylex_stmt *pv = NULL;
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
	m = pylex_mask(text, n);
	pm = pylex_mask(plugin, pn);
	if (m != NULL && pm != NULL) {
		v = pylex_statements(m, n, &count, &oom);
	}
	if (!oom) {
		pv = pylex_statements(pm, pn, &pcount, &oom);
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
	const char *nl = edits_newline(text);
	size_t v = eq + 1;
	size_t last = pylex_last_nonspace(m, eq, end);
	char quote = '"';
	char item[64];
	char *buf = NULL;
	char *out;
	struct edits_insert e[2];
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
		size_t sig = pylex_last_nonspace(m, v + 1, close);
		const char *close_nl = memchr(m + sig, '\n', close - sig);

		if (sig == v + 1) { /* empty */
			e[ne++] = (struct edits_insert){ v + 1, item };
		} else if (close_nl == NULL) { /* closes on the last line */
			if (asprintf(&buf, "%s%s", m[sig - 1] == ',' ? " " : ", ",
				     item) < 0) {
				return NULL;
			}
			e[ne++] = (struct edits_insert){ sig, buf };
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
				e[ne++] = (struct edits_insert){ sig, "," };
			}
			/* indented as the last element, or by 4 when that
			 * shares the line of the opening bracket */
			if (asprintf(&buf, "%.*s%s,%s",
				     ls > v ? (int)strspn(text + ls, " \t") : 4,
				     ls > v ? text + ls : "    ", item, nl) < 0) {
				return NULL;
			}
			e[ne++] = (struct edits_insert){ cls, buf };
		}
	} else if (v < last && pylex_string_prefix(m, v, last) == v &&
		   (m[v] == '"' || m[v] == '\'') &&
		   pylex_string_end(m, v, last) == last) {
		if (asprintf(&buf, ", %s]", item) < 0) {
			return NULL;
		}
		e[ne++] = (struct edits_insert){ v, "[" };
		e[ne++] = (struct edits_insert){ last, buf };
	} else {
		edits_why(why, whylen,
			"line %zu: pytest_plugins is not a list, tuple or "
			"string written out: add \"%s\" to it by hand",
			edits_line(text, eq), ADOPT_PLUGIN_MODULE);
		return NULL;
	}
	out = edits_apply(text, e, ne);
	free(buf);
	if (out == NULL) {
		edits_why(why, whylen, "out of memory");
	}
	return out;
}

/* Adds the pytest_plugins line after the docstring and __future__. */
static char *insert_plugins_line(const char *text, const char *m, size_t n,
				 const struct pylex_stmt *v, size_t count)
{
	const char *nl = edits_newline(text);
	size_t i = 0;
	size_t at;
	char *line;
	char *out;
	struct edits_insert e;

	if (count > 0) {
		size_t q = pylex_string_prefix(m, v[0].start, v[0].end);

		if ((m[q] == '"' || m[q] == '\'') &&
		    pylex_string_end(m, q, v[0].end) ==
			    pylex_last_nonspace(m, q, v[0].end)) {
			i = 1;
		}
	}
	while (i < count && v[i].start == v[i].line &&
	       pylex_starts_word(m, v[i].start, v[i].end, "from") &&
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
	e = (struct edits_insert){ at, line };
	out = edits_apply(text, &e, 1);
	free(line);
	return out;
}

char *adopt_add_plugin(const char *text, int *changed, char *why,
		       size_t whylen)
{
	size_t n = strlen(text);
	char *m = pylex_mask(text, n);
	struct pylex_stmt *v = NULL;
	size_t count = 0;
	size_t found = (size_t)-1;
	int oom = 0;
	char *out = NULL;
	const char *p;

	*changed = 0;
	if (m != NULL) {
		v = pylex_statements(m, n, &count, &oom);
	}
	if (m == NULL || oom) {
		edits_why(why, whylen, "out of memory");
		goto out;
	}
	/* every use of the name must be a simple top-level assignment */
	for (p = m; (p = strstr(p, "pytest_plugins")) != NULL; p++) {
		size_t at = (size_t)(p - m);
		size_t s;

		if ((at > 0 && (pylex_is_ident(m[at - 1]) || m[at - 1] == '.')) ||
		    pylex_is_ident(m[at + 14])) {
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
			edits_why(why, whylen,
				"line %zu: pytest_plugins is set in a way "
				"init does not edit (not one plain assignment "
				"at the top level): add \"%s\" to it by hand",
				edits_line(text, at), ADOPT_PLUGIN_MODULE);
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
		edits_why(why, whylen, "out of memory");
	}
out:
	free(v);
	free(m);
	return out;
}
