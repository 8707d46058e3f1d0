#define _GNU_SOURCE
/* inifile: values as pytest's ini reader gives them. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "inifile.h"
#include "pyproject.h"
#include "suites.h"

static const char *value_of(const struct ini_entries *e, const char *key,
			    int *line)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		if (strcmp(e->v[i].key, key) == 0) {
			if (line) {
				*line = e->v[i].line;
			}
			return e->v[i].value;
		}
	}
	return NULL;
}

static void test_syntax(void)
{
	const char *text = "# comment\n"
			   "[other]\n"
			   "cloud_nodes = wrong\n"
			   "[pytest]\n"
			   "; another comment\n"
			   "cloud_nodes = a b ; not a comment\n"
			   "cloud_python: python3.11\n"
			   "cloud_develop_eggs =\n"
			   "    src/one\n"
			   "# comment inside\n"
			   "    src/two\n"
			   "empty =\n";
	struct ini_entries e = { NULL, 0, 0 };
	char err[256];
	int has = 0;
	int line = 0;

	CU_ASSERT_EQUAL_FATAL(inifile_parse_string(text, "t.ini", "pytest", &e,
						   &has, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(has, 1);
	CU_ASSERT_STRING_EQUAL(value_of(&e, "cloud_nodes", &line),
			       "a b ; not a comment");
	CU_ASSERT_EQUAL(line, 6);
	CU_ASSERT_STRING_EQUAL(value_of(&e, "cloud_python", &line),
			       "python3.11");
	CU_ASSERT_EQUAL(line, 7);
	CU_ASSERT_STRING_EQUAL(value_of(&e, "cloud_develop_eggs", &line),
			       "src/one\nsrc/two");
	CU_ASSERT_EQUAL(line, 8);
	CU_ASSERT_STRING_EQUAL(value_of(&e, "empty", NULL), "");
	inifile_entries_release(&e);

	CU_ASSERT_EQUAL(inifile_parse_string("[tool:pytest]\n", "setup.cfg",
					     "tool:pytest", &e, &has, err,
					     sizeof(err)),
			0);
	CU_ASSERT_EQUAL(has, 1);
	CU_ASSERT_EQUAL(e.n, 0);
	inifile_entries_release(&e);
	CU_ASSERT_EQUAL(inifile_parse_string("[testenv]\nx=1\n", "tox.ini",
					     "pytest", &e, &has, err,
					     sizeof(err)),
			0);
	CU_ASSERT_EQUAL(has, 0);
	inifile_entries_release(&e);
}

/* A 2,000+ character line (and a 200,000 one) reads whole. */
static void test_long_lines(void)
{
	size_t counts[] = { 100, 10000 };
	size_t c;

	for (c = 0; c < 2; c++) {
		size_t size = counts[c] * 24 + 64;
		char *text = malloc(size);
		char *want = malloc(size);
		struct ini_entries e = { NULL, 0, 0 };
		char err[256];
		int has;
		size_t i;
		int line = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		CU_ASSERT_PTR_NOT_NULL_FATAL(want);
		want[0] = '\0';
		for (i = 0; i < counts[c]; i++) {
			char node[32];

			snprintf(node, sizeof(node), "%suser@node%05zu",
				 i ? " " : "", i);
			strcat(want, node);
		}
		snprintf(text, size, "[pytest]\ncloud_nodes = %s\nnext = 1\n",
			 want);
		CU_ASSERT_EQUAL_FATAL(inifile_parse_string(text, "t", "pytest",
							   &e, &has, err,
							   sizeof(err)),
				      0);
		CU_ASSERT_EQUAL(strlen(value_of(&e, "cloud_nodes", NULL)),
				strlen(want));
		CU_ASSERT_STRING_EQUAL(value_of(&e, "cloud_nodes", NULL),
				       want);
		CU_ASSERT_STRING_EQUAL(value_of(&e, "next", &line), "1");
		CU_ASSERT_EQUAL(line, 3);
		inifile_entries_release(&e);
		free(text);
		free(want);
	}
}

