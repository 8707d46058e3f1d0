/* rsync: CUnit tests of helper/rsync.c's pure part (argv, output). */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "report.h"
#include "rsyncargs.h"
#include "spawn.h"
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

/* The unchanged check's reading of a listing (rsyncargs.h): the first
 * line dropped, a folder's size and time left out, the status added. */
static void test_rsync_check_text(void)
{
	static const struct {
		const char *listing;
		int status;
		const char *want;
	} rows[] = {
		{ "", 0, "" },
		/* the folder itself only: nothing of it counts */
		{ "drwxr-xr-x          4096 2026/12/07 18:19:00 .\n", 0,
		  "rsync 0\n" },
		{ "drwxr-xr-x          4096 2026/12/07 18:19:00 .\n"
		  "-rw-r--r--             23 2026/12/07 18:19:00 t/x.py\n"
		  "drwxr-xr-x          20480 2026/12/07 18:19:00 t\n",
		  0,
		  "-rw-r--r--             23 2026/12/07 18:19:00 t/x.py\n"
		  "drwxr-xr-x t\n"
		  "rsync 0\n" },
		/* only the fields: a name that looks like them stays */
		{ ".\ndrwx------ 60 2026/01/02 03:04:05 n 1 2000/01/01 "
		  "00:00:00 m\n",
		  23, "drwx------ n 1 2000/01/01 00:00:00 m\nrsync 23\n" },
		/* a link, a file named like a folder's line, no last
		 * newline */
		{ ".\nlrwxrwxrwx 9 2026/01/02 03:04:05 l -> x 1 y\n"
		  "-rw------- 7 2026/01/02 03:04:05 d 5 e",
		  0,
		  "lrwxrwxrwx 9 2026/01/02 03:04:05 l -> x 1 y\n"
		  "-rw------- 7 2026/01/02 03:04:05 d 5 e\n"
		  "rsync 0\n" },
		/* "d" lines without the fields whole, an empty line: as
		 * they are */
		{ ".\nd\n\nd 12\nd 1 2/3/4 5:6 x\nd 1 2/3/4 5:6:7\n", 0,
		  "d\n\nd 12\nd 1 2/3/4 5:6 x\nd 1 2/3/4 5:6:7\nrsync 0\n" },
	};
	char hex[RSYNC_CHECK_HEX + 1];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = rsync_check_text(rows[i].listing,
					     strlen(rows[i].listing),
					     rows[i].status);

		CU_ASSERT_PTR_NOT_NULL_FATAL(got);
		CU_ASSERT_STRING_EQUAL(got, rows[i].want);
		free(got);
	}
	/* SHA-256 of what is read (Python's hashlib gave these) */
	CU_ASSERT_EQUAL(rsync_check_digest("", 0, 0, hex), 0);
	CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				    "27ae41e4649b934ca495991b7852b855");
	CU_ASSERT_EQUAL(rsync_check_digest(rows[2].listing,
					   strlen(rows[2].listing), 0, hex),
			0);
	CU_ASSERT_STRING_EQUAL(hex, "81992f40463545aa4e565c0c4a63f21f"
				    "252550d35628fdd71db9a079769b70ee");
	/* the node's answer: sha256sum's "HEX  -", and nothing else */
	CU_ASSERT_EQUAL(rsync_check_parse("e3b0c44298fc1c149afbf4c8996fb924"
					  "27ae41e4649b934ca495991b7852b855"
					  "  -\n", hex),
			0);
	CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				    "27ae41e4649b934ca495991b7852b855");
	CU_ASSERT_EQUAL(rsync_check_parse("E3B0C44298FC1C149AFBF4C8996FB924"
					  "27AE41E4649B934CA495991B7852B855",
					  hex),
			-1);
	CU_ASSERT_EQUAL(rsync_check_parse("e3b0c442  -\n", hex), -1);
	CU_ASSERT_EQUAL(rsync_check_parse("e3b0c44298fc1c149afbf4c8996fb924"
					  "27ae41e4649b934ca495991b7852b8551",
					  hex),
			-1);
	CU_ASSERT_EQUAL(rsync_check_parse("", hex), -1);
	CU_ASSERT_EQUAL(rsync_check_parse(NULL, hex), -1);
}

/* The node's command: CHDIR as ./CHDIR/ (rsync would read "a:b/" as
 * host a), every word quoted, for any login shell. */
static void test_rsync_check_command(void)
{
	struct cloud_config cfg;
	char *command;

	config_init(&cfg);
	cfg.rootdir = strdup("/p");
	cfg.chdir = strdup("a:b");
	command = rsync_check_command(&cfg, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(command);
	CU_ASSERT_EQUAL(strncmp(command, "exec /bin/sh -c '", 17), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(command, "'\\''./a:b/'\\''"));
	CU_ASSERT_PTR_NULL(strstr(command, "'\\''a:b/'\\''"));
	free(command);
	free(cfg.chdir);
	cfg.chdir = strdup("/home/u/x");
	command = rsync_check_command(&cfg, NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(command, "'\\''/home/u/x/'\\''"));
	free(command);
	config_release(&cfg);
}

/* Writes text to path; 0 or -1. */
static int put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		return -1;
	}
	fputs(text, f);
	return fclose(f);
}

/* Sets path's time to 2001, then runs the node's command with sh:
 * its digest into hex.  Returns 0, or -1. */
