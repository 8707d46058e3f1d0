/* copyset: what of the project goes to the nodes (helper/core/copyset.c). */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "copyset.h"
#include "suites.h"

static void test_defaults_match_names(void)
{
	static const char *const out[] = { ".git", ".hg", ".svn", ".tox",
					   ".nox", ".mypy_cache", ".ruff_cache",
					   ".coverage", ".coverage.host.42" };
	/* what may hold credentials: said when left out */
	static const char *const secret[] = {
		".env", ".env.local", ".envrc", ".netrc", ".pypirc", ".npmrc",
		".git-credentials", ".pgpass", ".my.cnf", ".s3cfg", ".boto",
		".dockercfg", ".vault-token", ".aws", ".ssh", ".gnupg", ".kube",
		".azure"
	};
	static const char *const in[] = {
		".gitignore", ".github", ".env.", ".coveragerc", "git", ".venv",
		"env", ".toxic", "", ".docker", ".envrc.example", "netrc",
		".aws-config", ".ssh.py", ".npmrc.d", "envrc", ".my.cnf.sample",
		".gitconfig", ".pre-commit-config.yaml", ".editorconfig"
	};
	size_t i;

	for (i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		CU_ASSERT_PTR_NOT_NULL(copyset_default_for(out[i]));
		CU_ASSERT_FALSE(copyset_is_secret(copyset_default_for(out[i])));
	}
	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		const struct copyset_default *d =
			copyset_default_for(secret[i]);

		CU_ASSERT_PTR_NOT_NULL(d);
		CU_ASSERT_TRUE(copyset_is_secret(d));
		if (d != NULL) {
			CU_ASSERT_STRING_EQUAL(d->why, "may hold credentials");
		}
	}
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		CU_ASSERT_PTR_NULL(copyset_default_for(in[i]));
	}
	CU_ASSERT_FALSE(copyset_is_secret(NULL));
}

/* The index of rule in v, or -1. */
static long at(const struct strvec *v, const char *rule)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		if (strcmp(v->v[i], rule) == 0) {
			return (long)i;
		}
	}
	return -1;
}

static void test_filters(void)
{
	struct cloud_config cfg;
	struct strvec v = STRVEC_INIT;
	size_t n;

	config_init(&cfg);
	cfg.rootdir = strdup("/p");
	cfg.venv_rel = strdup(".venv");
	CU_ASSERT_EQUAL_FATAL(copyset_filters(&cfg, 0, &v), 0);
	copyset_defaults(&n);
	/* nothing copied anyway: the defaults, then nothing of the user's */
	CU_ASSERT_EQUAL(v.n, n);
	CU_ASSERT_STRING_EQUAL(v.v[0], "--exclude=.git");
	strvec_clear(&v);

	/* a virtualenv tox made: it, not tox's others */
	free(cfg.venv_rel);
	cfg.venv_rel = strdup(".tox/py311");
	strvec_push(&cfg.rsyncinclude, ".git");
	strvec_push(&cfg.rsyncinclude, "conf/.env");
	strvec_push(&cfg.rsyncignore, "docs");
	CU_ASSERT_EQUAL_FATAL(copyset_filters(&cfg, 1, &v), 0);
	CU_ASSERT(at(&v, "--include=/.git/***") >= 0);
	CU_ASSERT(at(&v, "--include=/conf/") >= 0);
	CU_ASSERT(at(&v, "--include=/conf/.env/***") >= 0);
	CU_ASSERT(at(&v, "--include=/conf/.env") >= 0); /* a file */
	CU_ASSERT(at(&v, "--include=/.tox/") >= 0);
	CU_ASSERT(at(&v, "--include=/.tox/py311/***") >= 0);
	CU_ASSERT(at(&v, "--exclude=/.tox/**") > at(&v, "--include=/.tox/py311/***"));
	/* rsync takes the first rule that matches: what is copied anyway
	 * comes before every default, the user's ignores after them */
	CU_ASSERT(at(&v, "--include=/conf/.env/***") < at(&v, "--exclude=.env"));
	CU_ASSERT(at(&v, "--exclude=/.tox/**") < at(&v, "--exclude=.tox"));
	CU_ASSERT(at(&v, "--exclude=.env.*") < at(&v, "--exclude=/docs"));
	/* the credential files and folders at any level, after what is
	 * copied anyway */
	CU_ASSERT(at(&v, "--exclude=.netrc") > at(&v, "--include=/conf/.env"));
	CU_ASSERT(at(&v, "--exclude=.aws") >= 0);
	CU_ASSERT(at(&v, "--exclude=.ssh") >= 0);
	CU_ASSERT(at(&v, "--exclude=.docker") < 0);
	strvec_clear(&v);

	/* cloud_rsync_include brings one of them: before its default */
	strvec_clear(&cfg.rsyncinclude);
	strvec_push(&cfg.rsyncinclude, ".aws");
	strvec_push(&cfg.rsyncinclude, ".netrc");
	CU_ASSERT_EQUAL_FATAL(copyset_filters(&cfg, 0, &v), 0);
	CU_ASSERT(at(&v, "--include=/.aws/***") >= 0);
	CU_ASSERT(at(&v, "--include=/.aws/***") < at(&v, "--exclude=.aws"));
	CU_ASSERT(at(&v, "--include=/.netrc") >= 0);
	CU_ASSERT(at(&v, "--include=/.netrc") < at(&v, "--exclude=.netrc"));
	strvec_clear(&v);
	config_release(&cfg);
}

