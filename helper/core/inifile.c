/* inifile: a config file's pytest section read from text (see inifile.h). */
#define _GNU_SOURCE
#include "inifile.h"
#include "buf.h"
#include "text.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "nodelist.h"
#include "opts.h"
#include "pyproject.h"


void inifile_setup(void)
{
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = INIFILE_MAX_BYTES + 4;
	ini_allow_inline_comments = false;
	ini_stop_on_first_error = true;
}

/* State shared by the reader and the handler of one parse. */
struct parse_state {
	const char *pos;      /* next unread byte of the text */
	int line;             /* line the reader is in, 1-based */
	int at_line_start;    /* next chunk starts a new line */
	int line_is_indented; /* current line starts with white space */
	const char *section;  /* wanted section */
	int has_section;
	struct ini_entries *out;
	int failed;
};

/* fgets() over the text, counting lines. */
static char *reader(char *buf, int size, void *stream)
{
	struct parse_state *st = stream;
	size_t n = 0;

	if (*st->pos == '\0' || size < 2) {
		return NULL;
	}
	if (st->at_line_start) {
		st->line++;
		st->line_is_indented = (*st->pos == ' ' || *st->pos == '\t');
	}
	while (n < (size_t)size - 1 && st->pos[n] != '\0') {
		if (st->pos[n++] == '\n') {
			break;
		}
	}
	memcpy(buf, st->pos, n);
	buf[n] = '\0';
	st->pos += n;
	st->at_line_start = (n > 0 && buf[n - 1] == '\n');
	return buf;
}

static int append_value(struct ini_entry *e, const char *more)
{
	char *joined = NULL;

	if (e->value[0] == '\0') {
		joined = strdup(more);
	} else if (asprintf(&joined, "%s\n%s", e->value, more) < 0) {
		joined = NULL;
	}
	if (joined == NULL) {
		return -1;
	}
	free(e->value);
	e->value = joined;
	return 0;
}

int inifile_entries_add(struct ini_entries *out, const char *key,
			const char *value, int line, int is_list)
{
	struct ini_entry *e;

	if (out->n == out->alloc) {
		size_t want = out->alloc ? out->alloc * 2 : 16;
		struct ini_entry *grown = realloc(out->v, want * sizeof(*grown));

		if (grown == NULL) {
			return -1;
		}
		out->v = grown;
		out->alloc = want;
	}
	e = &out->v[out->n];
	e->key = strdup(key);
	e->value = strdup(value);
	e->line = line;
	e->is_list = is_list;
	e->toml = INI_TEXT;
	if (e->key == NULL || e->value == NULL) {
		free(e->key);
		free(e->value);
		return -1;
	}
	out->n++;
	return 0;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse_state *st = user;
	struct ini_entries *out = st->out;

	if (strcmp(section, st->section) != 0) {
		return 1;
	}
	st->has_section = 1;
	if (st->line_is_indented && out->n > 0 &&
	    strcmp(out->v[out->n - 1].key, name) == 0) {
		if (append_value(&out->v[out->n - 1], value) < 0) {
			st->failed = 1;
			return 0;
		}
		return 1;
	}
	if (inifile_entries_add(out, name, value, st->line, 0) < 0) {
		st->failed = 1;
		return 0;
	}
	return 1;
}

/* inih only calls the handler for keys: spot "[section]" lines too. */
static int mentions_section(const char *text, const char *section)
{
	size_t len = strlen(section);
	const char *p = text;
	const char *line;
	size_t n;

	for (line = text_line(&p, &n); line != NULL;
	     line = text_line(&p, &n)) {
		const char *q = line + strspn(line, " \t");

		if (q[0] == '[' && strncmp(q + 1, section, len) == 0 &&
		    q[1 + len] == ']') {
			return 1;
		}
	}
	return 0;
}

int inifile_parse_string(const char *text, const char *name,
			 const char *section, struct ini_entries *out,
			 int *has_section, char *err, size_t errlen)
{
	struct parse_state st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.pos = text;
	st.at_line_start = 1;
	st.section = section;
	st.out = out;
	rc = ini_parse_stream(reader, &st, handler, &st);
	*has_section = st.has_section || mentions_section(text, section);
	if (st.failed) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen,
			 "%s:%d: not valid ini syntax (expected '[section]', "
			 "'key = value' or 'key: value')",
			 name, rc);
		return -1;
	}
	return 0;
}

void inifile_entries_release(struct ini_entries *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->v[i].key);
		free(e->v[i].value);
	}
	free(e->v);
	e->v = NULL;
	e->n = 0;
	e->alloc = 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s);
	size_t lf = strlen(suffix);

	return ls >= lf && strcmp(s + ls - lf, suffix) == 0;
}

/* The ini kinds: a .ini file's [pytest], a .cfg file's [tool:pytest]. */
static int load_ini_text(const char *text, const char *path,
			 struct ini_entries *out, char *err, size_t errlen)
{
	int has = 0;
	int has_plain = 0;
	struct ini_entries plain = { NULL, 0, 0 };

