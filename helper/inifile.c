/* inifile: ini discovery and reading (see inifile.h). */
#define _GNU_SOURCE
#include "inifile.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "msgs.h"
#include "opts.h"

#define INIFILE_MAX_BYTES (1024 * 1024)

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

static int add_entry(struct parse_state *st, const char *key,
		     const char *value)
{
	struct ini_entries *out = st->out;
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
	e->line = st->line;
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
	if (add_entry(st, name, value) < 0) {
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

	while (p != NULL && *p != '\0') {
		const char *q = p + strspn(p, " \t");

		if (q[0] == '[' && strncmp(q + 1, section, len) == 0 &&
		    q[1 + len] == ']') {
			return 1;
		}
		p = strchr(p, '\n');
		if (p != NULL) {
			p++;
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

/* Reads a whole file into a NUL-terminated buffer; NULL with err. */
static char *slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n;

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(errno));
		return NULL;
	}
	buf = malloc(INIFILE_MAX_BYTES + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, INIFILE_MAX_BYTES + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(errno));
		free(buf);
		buf = NULL;
		goto out;
	}
	if (n > INIFILE_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
			 INIFILE_MAX_BYTES);
		free(buf);
		buf = NULL;
		goto out;
	}
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
out:
	fclose(f);
	return buf;
}

const char *inifile_section_for(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return strcmp(base, "setup.cfg") == 0 ? "tool:pytest" : "pytest";
}

/* 1 when the file at path is pytest's config file, 0 when not, -1. */
static int file_matches(const char *path, const char *base, char *err,
			size_t errlen)
{
	struct ini_entries e = { NULL, 0, 0 };
	char *text;
	int has = 0;
	int rc;

	if (strcmp(base, "pytest.ini") == 0) {
		return 1;
	}
	text = slurp(path, err, errlen);
	if (text == NULL) {
		return -1;
	}
	rc = inifile_parse_string(text, path, inifile_section_for(path), &e,
				  &has, err, errlen);
	inifile_entries_release(&e);
	free(text);
	return rc < 0 ? -1 : has;
}

int inifile_find(const char *startdir, char **path, const char **section,
		 char *err, size_t errlen)
{
	static const char *names[] = { "pytest.ini", "tox.ini", "setup.cfg" };
	char *dir = strdup(startdir);
	int found = 0;

	*path = NULL;
	if (dir == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		size_t i;
		char *slash;

		for (i = 0; i < 3 && found == 0; i++) {
			char *cand = NULL;
			FILE *f;

			if (asprintf(&cand, "%s/%s", strcmp(dir, "/") ? dir : "",
				     names[i]) < 0) {
				found = -1;
				snprintf(err, errlen, "out of memory");
				break;
			}
			f = fopen(cand, "r");
			if (f == NULL) {
				free(cand);
				continue;
			}
			fclose(f);
			found = file_matches(cand, names[i], err, errlen);
			if (found == 1) {
				*path = cand;
				*section = inifile_section_for(cand);
			} else {
				free(cand);
			}
		}
		if (found != 0 || strcmp(dir, "/") == 0) {
			break;
		}
		slash = strrchr(dir, '/');
		if (slash == dir) {
			dir[1] = '\0';
		} else if (slash != NULL) {
			*slash = '\0';
		} else {
			break;
		}
	}
	free(dir);
	return found;
}

static int apply_entries(struct cloud_config *cfg,
			 const struct ini_entries *e, const char *name,
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

				warnf("%s: unknown key, ignored%s%s%s", origin,
				      near ? " (did you mean '" : "",
				      near ? near : "", near ? "'?)" : "");
			}
			continue;
		}
		if (config_set(cfg, def, e->v[i].value, SRC_INI, origin, err,
			       errlen) < 0) {
			return -1;
		}
	}
	return 0;
}

int inifile_apply_string(struct cloud_config *cfg, const char *text,
			 const char *name, const char *section, char *err,
			 size_t errlen)
{
	struct ini_entries e = { NULL, 0, 0 };
	int has = 0;
	int rc;

	rc = inifile_parse_string(text, name, section, &e, &has, err, errlen);
	if (rc == 0) {
		rc = apply_entries(cfg, &e, name, err, errlen);
	}
	inifile_entries_release(&e);
	return rc;
}

int inifile_apply(struct cloud_config *cfg, const char *path,
		  const char *section, char *err, size_t errlen)
{
	char *text = slurp(path, err, errlen);
	int rc;

	if (text == NULL) {
		return -1;
	}
	rc = inifile_apply_string(cfg, text, path, section, err, errlen);
	free(text);
	return rc;
}