static int digest_after_touch(char *sh, char *command, const char *path,
			      char hex[RSYNC_CHECK_HEX + 1])
{
	struct timespec t[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	char *run[] = { "sh", "-c", command, NULL };
	struct spawn_result res;
	char why[128];
	int rc = -1;

	if (utimensat(AT_FDCWD, path, t, 0) == 0 &&
	    spawn_run(sh, run, &res, why, sizeof(why)) == 0) {
		rc = rsync_check_parse(res.output, hex);
		spawn_result_release(&res);
	}
	return rc;
}

/*
 * The node's command, run here by sh on a folder, and the helper's own
 * reading of rsync's listing of it give one digest: both halves of the
 * check agree (names with spaces and numbers, a link, a folder of many
 * entries, a file left out by the filters, a quote in a user's pattern).
 */
static void test_rsync_check_halves(void)
{
	struct cloud_config cfg;
	struct strvec keep = STRVEC_INIT;
	struct strvec argv = STRVEC_INIT;
	struct spawn_result res;
	char dir[] = "/tmp/pytest-cloud-unit.XXXXXX";
	char path[300];
	char why[128];
	char here[RSYNC_CHECK_HEX + 1];
	char there[RSYNC_CHECK_HEX + 1];
	char *sh = spawn_find_program("sh");
	char *env = spawn_find_program("env");
	char *rsync = spawn_find_program("rsync");
	char *command = NULL;
	char *list[64];
	size_t i;
	int j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	CU_ASSERT_PTR_NOT_NULL_FATAL(env);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rsync);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a 12 b", dir);
	CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
	for (j = 0; j < 300; j++) {
		snprintf(path, sizeof(path), "%s/a 12 b/a-long-name-so-that-"
			 "the-folder-grows-%03d 7 x", dir, j);
		CU_ASSERT_EQUAL(put(path, "x"), 0);
	}
	snprintf(path, sizeof(path), "%s/it's kept", dir);
	CU_ASSERT_EQUAL(put(path, "kept"), 0);
	snprintf(path, sizeof(path), "%s/ignored's", dir);
	CU_ASSERT_EQUAL(put(path, "ignored"), 0);
	snprintf(path, sizeof(path), "%s/l", dir);
	CU_ASSERT_EQUAL(symlink("a 12 b", path), 0);

	config_init(&cfg);
	cfg.rootdir = strdup(dir);
	cfg.chdir = strdup(dir);
	strvec_push(&cfg.rsyncignore, "ignored's");
	strvec_push(&keep, "it's kept");
	/* here: as sync.c lists the project */
	CU_ASSERT_EQUAL_FATAL(rsync_build_check_argv(&cfg, &keep, dir, &argv),
			      0);
	list[0] = "env";
	list[1] = "LC_ALL=C";
	list[2] = "TZ=UTC0";
	list[3] = rsync;
	for (i = 1; i < argv.n && i + 3 < 63; i++) {
		list[i + 3] = argv.v[i];
	}
	list[i + 3] = NULL;
	CU_ASSERT_EQUAL_FATAL(spawn_run(env, list, &res, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(res.code, 0);
	CU_ASSERT_PTR_NULL(strstr(res.output, "ignored"));
	CU_ASSERT_PTR_NULL(strstr(res.output, "kept"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.output, "a 12 b"));
	CU_ASSERT_EQUAL(rsync_check_digest(res.output, strlen(res.output), 0,
					   here),
			0);
	spawn_result_release(&res);
	/* there: the node's command, as a login shell runs it */
	command = rsync_check_command(&cfg, &keep);
	CU_ASSERT_PTR_NOT_NULL_FATAL(command);
	CU_ASSERT_PTR_NOT_NULL(strstr(command, "'\\''"));
	{
		char *run[] = { "sh", "-c", command, NULL };

		CU_ASSERT_EQUAL_FATAL(spawn_run(sh, run, &res, why,
						sizeof(why)), 0);
	}
	CU_ASSERT_EQUAL(res.code, 0);
	CU_ASSERT_EQUAL(rsync_check_parse(res.output, there), 0);
	CU_ASSERT_STRING_EQUAL(here, there);
	spawn_result_release(&res);
	/* a folder's time is not the copy's: not seen */
	snprintf(path, sizeof(path), "%s/a 12 b", dir);
	CU_ASSERT_EQUAL(digest_after_touch(sh, command, path, there), 0);
	CU_ASSERT_STRING_EQUAL(here, there);
	/* a change there is seen: a file of the same size, another second */
	snprintf(path, sizeof(path), "%s/a 12 b/a-long-name-so-that-the-"
		 "folder-grows-000 7 x", dir);
	CU_ASSERT_EQUAL(digest_after_touch(sh, command, path, there), 0);
	CU_ASSERT_STRING_NOT_EQUAL(here, there);
	{
		char *rm[] = { "rm", "-rf", "--", dir, NULL };
		char *rmpath = spawn_find_program("rm");

		CU_ASSERT_EQUAL(spawn_run(rmpath, rm, &res, why, sizeof(why)),
				0);
		spawn_result_release(&res);
		free(rmpath);
	}
	free(command);
	free(sh);
	free(env);
	free(rsync);
	strvec_clear(&argv);
	strvec_clear(&keep);
	config_release(&cfg);
}

int suite_rsync(void)
{
	CU_pSuite s = CU_add_suite("rsync", NULL, NULL);

	return (s && CU_add_test(s, "argv", test_rsync_argv) &&
		CU_add_test(s, "check text", test_rsync_check_text) &&
		CU_add_test(s, "check command", test_rsync_check_command) &&
		CU_add_test(s, "check halves", test_rsync_check_halves))
		       ? 0
		       : -1;
}
