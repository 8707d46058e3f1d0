/* adopt: init's edits of the user's files and the version handshake. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "cfgedit.h"
#include "udiff.h"
#include "versions.h"
#include "suites.h"

#define FIRST "\"\"\"pytest-cloud: run this project's tests on SSH nodes " \
	      "with pytest-xdist.\n"

/* One edit's result against what it should be: the text want and
 * whether it changed; want NULL: refused, with a reason that contains
 * want_why (any reason when want_why is NULL).  Frees out. */
static void check_edit(char *out, int changed, const char *why,
		       const char *want, int want_changed, const char *want_why)
{
	if (want == NULL) {
		CU_ASSERT_PTR_NULL(out);
		if (want_why != NULL) {
			CU_ASSERT_PTR_NOT_NULL(strstr(why, want_why));
		} else {
			CU_ASSERT_NOT_EQUAL(why[0], '\0');
		}
		free(out);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(changed, want_changed);
	free(out);
}

/* adopt_add_plugin on text: the result must equal want (NULL: refused,
 * and why must contain the fragment given as want_why). */
static void check_plugin(const char *text, const char *want, int want_changed,
			 const char *want_why)
{
	char why[300] = "";
	int changed = -1;
	char *out = adopt_add_plugin(text, &changed, why, sizeof(why));

	check_edit(out, changed, why, want, want_changed, want_why);
}

static void test_plugin_line_at_the_top(void)
{
	/* no docstring: before the first statement, after the comments */
	check_plugin("# fixtures\nimport pytest\n",
		     "# fixtures\npytest_plugins = [\"pytest_cloud_plugin\"]\n"
		     "import pytest\n",
		     1, NULL);
	/* after a docstring of several lines and the __future__ imports */
	check_plugin("\"\"\"Our\nfixtures.\"\"\"\nfrom __future__ import "
		     "annotations\n\nimport pytest\n",
		     "\"\"\"Our\nfixtures.\"\"\"\nfrom __future__ import "
		     "annotations\npytest_plugins = [\"pytest_cloud_plugin\"]"
		     "\n\nimport pytest\n",
		     1, NULL);
	/* empty file, and a file without a newline at its end */
	check_plugin("", "pytest_plugins = [\"pytest_cloud_plugin\"]\n", 1,
		     NULL);
	check_plugin("'''doc'''",
		     "'''doc'''\npytest_plugins = [\"pytest_cloud_plugin\"]\n",
		     1, NULL);
	/* CRLF kept */
	check_plugin("import os\r\nimport pytest\r\n",
		     "pytest_plugins = [\"pytest_cloud_plugin\"]\r\n"
		     "import os\r\nimport pytest\r\n",
		     1, NULL);
	/* a docstring that mentions pytest_plugins is not a use of it */
	check_plugin("\"\"\"Sets no pytest_plugins here.\"\"\"\n# pytest_plugins"
		     " = ['x']\nX = 1\n",
		     "\"\"\"Sets no pytest_plugins here.\"\"\"\npytest_plugins ="
		     " [\"pytest_cloud_plugin\"]\n# pytest_plugins = ['x']\n"
		     "X = 1\n",
		     1, NULL);
}

static void test_plugin_list_extended(void)
{
	check_plugin("pytest_plugins = []\n",
		     "pytest_plugins = [\"pytest_cloud_plugin\"]\n", 1, NULL);
	check_plugin("pytest_plugins = ['a.b', 'c']  # ours\nX = 1\n",
		     "pytest_plugins = ['a.b', 'c', 'pytest_cloud_plugin']  "
		     "# ours\nX = 1\n",
		     1, NULL);
	check_plugin("pytest_plugins = (\"a\",)\n",
		     "pytest_plugins = (\"a\", \"pytest_cloud_plugin\")\n", 1,
		     NULL);
	check_plugin("pytest_plugins: list = [\"a\"]\n",
		     "pytest_plugins: list = [\"a\", \"pytest_cloud_plugin\"]\n",
		     1, NULL);
	/* one element a line, with a comment and no trailing comma */
	check_plugin("pytest_plugins = [\n    \"a\",\n    \"b\"  # the b\n]\n",
		     "pytest_plugins = [\n    \"a\",\n    \"b\",  # the b\n"
		     "    \"pytest_cloud_plugin\",\n]\n",
		     1, NULL);
	check_plugin("pytest_plugins = [\r\n\t'a',\r\n]\r\n",
		     "pytest_plugins = [\r\n\t'a',\r\n\t'pytest_cloud_plugin',"
		     "\r\n]\r\n",
		     1, NULL);
	/* the last element on the bracket's line */
	check_plugin("pytest_plugins = [\"a\",\n                  \"b\"]\n",
		     "pytest_plugins = [\"a\",\n                  \"b\", "
		     "\"pytest_cloud_plugin\"]\n",
		     1, NULL);
	/* a string becomes a list */
	check_plugin("pytest_plugins = \"a\"\n",
		     "pytest_plugins = [\"a\", \"pytest_cloud_plugin\"]\n", 1,
		     NULL);
}

static void test_plugin_listed_already(void)
{
	check_plugin("pytest_plugins = [\"a\", \"pytest_cloud_plugin\"]\n",
		     "pytest_plugins = [\"a\", \"pytest_cloud_plugin\"]\n", 0,
		     NULL);
	check_plugin("X = 1\npytest_plugins = ['pytest_cloud_plugin']\n",
		     "X = 1\npytest_plugins = ['pytest_cloud_plugin']\n", 0,
		     NULL);
}

static void test_plugin_refused(void)
{
	check_plugin("pytest_plugins = base + [\"a\"]\n", NULL, 0,
		     "line 1: pytest_plugins is not a list");
	check_plugin("pytest_plugins = [\"a\"]\npytest_plugins += [\"b\"]\n",
		     NULL, 0, "line 2: pytest_plugins is set in a way");
	check_plugin("import x\nif x:\n    pytest_plugins = [\"a\"]\n", NULL, 0,
		     "line 3: pytest_plugins is set in a way");
	check_plugin("pytest_plugins.append('a')\n", NULL, 0,
		     "line 1: pytest_plugins is set in a way");
	check_plugin("pytest_plugins = [\"a\"]\npytest_plugins = [\"b\"]\n", NULL,
		     0, "line 2");
	check_plugin("pytest_plugins = f\"{x}\"\n", NULL, 0,
		     "not a list, tuple or string");
}

static void test_classify(void)
{
	const char *plugin = FIRST "\"\"\"\nimport pytest\n\nPYTEST_CLOUD_VERSION"
			     " = \"0.2.0\"\n\n\ndef merge_durations(a):\n    "
			     "return a\n\n\nclass _Run:\n    def x(self):\n"
			     "        pass\n\n\n@pytest.hookimpl(tryfirst=True)\n"
			     "def pytest_cmdline_main(config):\n    return None\n";
	const char *old = FIRST "\"\"\"\nimport pytest\n\n\nclass _CloudXdist:\n"
			  "    pass\n\n\ndef pytest_cmdline_main(config):\n"
			  "    return None\n";
	char *edited = NULL;
	char version[32];

	CU_ASSERT_EQUAL(adopt_classify(plugin, plugin, version,
				       sizeof(version)),
			ADOPT_OURS);
	CU_ASSERT_STRING_EQUAL(version, "0.2.0");
	/* a copy from before the handshake: 0.1.0 */
	CU_ASSERT_EQUAL(adopt_classify(old, plugin, version, sizeof(version)),
			ADOPT_OURS);
	CU_ASSERT_STRING_EQUAL(version, "0.1.0");
	/* a fixture of the project's own in the copy */
	CU_ASSERT_NOT_EQUAL(asprintf(&edited, "%s\n\n@pytest.fixture\ndef db():"
					      "\n    return 1\n",
				     old),
			    -1);
	CU_ASSERT_EQUAL(adopt_classify(edited, plugin, version,
				       sizeof(version)),
			ADOPT_OURS_EDITED);
	free(edited);
	CU_ASSERT_NOT_EQUAL(asprintf(&edited, "%sdef helper():\n    pass\n",
				     plugin),
			    -1);
	CU_ASSERT_EQUAL(adopt_classify(edited, plugin, version,
				       sizeof(version)),
			ADOPT_OURS_EDITED);
	free(edited);
	CU_ASSERT_EQUAL(adopt_classify("import pytest\n", plugin, version,
				       sizeof(version)),
			ADOPT_NOT_OURS);
}

static void test_conflict(void)
{
	char why[300];

	CU_ASSERT_EQUAL(adopt_conftest_conflict("def pytest_addoption(parser):\n"
						"    parser.addoption("
						"\"--cloud-nodes\")\n",
						why, sizeof(why)),
			1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "option names already added"));
	CU_ASSERT_EQUAL(adopt_conftest_conflict("import pytest\n\n"
						"def pytest_configure(config):"
						"\n    pass\n",
						why, sizeof(why)),
			0);
}

