#define _GNU_SOURCE
/* config and inifile: resolution across sources, and bad input. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "inifile.h"
#include "path.h"
#include "suites.h"

/* A fake environment for config_apply_env: NAME=VALUE strings. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
	size_t len = strlen(name);
	size_t i;

	for (i = 0; fake_env != NULL && fake_env[i] != NULL; i++) {
		if (strncmp(fake_env[i], name, len) == 0 &&
		    fake_env[i][len] == '=') {
			return fake_env[i] + len + 1;
		}
	}
	return NULL;
}

/* Resolves ini text, env and argv (NULL-terminated, without argv[0]);
 * returns config_* status and leaves the message in err. */
static int resolve(struct cloud_config *cfg, const char *ini,
		   const char *const *env, const char *const *args, char *err,
		   size_t errlen)
{
	char *argv[32] = { "pytest-cloud" };
	int argc = 1;

	CU_ASSERT_EQUAL_FATAL(config_init(cfg), 0);
	while (args != NULL && args[argc - 1] != NULL) {
		argv[argc] = (char *)args[argc - 1];
		argc++;
	}
	fake_env = env;
	if (ini != NULL && inifile_apply_string(cfg, ini, "pytest.ini",
						"pytest", "/p", NULL, err,
						errlen) < 0) {
		return -1;
	}
	if (config_apply_env(cfg, fake_getenv, err, errlen) < 0 ||
	    config_apply_argv(cfg, argc, argv, err, errlen) < 0) {
		return -1;
	}
	return config_verify(cfg, err, errlen);
}

static char *joined_nodes(const struct cloud_config *cfg)
{
	static char buf[512];
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < cfg->nodes.n; i++) {
		if (i) {
			strcat(buf, " ");
		}
		strcat(buf, cfg->nodes.v[i]);
	}
	return buf;
}

