/* rsync: CUnit tests of helper/rsync.c's pure part (argv, output). */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "report.h"
#include "rsyncargs.h"
#include "sshmux.h"
#include "suites.h"

static void test_rsync_argv(void)
{
	struct cloud_config cfg;
	struct node_report r;
	struct strvec argv = STRVEC_INIT;
	struct strvec keep = STRVEC_INIT;
	struct strvec filters = STRVEC_INIT;
	char why[128];
	char err[256];
	static const char *want[] = {
		"rsync",
		"--archive",
		"--hard-links",
		"--delete",
		"--stats",
		"--timeout=20", /* connect timeout + keepalive */
		"--exclude=__pycache__",
		"--exclude=*.pyc",
		"--exclude=.pytest_cache",
		"--exclude=/.pytest-cloud-project",
		"--exclude=/.venv/pyvenv.cfg",
		"--exclude=/.venv/bin/python3.12",
		/* left out by default (copyset.h) */
		"--exclude=.git",
		"--exclude=.hg",
		"--exclude=.svn",
		"--exclude=.tox",
		"--exclude=.nox",
		"--exclude=.mypy_cache",
		"--exclude=.ruff_cache",
		"--exclude=.coverage",
		"--exclude=.coverage.*",
		"--exclude=.env",
		"--exclude=.env.*",
		"--exclude=.envrc",
		"--exclude=.netrc",
		"--exclude=.pypirc",
		"--exclude=.npmrc",
		"--exclude=.git-credentials",
		"--exclude=.pgpass",
		"--exclude=.my.cnf",
		"--exclude=.s3cfg",
		"--exclude=.boto",
		"--exclude=.dockercfg",
		"--exclude=.vault-token",
		"--exclude=.aws",
		"--exclude=.ssh",
		"--exclude=.gnupg",
		"--exclude=.kube",
		"--exclude=.azure",
		"--exclude=/tests/big",
		"--include=/tests/***",
		"--include=/src/",
		"--include=/src/pkg/***",
		"--include=/.venv/***",
		"--include=/pytest.ini",
		"--include=/conftest.py",
		"--include=/pytest_cloud_plugin.py",
		"--exclude=*",
		"--bwlimit=500",
		"--rsh=ssh -o BatchMode=yes -o ConnectTimeout=5 -o "
		"ServerAliveInterval=3 -o ServerAliveCountMax=3 -o "
		"StrictHostKeyChecking=yes -o UpdateHostKeys=no -o "
		"Compression=no -c aes128-gcm@openssh.com -F '/my cfg' -p 2222",
		"--",
		"/p/",
		"u@h:pytest_u_p/",
	};
	size_t i;

	config_init(&cfg);
	cfg.rootdir = strdup("/p");
	cfg.chdir = strdup("pytest_u_p");
	cfg.venv_rel = strdup(".venv");
	cfg.inifile_rel = strdup("pytest.ini");
	cfg.ssh_config = strdup("/my cfg");
	cfg.connect_timeout = 5;
	cfg.rsync_bandwidth_limit = 500;
	strvec_push(&cfg.rsyncdirs, "tests");
	strvec_push(&cfg.develop_eggs, "src/pkg");
	strvec_push(&cfg.rsyncignore, "tests/big");
	memset(&r, 0, sizeof(r));
	r.name = "u@h:2222";
	CU_ASSERT_EQUAL_FATAL(nodename_parse(r.name, &r.addr, why, sizeof(why)),
			      0);
	strvec_push(&keep, ".venv/pyvenv.cfg");
	strvec_push(&keep, ".venv/bin/python3.12");
	CU_ASSERT_EQUAL_FATAL(rsync_build_argv(&cfg, &r, &keep, &argv, err,
					       sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(argv.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < argv.n && i < sizeof(want) / sizeof(want[0]); i++) {
		CU_ASSERT_STRING_EQUAL(argv.v[i], want[i]);
	}
	CU_ASSERT_PTR_NULL(argv.v[argv.n]);
	strvec_clear(&argv);
	/* any config path is one word of rsync's --rsh: '...', with '' for
	 * a ' (rsync's own splitting) */
	free(cfg.ssh_config);
	cfg.ssh_config = strdup("/a\"b/it's here");
	CU_ASSERT_EQUAL(rsync_build_argv(&cfg, &r, NULL, &argv, err,
					 sizeof(err)),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(argv.v[argv.n - 4],
				      " -F '/a\"b/it''s here' -p 2222"));
	strvec_clear(&argv);
	/* where ssh -G said the node is, pinned before anything the config
	 * could change (sshg.h) */
	r.ssh.from_ssh = 1;
	r.ssh.hostname = strdup("10.0.0.5");
	r.ssh.port = 2200;
	r.ssh.user = strdup("ci");
	CU_ASSERT_EQUAL(rsync_build_argv(&cfg, &r, NULL, &argv, err,
					 sizeof(err)),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(argv.v[argv.n - 4],
				      "UpdateHostKeys=no -o HostName=10.0.0.5 "
				      "-o Port=2200 -o User=ci -o "
				      "Compression=no"));
	CU_ASSERT_STRING_EQUAL(argv.v[argv.n - 1], "u@h:pytest_u_p/");
	strvec_clear(&argv);
	/* through the node's master (sshmux.h), once it has one of ours */
	r.mux = SSHMUX_REUSED;
	r.mux_path = strdup("/run/user/7/pytest-cloud/0123");
	CU_ASSERT_EQUAL(rsync_build_argv(&cfg, &r, NULL, &argv, err,
					 sizeof(err)),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(argv.v[argv.n - 4],
				      " -c aes128-gcm@openssh.com -o "
				      "ControlMaster=no -o ControlPath="
				      "/run/user/7/pytest-cloud/0123 -F "));
	strvec_clear(&argv);
	/* with the mux client: it runs first, given the socket, then ssh's
	 * words as they were (its fallback) */
	r.mux_client = "/opt/pc dir/pytest-cloud-mux";
	CU_ASSERT_EQUAL(rsync_build_argv(&cfg, &r, NULL, &argv, err,
					 sizeof(err)),
			0);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(argv.v[argv.n - 4],
		       "--rsh='/opt/pc dir/pytest-cloud-mux' "
		       "'/run/user/7/pytest-cloud/0123' ssh -o "));
	CU_ASSERT_PTR_NOT_NULL(strstr(argv.v[argv.n - 4],
				      " -o ControlMaster=no -o ControlPath="
				      "/run/user/7/pytest-cloud/0123 -F "));
	strvec_clear(&argv);
	/* the user's own multiplexing: no words of ours, no mux client */
	r.mux = SSHMUX_YOURS;
	CU_ASSERT_EQUAL(rsync_build_argv(&cfg, &r, NULL, &argv, err,
					 sizeof(err)),
			0);
	CU_ASSERT_PTR_NULL(strstr(argv.v[argv.n - 4], "Control"));
	CU_ASSERT_PTR_NULL(strstr(argv.v[argv.n - 4], "mux"));
	strvec_clear(&argv);
	r.mux_client = NULL;
	free(r.mux_path);
	r.mux_path = NULL;
	r.mux = SSHMUX_NONE;
	sshg_release(&r.ssh);
	/* a folder of its own to a path on the node: no --delete, its own
	 * filters first */
	strvec_push(&filters, "--exclude=/share/");
	CU_ASSERT_EQUAL(rsync_build_copy_argv(&cfg, &r, "/opt/py", "/h/py.part",
					      &filters, &argv, err,
					      sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(argv.v[1], "--archive");
	CU_ASSERT_STRING_EQUAL(argv.v[3], "--stats");
	CU_ASSERT_STRING_EQUAL(argv.v[5], "--exclude=/share/");
	CU_ASSERT_STRING_EQUAL(argv.v[argv.n - 2], "/opt/py/");
	CU_ASSERT_STRING_EQUAL(argv.v[argv.n - 1], "u@h:/h/py.part/");
	for (i = 0; i < argv.n; i++) {
		CU_ASSERT_STRING_NOT_EQUAL(argv.v[i], "--delete");
	}
	strvec_clear(&argv);
	strvec_clear(&keep);
	strvec_clear(&filters);
	CU_ASSERT_EQUAL(rsync_parse_stat("x\nTotal bytes sent: 1,234,567"
					 "\nTotal bytes received: 9\n",
					 "Total bytes sent:"),
			1234567);
	CU_ASSERT_EQUAL(rsync_parse_stat("no stats", "Total bytes sent:"), -1);
	{
		static const char progress[] = "\r      1,024   1%\r    327,680  "
					       "45%  1.2MB/s";

		CU_ASSERT_EQUAL(rsync_progress_bytes(progress,
						     sizeof(progress) - 1),
				327680);
	}
	CU_ASSERT_EQUAL(rsync_progress_bytes("no carriage return", 18), -1);
	CU_ASSERT_EQUAL(rsync_progress_bytes("\r   ", 4), -1);
	report_release(&r);
	config_release(&cfg);
}

int suite_rsync(void)
{
	CU_pSuite s = CU_add_suite("rsync", NULL, NULL);

	return (s && CU_add_test(s, "argv", test_rsync_argv)) ? 0 : -1;
}