	if (ends_with(path, ".cfg")) {
		if (inifile_parse_string(text, path, "tool:pytest", out, &has,
					 err, errlen) < 0) {
			return -1;
		}
		if (has) {
			return 1;
		}
		if (inifile_parse_string(text, path, "pytest", &plain,
					 &has_plain, err, errlen) < 0) {
			return -1;
		}
		inifile_entries_release(&plain);
		if (has_plain) {
			snprintf(err, errlen,
				 "%s: [pytest] section in setup.cfg files is "
				 "no longer supported, change to "
				 "[tool:pytest] instead",
				 path);
			return -1;
		}
		return 0;
	}
	if (inifile_parse_string(text, path, "pytest", out, &has, err,
				 errlen) < 0) {
		return -1;
	}
	/* pytest.ini counts even empty; .pytest.ini too from pytest 9 */
	if (!has && strcmp(base_name(path), ".pytest.ini") == 0) {
		return 2;
	}
	return has || strcmp(base_name(path), "pytest.ini") == 0;
}

/* Reads path by its kind; 1 a config, 2 a config only for pytest 9 (a
 * .pytest.ini without [pytest], a native TOML config), 0 not one, -1. */
/* load_kind on text already read: 2 for native TOML, 1, 0 or -1. */
int inifile_parse_kind(const char *text, size_t len, const char *path,
		       struct ini_entries *out, char *err, size_t errlen)
{
	const char *base = base_name(path);
	int native = 0;
	int rc;

	if (ends_with(path, ".toml")) {
		rc = pyproject_parse(text, len, path,
				     strcmp(base, "pytest.toml") == 0 ||
					     strcmp(base, ".pytest.toml") == 0,
				     out, &native, err, errlen);
		if (rc == 1 && native) {
			rc = 2;
		}
	} else {
		rc = load_ini_text(text, path, out, err, errlen);
	}
	return rc;
}

int inifile_parse_text(const char *text, const char *path,
		       struct ini_entries *out, char *err, size_t errlen)
{
	int rc = inifile_parse_kind(text, strlen(text), path, out, err, errlen);

	return rc > 0 ? 1 : rc;
}

const char *inifile_rule_text(enum inifile_rule rule)
{
	switch (rule) {
	case RULE_PYTEST9:
		return "a rule of pytest 9 (pytest.toml, .pytest.toml, "
		       "[tool.pytest], or a .pytest.ini without [pytest]); "
		       "pytest 7 and 8 would not take this file";
	case RULE_PYTEST81_PYPROJECT:
		return "a rule of pytest 8.1 and later (a pyproject.toml "
		       "without a pytest table makes the rootdir when no "
		       "config is found); pytest 7 would not take it";
	case RULE_SAME:
		break;
	}
	return NULL;
}

/* Makes every whitespace-separated path of value absolute against
 * basedir; returns a new string or NULL. */
static char *absolute_paths(const char *value, const char *basedir)
{
	struct buf f = BUF_INIT;
	const char *p = value;
	size_t len;

	while ((len = text_word(&p)) > 0) {
		if (p[0] == '/' || basedir == NULL) {
			buf_printf(&f, "%.*s\n", (int)len, p);
		} else {
			buf_printf(&f, "%s/%.*s\n", basedir, (int)len, p);
		}
		p += len;
	}
	return buf_take(&f);
}

/* The TOML text of s as a basic string ("..." with escapes). */
static void toml_string(struct buf *b, const char *s, size_t len)
{
	size_t i;

	buf_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf_printf(b, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_add(b, (const char *)&s[i], 1);
		}
	}
	buf_add(b, "\"", 1);
}

static int all_digits(const char *s)
{
	if (*s == '\0') {
		return 0;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			return 0;
		}
	}
	return 1;
}

/* What FORM says for def's key, from the value where it can. */
static void toml_form(struct buf *b, const struct opt_def *def,
		      const struct ini_entry *e)
{
	const char *p = e->value;
	size_t len;
	int first = 1;

	switch (def->type) {
	case OPT_T_NODES:
	case OPT_T_PATHS:
		buf_add(b, "[", 1);
		while ((len = text_word(&p)) > 0) {
			buf_printf(b, "%s", first ? "" : ", ");
			toml_string(b, p, len);
			first = 0;
			p += len;
		}
		buf_add(b, "]", 1);
		return;
	case OPT_T_POSITIVE:
	case OPT_T_UNSIGNED:
		if (e->toml == INI_TOML_STRING && all_digits(e->value)) {
			buf_printf(b, "%s", e->value);
		} else if (e->toml == INI_TOML_FLOAT &&
			   strspn(e->value, "0123456789") > 0 &&
			   strcmp(e->value + strspn(e->value, "0123456789"),
				  "") == 0) {
			buf_printf(b, "%s", e->value);
		} else {
			buf_printf(b, "N (a whole number)");
		}
		return;
	case OPT_T_STRING:
	case OPT_T_FLAG:
		break;
	}
	if (e->toml == INI_TOML_BOOL && def->choices != NULL &&
	    strcmp(def->choices, "yes no") == 0) {
		buf_printf(b, "%s",
			   strcmp(e->value, "True") == 0 ? "\"yes\"" : "\"no\"");
		return;
	}
	if (e->is_list) {
		len = text_word(&p);
		toml_string(b, p, len);
		return;
	}
	toml_string(b, e->value, strlen(e->value));
}