static void test_versions(void)
{
	CU_ASSERT_EQUAL(versions_contract("0.2.0", "0.2.0"), CONTRACT_SAME);
	CU_ASSERT_EQUAL(versions_contract("0.2.3", "0.2.0"), CONTRACT_PATCH);
	CU_ASSERT_EQUAL(versions_contract("0.1.0", "0.2.0"), CONTRACT_OTHER);
	CU_ASSERT_EQUAL(versions_contract("1.2.0", "0.2.0"), CONTRACT_OTHER);
	CU_ASSERT_EQUAL(versions_contract("0.2", "0.2.0"), CONTRACT_BAD);
	CU_ASSERT_EQUAL(versions_contract("0.2.0x", "0.2.0"), CONTRACT_BAD);
	CU_ASSERT_EQUAL(versions_contract("", "0.2.0"), CONTRACT_BAD);
	CU_ASSERT_EQUAL(versions_cmp("0.10.0", "0.9.9"), 1);
	CU_ASSERT_EQUAL(versions_cmp("0.1.0", "0.2.0"), -1);
	CU_ASSERT_EQUAL(versions_cmp("0.2.0", "0.2.0"), 0);
	CU_ASSERT_EQUAL(versions_cmp("junk", "0.2.0"), -1);
}

static void check_nodes(const char *text, enum cfgedit_format f,
			const char *nodes, const char *want, int want_changed)
{
	char why[300] = "";
	int changed = -1;
	char *out = cfgedit_add_nodes(text, f, nodes, &changed, why, sizeof(why));

	check_edit(out, changed, why, want, want_changed, NULL);
}