static void test_pyproject(void)
{
	const char *text = "[project]\nname = \"x\"\n"
			   "[tool.pytest.ini_options]\n"
			   "testpaths = [\"tests\"]\n"
			   "cloud_nodes = [\"a@n1\", \"n2:2222\"]\n"
			   "cloud_max_processes = 3\n"
			   "cloud_python = 'python3.11'\n"
			   "xfail_strict = true\n";
	struct ini_entries e = { NULL, 0, 0 };
	char err[256] = "";
	size_t i;
	int seen = 0;
	int native = -1;

	CU_ASSERT_EQUAL_FATAL(pyproject_parse(text, strlen(text), "pp.toml", 0,
					      &e, &native, err, sizeof(err)),
			      1);
	CU_ASSERT_EQUAL(native, 0);
	for (i = 0; i < e.n; i++) {
		if (strcmp(e.v[i].key, "cloud_nodes") == 0) {
			CU_ASSERT_STRING_EQUAL(e.v[i].value, "a@n1\nn2:2222");
			CU_ASSERT_EQUAL(e.v[i].is_list, 1);
			CU_ASSERT_EQUAL(e.v[i].line, 5);
			seen++;
		} else if (strcmp(e.v[i].key, "cloud_max_processes") == 0) {
			CU_ASSERT_STRING_EQUAL(e.v[i].value, "3");
			CU_ASSERT_EQUAL(e.v[i].is_list, 0);
			seen++;
		} else if (strcmp(e.v[i].key, "xfail_strict") == 0) {
			CU_ASSERT_STRING_EQUAL(e.v[i].value, "True");
			seen++;
		} else if (strcmp(e.v[i].key, "cloud_python") == 0) {
			CU_ASSERT_STRING_EQUAL(e.v[i].value, "python3.11");
			seen++;
		}
	}
	CU_ASSERT_EQUAL(seen, 4);
	inifile_entries_release(&e);

	/* no table: not a pytest config */
	CU_ASSERT_EQUAL(pyproject_parse("[tool.black]\nx = 1\n", 19, "p", 0, &e,
					&native, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(e.n, 0);
	/* invalid TOML names file, line and column */
	CU_ASSERT_EQUAL(pyproject_parse("[tool.pytest.ini_options]\nx = [\n",
					strlen("[tool.pytest.ini_options]\nx = [\n"),
					"pyproject.toml", 0, &e, &native,
					err, sizeof(err)),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "pyproject.toml:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not valid TOML"));
	inifile_entries_release(&e);
	/* a table value is not something pytest takes */
	text = "[tool.pytest.ini_options]\ncloud_nodes = { a = 1 }\n";
	CU_ASSERT_EQUAL(pyproject_parse(text, strlen(text), "p.toml", 0, &e,
					&native, err, sizeof(err)),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "p.toml:2:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cloud_nodes"));
	inifile_entries_release(&e);
}