int inifile_check_toml(const struct opt_def *def, const struct ini_entry *e,
		       const char *origin, char *err, size_t errlen)
{
	static const char *const got[] = {
		[INI_TEXT] = "text",
		[INI_TOML_STRING] = "a string",
		[INI_TOML_INTEGER] = "an integer",
		[INI_TOML_FLOAT] = "a float",
		[INI_TOML_BOOL] = "a boolean",
		[INI_TOML_STRINGS] = "an array",
		[INI_TOML_ARRAY] = "an array holding more than strings",
	};
	enum ini_toml want;
	const char *what;
	struct buf form = BUF_INIT;
	char *text;

	switch (def->type) {
	case OPT_T_NODES:
	case OPT_T_PATHS:
		want = INI_TOML_STRINGS;
		what = "a list of strings";
		break;
	case OPT_T_POSITIVE:
	case OPT_T_UNSIGNED:
		want = INI_TOML_INTEGER;
		what = "a whole number";
		break;
	default:
		want = INI_TOML_STRING;
		what = "a string";
		break;
	}
	if (e->toml == INI_TEXT || e->toml == want) {
		return 0;
	}
	toml_form(&form, def, e);
	text = buf_take(&form);
	snprintf(err, errlen,
		 "%s: pytest 9 reads this file in TOML types, where this "
		 "key takes %s, not %s: write %s = %s",
		 origin, what, got[e->toml], e->key,
		 text ? text : "...");
	free(text);
	return -1;
}

static int apply_one(struct cloud_config *cfg, const struct opt_def *def,
		     const struct ini_entry *e, const char *origin,
		     const char *basedir, char *err, size_t errlen)
{
	char *paths;
	int rc;

	if (inifile_check_toml(def, e, origin, err, errlen) < 0) {
		return -1;
	}
	if (e->is_list && def->type != OPT_T_NODES &&
	    def->type != OPT_T_PATHS) {
		snprintf(err, errlen, "%s: expected one value, got an array",
			 origin);
		return -1;
	}
	if (def->type != OPT_T_PATHS && def->type != OPT_T_NODES) {
		return config_set(cfg, def, e->value, SRC_INI, origin, err,
				  errlen);
	}
	/* paths, and host files (^PATH), relative to the file's folder */
	paths = def->type == OPT_T_NODES
			? nodelist_absolute_files(e->value, basedir)
			: absolute_paths(e->value, basedir);
	if (paths == NULL) {
		snprintf(err, errlen, "%s: out of memory", origin);
		return -1;
	}
	rc = config_set(cfg, def, paths, SRC_INI, origin, err, errlen);
	free(paths);
	return rc;
}

int inifile_apply_entries(struct cloud_config *cfg,
			  const struct ini_entries *e, const char *name,
			  const char *basedir, struct strvec *warnings,
			  char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		const struct opt_def *def = opts_by_ini(e->v[i].key);
		char origin[512];

		snprintf(origin, sizeof(origin), "%s:%d: %s", name,
			 e->v[i].line, e->v[i].key);
		if (def == NULL) {
			if (strncmp(e->v[i].key, "cloud_", 6) == 0) {
				const char *near = opts_nearest_ini(e->v[i].key);

				if (warnings != NULL &&
				    strvec_pushf(warnings,
						 "%s: unknown key, ignored%s%s%s",
						 origin,
						 near ? " (did you mean '" : "",
						 near ? near : "",
						 near ? "'?)" : "") < 0) {
					snprintf(err, errlen, "out of memory");
					return -1;
				}
			}
			continue;
		}
		if (apply_one(cfg, def, &e->v[i], origin, basedir, err,
			      errlen) < 0) {
			return -1;
		}
	}
	return 0;
}

int inifile_apply_string(struct cloud_config *cfg, const char *text,
			 const char *name, const char *section,
			 const char *basedir, struct strvec *warnings, char *err,
			 size_t errlen)
{
	struct ini_entries e = { NULL, 0, 0 };
	int has = 0;
	int rc;

	rc = inifile_parse_string(text, name, section, &e, &has, err, errlen);
	if (rc == 0) {
		rc = inifile_apply_entries(cfg, &e, name, basedir, warnings,
					   err, errlen);
	}
	inifile_entries_release(&e);
	return rc;
}