static void test_nodes_ini(void)
{
	/* after the section's last setting (and its continuation lines),
	 * before the comments and blank lines that lead to the next one */
	check_nodes("[pytest]\naddopts = -q\n    -ra\n\n; tox\n[tox]\nx = 1\n",
		    FORMAT_INI, "a b:22",
		    "[pytest]\naddopts = -q\n    -ra\ncloud_nodes = a b:22\n\n"
		    "; tox\n[tox]\nx = 1\n",
		    1);
	check_nodes("[metadata]\nname = x\n[tool:pytest]\ntestpaths = t\n",
		    FORMAT_SETUP_CFG, NULL,
		    "[metadata]\nname = x\n[tool:pytest]\ntestpaths = t\n"
		    "# cloud_nodes = user@node1 user@node2\n",
		    1);
	/* the example is there: nothing; with nodes: the line after it */
	check_nodes("[pytest]\n# cloud_nodes = user@node1 user@node2\n",
		    FORMAT_INI, NULL,
		    "[pytest]\n# cloud_nodes = user@node1 user@node2\n", 0);
	check_nodes("[pytest]\n# cloud_nodes = user@node1 user@node2\nx = 1\n",
		    FORMAT_INI, "n1",
		    "[pytest]\n# cloud_nodes = user@node1 user@node2\n"
		    "cloud_nodes = n1\nx = 1\n",
		    1);
	/* set already (either spelling): unchanged */
	check_nodes("[pytest]\ncloud_nodes: n1\n", FORMAT_INI, "n2",
		    "[pytest]\ncloud_nodes: n1\n", 0);
	/* CRLF, no newline at the end */
	check_nodes("[pytest]\r\nx = 1", FORMAT_INI, "n1",
		    "[pytest]\r\nx = 1\r\ncloud_nodes = n1", 1);
	/* no section: one at the end */
	check_nodes("", FORMAT_INI, "n1", "[pytest]\ncloud_nodes = n1\n", 1);
	check_nodes("[other]\nx = 1\n", FORMAT_INI, "n1",
		    "[other]\nx = 1\n\n[pytest]\ncloud_nodes = n1\n", 1);
	/* a [pytest] elsewhere than column 0 is a continuation, not a
	 * section (as pytest reads it) */
	check_nodes("[x]\nk =\n  [pytest]\n", FORMAT_INI, "n1",
		    "[x]\nk =\n  [pytest]\n\n[pytest]\ncloud_nodes = n1\n", 1);
}