/* pytest 9: [tool.pytest] with native TOML types, pytest.toml's [pytest] */
static void test_pytest9_toml(void)
{
	static const char native_pp[] =
		"[tool.pytest]\n"
		"minversion = \"9.0\"\n"
		"cloud_nodes = [\"n1\", \"n2\"]\n"
		"cloud_max_processes = 4\n";
	static const char both[] =
		"[tool.pytest]\ncloud_nodes = [\"n1\"]\n"
		"[tool.pytest.ini_options]\ncloud_chdir = \"x\"\n";
	static const char pytest_toml[] =
		"[pytest]\ncloud_nodes = [\"a@n1\"]\ncloud_python = \"py\"\n";
	struct ini_entries e = { NULL, 0, 0 };
	char err[256] = "";
	int native = 0;

	CU_ASSERT_EQUAL(pyproject_parse(native_pp, strlen(native_pp),
					"pyproject.toml", 0, &e, &native, err,
					sizeof(err)),
			1);
	CU_ASSERT_EQUAL(native, 1);
	CU_ASSERT_EQUAL_FATAL(e.n, 3);
	for (size_t i = 0; i < e.n; i++) { /* toml++ sorts the keys */
		if (strcmp(e.v[i].key, "cloud_nodes") == 0) {
			CU_ASSERT_STRING_EQUAL(e.v[i].value, "n1\nn2");
			CU_ASSERT_EQUAL(e.v[i].is_list, 1);
			CU_ASSERT_EQUAL(e.v[i].line, 3);
		} else if (strcmp(e.v[i].key, "cloud_max_processes") == 0) {
			CU_ASSERT_STRING_EQUAL(e.v[i].value, "4");
		}
	}
	inifile_entries_release(&e);
	/* both at once: pytest 9 refuses it */
	CU_ASSERT_EQUAL(pyproject_parse(both, strlen(both), "pyproject.toml",
					0, &e, &native, err, sizeof(err)),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot use both [tool.pytest]"));
	inifile_entries_release(&e);
	CU_ASSERT_EQUAL(pyproject_parse(pytest_toml, strlen(pytest_toml),
					"pytest.toml", 1, &e, &native, err,
					sizeof(err)),
			1);
	CU_ASSERT_EQUAL(native, 1);
	CU_ASSERT_EQUAL_FATAL(e.n, 2);
	CU_ASSERT_STRING_EQUAL(e.v[0].value, "a@n1");
	inifile_entries_release(&e);
	/* a pytest.toml without the table is still the config */
	CU_ASSERT_EQUAL(pyproject_parse("[tool.x]\n", 9, "pytest.toml", 1, &e,
					&native, err, sizeof(err)),
			1);
	CU_ASSERT_EQUAL(e.n, 0);
}

/* What inifile_check_toml says of "key = value" in a native pytest.toml
 * (NULL: it takes it); in [tool.pytest.ini_options] it takes anything. */
static void toml_says(const char *key, const char *value, const char *want)
{
	char text[256];
	char err[300] = "";
	struct ini_entries e = { NULL, 0, 0 };
	int native = 0;
	int rc;

	snprintf(text, sizeof(text), "[pytest]\n%s = %s\n", key, value);
	CU_ASSERT_EQUAL_FATAL(pyproject_parse(text, strlen(text),
					      "pytest.toml", 1, &e, &native,
					      err, sizeof(err)),
			      1);
	CU_ASSERT_EQUAL_FATAL(e.n, 1);
	rc = inifile_check_toml(opts_by_ini(key), &e.v[0], "pytest.toml:2",
				err, sizeof(err));
	if (want == NULL) {
		CU_ASSERT_EQUAL(rc, 0);
	} else {
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_STRING_EQUAL(err, want);
	}
	inifile_entries_release(&e);

	snprintf(text, sizeof(text), "[tool.pytest.ini_options]\n%s = %s\n",
		 key, value);
	CU_ASSERT_EQUAL_FATAL(pyproject_parse(text, strlen(text),
					      "pyproject.toml", 0, &e, &native,
					      err, sizeof(err)),
			      1);
	CU_ASSERT_EQUAL(e.v[0].toml, INI_TEXT);
	CU_ASSERT_EQUAL(inifile_check_toml(opts_by_ini(key), &e.v[0], "p", err,
					   sizeof(err)),
			0);
	inifile_entries_release(&e);
}

#define TOML_WHERE "pytest.toml:2: pytest 9 reads this file in TOML types, where this key takes "

/* pytest 9's native TOML takes each key only in its registered type: the
 * line says what to write, made from the value. */
static void test_toml_types(void)
{
	toml_says("cloud_nodes", "[\"n1\", \"u@n2:22\"]", NULL);
	toml_says("cloud_nodes", "\"n1  n2\"",
		  TOML_WHERE "a list of strings, not a string: write "
			     "cloud_nodes = [\"n1\", \"n2\"]");
	toml_says("cloud_nodes", "[\"n1\", 2]",
		  TOML_WHERE "a list of strings, not an array holding more "
			     "than strings: write cloud_nodes = [\"n1\", \"2\"]");
	toml_says("cloud_rsync_ignore", "\"a\\\"b\"",
		  TOML_WHERE "a list of strings, not a string: write "
			     "cloud_rsync_ignore = [\"a\\\"b\"]");
	toml_says("rsyncdirs", "\"src\"",
		  TOML_WHERE "a list of strings, not a string: write "
			     "rsyncdirs = [\"src\"]");
	toml_says("cloud_keepalive", "5", NULL);
	toml_says("cloud_keepalive", "\"5\"",
		  TOML_WHERE "a whole number, not a string: write "
			     "cloud_keepalive = 5");
	toml_says("cloud_keepalive", "\"five\"",
		  TOML_WHERE "a whole number, not a string: write "
			     "cloud_keepalive = N (a whole number)");
	toml_says("cloud_lock_timeout", "2.5",
		  TOML_WHERE "a whole number, not a float: write "
			     "cloud_lock_timeout = N (a whole number)");
	toml_says("cloud_chdir", "\"work\"", NULL);
	toml_says("cloud_chdir", "12",
		  TOML_WHERE "a string, not an integer: write "
			     "cloud_chdir = \"12\"");
	toml_says("cloud_fork", "false",
		  TOML_WHERE "a string, not a boolean: write "
			     "cloud_fork = \"no\"");
	toml_says("cloud_python", "[\"py3\"]",
		  TOML_WHERE "a string, not an array: write "
			     "cloud_python = \"py3\"");
}

/* An unknown cloud_* key is no error: it comes back as a line for the
 * caller to say (the core prints nothing). */
static void test_unknown_keys_are_warnings(void)
{
	struct cloud_config cfg;
	struct strvec warnings;
	char err[300] = "";

	strvec_init(&warnings);
	CU_ASSERT_EQUAL_FATAL(config_init(&cfg), 0);
	CU_ASSERT_EQUAL(inifile_apply_string(&cfg,
					     "[pytest]\ncloud_nodse = a\n"
					     "cloud_python = py\nother = 1\n",
					     "pytest.ini", "pytest", "/p",
					     &warnings, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL_FATAL(warnings.n, 1);
	CU_ASSERT_STRING_EQUAL(warnings.v[0],
			       "pytest.ini:2: cloud_nodse: unknown key, ignored "
			       "(did you mean 'cloud_nodes'?)");
	CU_ASSERT_STRING_EQUAL(cfg.python, "py");
	strvec_clear(&warnings);
	config_release(&cfg);
}

int suite_inifile(void)
{
	CU_pSuite s = CU_add_suite("inifile", NULL, NULL);

	return (s && CU_add_test(s, "syntax", test_syntax) &&
		CU_add_test(s, "long lines", test_long_lines) &&
		CU_add_test(s, "pyproject.toml", test_pyproject) &&
		CU_add_test(s, "pytest 9 toml", test_pytest9_toml) &&
		CU_add_test(s, "pytest 9 toml types", test_toml_types) &&
		CU_add_test(s, "unknown keys come back as warnings",
			    test_unknown_keys_are_warnings))
		       ? 0
		       : -1;
}