static void test_vcs_tools(void)
{
	CU_ASSERT_STRING_EQUAL(copyset_vcs_tool("[build-system]\nrequires = "
						"[\"setuptools>=64\", "
						"\"setuptools_scm>=8\"]\n"),
			       "setuptools-scm");
	CU_ASSERT_STRING_EQUAL(copyset_vcs_tool("requires = [\"hatchling\", "
						"\"hatch-vcs\"]"),
			       "hatch-vcs");
	CU_ASSERT_STRING_EQUAL(copyset_vcs_tool("setup(pbr=True)\n"), "pbr");
	CU_ASSERT_STRING_EQUAL(copyset_vcs_tool("[tool.versioningit]\n"),
			       "versioningit");
	CU_ASSERT_PTR_NULL(copyset_vcs_tool("setup(name='pbring', "
					    "version='1.0')\n"));
	CU_ASSERT_PTR_NULL(copyset_vcs_tool("my_pbr = 1\nnot_dunamai_x\n"));
	CU_ASSERT_PTR_NULL(copyset_vcs_tool("[project]\nversion = \"1\"\n"));
	CU_ASSERT_PTR_NULL(copyset_vcs_tool(NULL));
}

static void test_listing(void)
{
	static const char out[] =
		"drwxr-xr-x        4096 2026/12/02 13:00:00 .\n"
		"-rw-r--r--          96 2026/12/02 13:00:00 calc.py\n"
		"drwxr-xr-x        4096 2026/12/02 13:00:00 .venv\n"
		"drwxr-xr-x        4096 2026/12/02 13:00:00 .venv/bin\n"
		"lrwxrwxrwx          16 2026/12/02 13:00:00 .venv/bin/python "
		"-> /usr/bin/python3\n"
		"-rw-r--r--        5000 2026/12/02 13:00:00 .venv/pyvenv.cfg\n"
		"-rw-r--r--         200 2026/12/02 13:00:00 my notes.txt\n"
		"drwxr-xr-x        4096 2026/12/02 13:00:00 empty\n"
		"rsync: [sender] some complaint\n"
		"-rw-r--r--    12000000 2026/12/02 13:00:00 big/data.bin";
	struct copyset_list l;
	char buf[32];

	CU_ASSERT_EQUAL_FATAL(copyset_parse_list(out, &l), 0);
	CU_ASSERT_EQUAL_FATAL(l.n, 5);
	CU_ASSERT_EQUAL(l.files, 5);
	CU_ASSERT_EQUAL(l.bytes, 96 + 16 + 5000 + 200 + 12000000);
	CU_ASSERT_STRING_EQUAL(l.v[0].name, "big");
	CU_ASSERT_EQUAL(l.v[0].dir, 1);
	CU_ASSERT_STRING_EQUAL(l.v[1].name, ".venv");
	CU_ASSERT_EQUAL(l.v[1].files, 2);
	CU_ASSERT_EQUAL(l.v[1].bytes, 5016);
	CU_ASSERT_STRING_EQUAL(l.v[2].name, "my notes.txt");
	CU_ASSERT_EQUAL(l.v[2].dir, 0);
	CU_ASSERT_STRING_EQUAL(l.v[3].name, "calc.py");
	CU_ASSERT_STRING_EQUAL(l.v[4].name, "empty");
	CU_ASSERT_EQUAL(l.v[4].files, 0);
	copyset_list_release(&l);

	copyset_size_text(999, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "999 B");
	copyset_size_text(1000, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1.0 kB");
	copyset_size_text(45600000, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "45.6 MB");
	copyset_size_text(7100000000LL, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "7.1 GB");
}

int suite_copyset(void)
{
	CU_pSuite s = CU_add_suite("copyset", NULL, NULL);

	return (s && CU_add_test(s, "defaults match names",
				 test_defaults_match_names) &&
		CU_add_test(s, "filter rules in rsync's order", test_filters) &&
		CU_add_test(s, "versions from git", test_vcs_tools) &&
		CU_add_test(s, "rsync's listing summed", test_listing))
		       ? 0
		       : -1;
}