static void test_nodes_toml(void)
{
	check_nodes("[project]\nname = \"x\"\n\n[tool.pytest.ini_options]\n"
		    "addopts = [\n  \"-q\",\n  \"[x]\",\n]\n\n[tool.other]\n",
		    FORMAT_PYPROJECT, "a b",
		    "[project]\nname = \"x\"\n\n[tool.pytest.ini_options]\n"
		    "addopts = [\n  \"-q\",\n  \"[x]\",\n]\ncloud_nodes = \"a b\""
		    "\n\n[tool.other]\n",
		    1);
	/* pytest 9's native table: a list */
	check_nodes("[tool.pytest]\nminversion = \"9.0\"\n", FORMAT_PYPROJECT,
		    "a b",
		    "[tool.pytest]\nminversion = \"9.0\"\ncloud_nodes = [\"a\", "
		    "\"b\"]\n",
		    1);
	check_nodes("[pytest]\n", FORMAT_PYTEST_TOML, NULL,
		    "[pytest]\n# cloud_nodes = [\"user@node1\", \"user@node2\"]"
		    "\n",
		    1);
	/* a bare pyproject.toml gets the ini_options table */
	check_nodes("[project]\nname = \"x\"\n", FORMAT_PYPROJECT, "n1",
		    "[project]\nname = \"x\"\n\n[tool.pytest.ini_options]\n"
		    "cloud_nodes = \"n1\"\n",
		    1);
	/* a multi-line string that holds a table header is not one */
	check_nodes("[tool.pytest.ini_options]\nx = \"\"\"\n[y]\n\"\"\"\n",
		    FORMAT_PYPROJECT, "n1",
		    "[tool.pytest.ini_options]\nx = \"\"\"\n[y]\n\"\"\"\n"
		    "cloud_nodes = \"n1\"\n",
		    1);
	check_nodes("[tool.pytest]\ncloud_nodes = [\"n0\"]\n", FORMAT_PYPROJECT,
		    "n1", "[tool.pytest]\ncloud_nodes = [\"n0\"]\n", 0);
	/* two tables: refused */
	check_nodes("[tool.pytest]\n[tool.pytest.ini_options]\n",
		    FORMAT_PYPROJECT, "n1", NULL, 0);
	CU_ASSERT_EQUAL(cfgedit_format("/p/pyproject.toml"), FORMAT_PYPROJECT);
	CU_ASSERT_EQUAL(cfgedit_format(".pytest.toml"), FORMAT_PYTEST_TOML);
	CU_ASSERT_EQUAL(cfgedit_format("/p/setup.cfg"), FORMAT_SETUP_CFG);
	CU_ASSERT_EQUAL(cfgedit_format("/p/tox.ini"), FORMAT_INI);
}

static void test_diff(void)
{
	char *d = udiff_make("a\nb\nc\nd\ne\nf\ng\n", "a\nb\nc\nd\nX\ne\nf\ng\n",
			     "conftest.py");

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d, "--- a/conftest.py\n+++ b/conftest.py\n"
				  "@@ -2,6 +2,7 @@\n b\n c\n d\n+X\n e\n f\n g\n");
	free(d);
	d = udiff_make("x = 1", "x = 1\ny = 2", "f");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d, "--- a/f\n+++ b/f\n@@ -1,1 +1,2 @@\n-x = 1\n"
				  "\\ No newline at end of file\n+x = 1\n+y = 2\n"
				  "\\ No newline at end of file\n");
	free(d);
	d = udiff_make("", "[pytest]\n", "pytest.ini");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d, "--- a/pytest.ini\n+++ b/pytest.ini\n"
				  "@@ -0,0 +1,1 @@\n+[pytest]\n");
	free(d);
	d = udiff_make("same\n", "same\n", "f");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d, "");
	free(d);
}

int suite_adopt(void)
{
	CU_pSuite s = CU_add_suite("adopt", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "pytest_plugins line at the top",
			test_plugin_line_at_the_top) == NULL ||
	    CU_add_test(s, "pytest_plugins extended",
			test_plugin_list_extended) == NULL ||
	    CU_add_test(s, "pytest_plugins listed already",
			test_plugin_listed_already) == NULL ||
	    CU_add_test(s, "pytest_plugins refused", test_plugin_refused) ==
		    NULL ||
	    CU_add_test(s, "classify a copy", test_classify) == NULL ||
	    CU_add_test(s, "a conftest with our hooks", test_conflict) ==
		    NULL ||
	    CU_add_test(s, "versions", test_versions) == NULL ||
	    CU_add_test(s, "cloud_nodes in ini files", test_nodes_ini) ==
		    NULL ||
	    CU_add_test(s, "cloud_nodes in TOML", test_nodes_toml) == NULL ||
	    CU_add_test(s, "diff", test_diff) == NULL) {
		return -1;
	}
	return 0;
}