static void test_precedence(void)
{
	static const struct {
		const char *ini;
		const char *env[3];
		const char *args[5];
		const char *nodes;
		long max;
	} rows[] = {
		/* ini alone */
		{ "[pytest]\ncloud_nodes = a b\ncloud_max_processes = 3\n",
		  { NULL },
		  { NULL },
		  "a b",
		  3 },
		/* environment replaces ini */
		{ "[pytest]\ncloud_nodes = a b\ncloud_max_processes = 3\n",
		  { "PYTEST_CLOUD_NODES=c", "PYTEST_CLOUD_MAX_PROCESSES=4",
		    NULL },
		  { NULL },
		  "c",
		  4 },
		/* command line replaces both; repeats add up, de-duplicated */
		{ "[pytest]\ncloud_nodes = a b\n",
		  { "PYTEST_CLOUD_NODES=c", NULL },
		  { "--cloud-node=d", "--cloud-nodes=e d f", "--cloud-node",
		    "e", NULL },
		  "d e f",
		  0 },
		/* an empty variable counts as unset */
		{ "[pytest]\ncloud_nodes = a\n",
		  { "PYTEST_CLOUD_NODES=", NULL },
		  { NULL },
		  "a",
		  0 },
		/* multi-line ini value, duplicates dropped, order kept */
		{ "[pytest]\ncloud_nodes =\n    x@n1\n    n2 x@n1\n  n3\n",
		  { NULL },
		  { "--cloud-max-processes", "2", NULL },
		  "x@n1 n2 n3",
		  2 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cloud_config cfg;
		char err[512] = "";

		CU_ASSERT_EQUAL(resolve(&cfg, rows[i].ini, rows[i].env,
					rows[i].args, err, sizeof(err)),
				0);
		CU_ASSERT_STRING_EQUAL(joined_nodes(&cfg), rows[i].nodes);
		CU_ASSERT_EQUAL(cfg.max_processes, rows[i].max);
		config_release(&cfg);
	}
}

static void test_pytest_short_inifile(void)
{
	struct cloud_config cfg;
	const char *args[] = { "--cloud-node=n", "-c", "sub/tox.ini", NULL };
	char err[512];

	CU_ASSERT_EQUAL_FATAL(resolve(&cfg, NULL, NULL, args, err,
				      sizeof(err)),
			      0);
	CU_ASSERT_STRING_EQUAL(cfg.inifile, "sub/tox.ini");
	config_release(&cfg);
}

static void test_defaults(void)
{
	struct cloud_config cfg;
	const char *args[] = { "--cloud-node=n", NULL };
	char err[512];

	CU_ASSERT_EQUAL_FATAL(resolve(&cfg, NULL, NULL, args, err,
				      sizeof(err)),
			      0);
	CU_ASSERT_STRING_EQUAL(cfg.python, "python3");
	CU_ASSERT_STRING_EQUAL(cfg.rsync_cipher, "aes128-gcm@openssh.com");
	CU_ASSERT_EQUAL(cfg.connect_timeout, 10);
	CU_ASSERT_EQUAL(cfg.rsync_bandwidth_limit, 10000);
	CU_ASSERT_EQUAL(cfg.mem_per_process, 0);
	CU_ASSERT_PTR_NULL(cfg.chdir);
	cfg.rootdir = strdup("/home/me/src/my-proj");
	CU_ASSERT_EQUAL(config_finish(&cfg, "me", NULL, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(cfg.chdir, "pytest_me_my-proj");
	CU_ASSERT_STRING_EQUAL(cfg.worker_python, "python3");
	config_release(&cfg);
}

static void test_virtualenv(void)
{
	static const struct {
		const char *given;
		const char *prefix;
		const char *virtual_env;
		const char *python; /* NULL: error expected */
	} rows[] = {
		{ NULL, "/p/.venv", NULL, "c/.venv/bin/python" },
		{ NULL, NULL, "/p/env/x", "c/env/x/bin/python" },
		{ NULL, "/elsewhere/venv", NULL, "python3" },
		{ NULL, "/p", NULL, "python3" },
		{ "venv", NULL, "/p/.venv", "c/venv/bin/python" },
		{ "./a/../venv", NULL, NULL, "c/venv/bin/python" },
		{ "/p/v", NULL, NULL, "c/v/bin/python" },
		{ "../v", NULL, NULL, NULL },
		{ "/q/v", NULL, NULL, NULL },
		{ ".", NULL, NULL, NULL },
		{ "my env", NULL, NULL, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cloud_config cfg;
		char err[512] = "";
		int rc;

		CU_ASSERT_EQUAL_FATAL(config_init(&cfg), 0);
		cfg.rootdir = strdup("/p");
		cfg.chdir = strdup("c");
		if (rows[i].given) {
			cfg.virtualenv_path = strdup(rows[i].given);
		}
		if (rows[i].prefix) {
			cfg.interpreter_prefix = strdup(rows[i].prefix);
		}
		rc = config_finish(&cfg, "u", rows[i].virtual_env, err,
				   sizeof(err));
		if (rows[i].python) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_STRING_EQUAL(cfg.worker_python,
					       rows[i].python);
		} else {
			CU_ASSERT_EQUAL(rc, -1);
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "virtualenv"));
		}
		config_release(&cfg);
	}
}

static void test_bad_input(void)
{
	static const struct {
		const char *ini;
		const char *env[2];
		const char *args[4];
		const char *msg;
	} rows[] = {
		{ NULL, { NULL }, { NULL }, "no nodes" },
		{ NULL, { NULL }, { "--cloud-nodes=  ", NULL }, "no nodes" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-mem-per-process=abc", NULL },
		  "--cloud-mem-per-process: 'abc' is not a whole number" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-max-processes=0", NULL },
		  "--cloud-max-processes: '0' must be at least 1" },
		{ NULL,
		  { "PYTEST_CLOUD_MAX_PROCESSES=-2", NULL },
		  { "--cloud-node=n", NULL },
		  "PYTEST_CLOUD_MAX_PROCESSES: '-2' is negative" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-connect-timeout="
				      "99999999999999999999999",
		    NULL },
		  "is too large" },
		{ "[pytest]\ncloud_nodes = n\n\ncloud_max_processes = x\n",
		  { NULL },
		  { NULL },
		  "pytest.ini:4: cloud_max_processes: 'x' is not a whole "
		  "number" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-max-proceses=2", NULL },
		  "unknown option '--cloud-max-proceses' (did you mean "
		  "'--cloud-max-processes'?)" },
		{ NULL,
		  { NULL },
		  { "--cloud-node", NULL },
		  "--cloud-node: missing value" },
		{ NULL,
		  { "PYTEST_CLOUD_NODES=ok host;rm", NULL },
		  { NULL },
		  "PYTEST_CLOUD_NODES: node 'host;rm': character ';'" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-chdir=", NULL },
		  "--cloud-chdir: empty value" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-chdir=.", NULL },
		  "is the remote home itself" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-chdir=././/", NULL },
		  "is the remote home itself" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-chdir=/tmp/x", NULL },
		  "is absolute" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-chdir=a/../..", NULL },
		  "contains '..'" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-chdir=~/x", NULL },
		  "starts with '~'" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-chdir=a b", NULL },
		  "has characters" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n", "--cloud-python=python3; rm", NULL },
		  "unquoted" },
		{ NULL, { NULL }, { "stray", NULL }, "unexpected argument" },
		{ NULL,
		  { NULL },
		  { "--cloud-node=n",
		    "--cloud-rsync-cipher=aes128-ctr -oProxyCommand=x", NULL },
		  "is not a cipher name" },
		{ NULL,
		  { NULL },
		  { "--dry-run=yes", NULL },
		  "--dry-run: takes no value" },
		{ "[pytest]\ncloud_nodes = n\nnot a key value line\n",
		  { NULL },
		  { NULL },
		  "pytest.ini:3: not valid ini syntax" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cloud_config cfg;
		char err[512] = "";

		CU_ASSERT_EQUAL(resolve(&cfg, rows[i].ini, rows[i].env,
					rows[i].args, err, sizeof(err)),
				-1);
		if (strstr(err, rows[i].msg) == NULL) {
			fprintf(stderr, "\nrow %zu: got '%s', want '%s'\n", i,
				err, rows[i].msg);
		}
		CU_ASSERT_PTR_NOT_NULL(strstr(err, rows[i].msg));
		config_release(&cfg);
	}
}

static void test_path_inside(void)
{
	static const struct {
		const char *root, *base, *path, *want;
	} rows[] = {
		{ "/p", "/p", "venv", "venv" },
		{ "/p/", "/p", "./venv/", "venv" },
		{ "/p", NULL, "/p", "." },
		{ "/p", NULL, "/p/a/../b", "b" },
		{ "/p", NULL, "/pq/a", NULL },
		{ "/p", "/p", "../p2", NULL },
		{ "/", NULL, "/x", "x" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = path_inside(rows[i].root, rows[i].base,
					       rows[i].path);

		if (rows[i].want == NULL) {
			CU_ASSERT_PTR_NULL(got);
		} else {
			CU_ASSERT_PTR_NOT_NULL_FATAL(got);
			CU_ASSERT_STRING_EQUAL(got, rows[i].want);
		}
		free(got);
	}
}

static void test_path_lists(void)
{
	struct cloud_config cfg;
	const char *ini = "[pytest]\ncloud_nodes = n\n"
			  "cloud_develop_eggs = src/a\n  ../p/src/b\n"
			  "rsyncdirs = tests pkg\nrsyncignore = tests/big\n";
	const char *env[] = { "PYTEST_CLOUD_DEVELOP_EGGS=/p/lib/c", NULL };
	char err[512] = "";

	CU_ASSERT_EQUAL_FATAL(resolve(&cfg, ini, NULL, NULL, err, sizeof(err)),
			      0);
	cfg.rootdir = strdup("/p");
	cfg.virtualenv_path = strdup("venv");
	CU_ASSERT_EQUAL_FATAL(config_finish(&cfg, "u", NULL, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL_FATAL(cfg.develop_eggs.n, 2);
	CU_ASSERT_STRING_EQUAL(cfg.develop_eggs.v[0], "src/a");
	CU_ASSERT_STRING_EQUAL(cfg.develop_eggs.v[1], "src/b");
	CU_ASSERT_EQUAL_FATAL(cfg.rsyncdirs.n, 2);
	CU_ASSERT_STRING_EQUAL(cfg.rsyncdirs.v[1], "pkg");
	CU_ASSERT_STRING_EQUAL(cfg.rsyncignore.v[0], "tests/big");
	config_release(&cfg);

	/* the environment replaces the ini's list */
	CU_ASSERT_EQUAL_FATAL(resolve(&cfg, ini, env, NULL, err, sizeof(err)),
			      0);
	cfg.rootdir = strdup("/p");
	cfg.virtualenv_path = strdup("venv");
	CU_ASSERT_EQUAL_FATAL(config_finish(&cfg, "u", NULL, err, sizeof(err)),
			      0);
	CU_ASSERT_EQUAL_FATAL(cfg.develop_eggs.n, 1);
	CU_ASSERT_STRING_EQUAL(cfg.develop_eggs.v[0], "lib/c");
	config_release(&cfg);

	/* outside the project root: refused */
	CU_ASSERT_EQUAL_FATAL(
		resolve(&cfg, "[pytest]\ncloud_nodes = n\n"
			      "cloud_develop_eggs = ../other\n",
			NULL, NULL, err, sizeof(err)),
		0);
	cfg.rootdir = strdup("/p");
	CU_ASSERT_EQUAL(config_finish(&cfg, "u", NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cloud_develop_eggs: '/p/../other' is "
					   "outside the project root"));
	config_release(&cfg);

	/* develop eggs need a virtualenv in the project */
	CU_ASSERT_EQUAL_FATAL(resolve(&cfg, ini, NULL, NULL, err, sizeof(err)),
			      0);
	cfg.rootdir = strdup("/p");
	CU_ASSERT_EQUAL(config_finish(&cfg, "u", NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs a virtualenv"));
	config_release(&cfg);
}

/* config_finish's errors name the flag, variable or key (of the name
 * used) that set the value. */
static void test_errors_name_their_source(void)
{
	static const struct {
		const char *ini;
		const char *env[2];
		const char *args[2];
		const char *want;
	} rows[] = {
		{ NULL, { NULL }, { "--cloud-virtualenv-path=../v", NULL },
		  "--cloud-virtualenv-path: '../v' is not inside" },
		{ NULL, { "PYTEST_CLOUD_VIRTUALENV_PATH=/elsewhere", NULL },
		  { NULL }, "PYTEST_CLOUD_VIRTUALENV_PATH: '/elsewhere' is not" },
		{ "[pytest]\ncloud_virtualenv_path = ../v\n", { NULL }, { NULL },
		  "cloud_virtualenv_path: '../v' is not inside" },
		{ "[pytest]\nrsyncdirs = ../x\n", { NULL }, { NULL },
		  "rsyncdirs: '/p/../x' is outside" },
		{ "[pytest]\ncloud_rsync_ignore = ../x\n", { NULL }, { NULL },
		  "cloud_rsync_ignore: '/p/../x' is outside" },
		{ NULL, { "PYTEST_CLOUD_DEVELOP_EGGS=lib", NULL }, { NULL },
		  "PYTEST_CLOUD_DEVELOP_EGGS: installing develop eggs needs" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cloud_config cfg;
		char err[512] = "";
		const char *args[3] = { "--cloud-nodes=n", rows[i].args[0], NULL };

		CU_ASSERT_EQUAL_FATAL(resolve(&cfg, rows[i].ini, rows[i].env, args,
					      err, sizeof(err)),
				      0);
		cfg.rootdir = strdup("/p");
		CU_ASSERT_EQUAL(config_finish(&cfg, "u", NULL, err, sizeof(err)),
				-1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, rows[i].want));
		if (strstr(err, rows[i].want) == NULL) {
			fprintf(stderr, "\nwant '%s', got '%s'\n", rows[i].want,
				err);
		}
		config_release(&cfg);
		fake_env = NULL;
	}
}

int suite_config(void)
{
	CU_pSuite s = CU_add_suite("config", NULL, NULL);

	return (s && CU_add_test(s, "precedence", test_precedence) &&
		CU_add_test(s, "defaults", test_defaults) &&
		CU_add_test(s, "-c", test_pytest_short_inifile) &&
		CU_add_test(s, "virtualenv", test_virtualenv) &&
		CU_add_test(s, "bad input", test_bad_input) &&
		CU_add_test(s, "path inside", test_path_inside) &&
		CU_add_test(s, "path lists", test_path_lists) &&
		CU_add_test(s, "errors name their source",
			    test_errors_name_their_source))
		       ? 0
		       : -1;
}
