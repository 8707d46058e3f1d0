/* resolve: the run's options from every source (see resolve.h). */
#define _GNU_SOURCE
#include "resolve.h"
#include <libssh/libssh.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "cfgedit.h"
#include "udiff.h"
#include "versions.h"
#include "files.h"
#include "hostsrc.h"
#include "inifind.h"
#include "msgs.h"
#include "template.h"
#include "version.h"

static const char *my_getenv(const char *name)
{
	return getenv(name);
}

static void print_help(void)
{
	size_t n;
	size_t i;
	const struct opt_def *t = opts_table(&n);

	printf("usage: pytest-cloud [--dry-run] [--cloud-OPTION=VALUE ...]\n"
	       "       pytest-cloud init [--nodes \"NODE ...\"] [--ini FILE] "
	       "[--dry-run]\n\n"
	       "Probes the test nodes over SSH, plans test processes, copies "
	       "the project\nto the nodes and prints pytest-xdist --tx specs "
	       "as JSON.\n\n");
	for (i = 0; i < n; i++) {
		char buf[32];
		const char *def = opts_default_text(&t[i], buf, sizeof(buf));

		if (t[i].flag == NULL) {
			continue;
		}
		printf("  %-30s %s%s%s%s\n", t[i].flag, t[i].meaning,
		       def ? " (default: " : "", def ? def : "",
		       def ? ")" : "");
	}
	printf("\nEach --cloud-x-y also reads ini key cloud_x_y and "
	       "environment PYTEST_CLOUD_X_Y.\n");
}

char *local_user(void)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *env = getenv("USER");

	if (pw != NULL && pw->pw_name != NULL) {
		return strdup(pw->pw_name);
	}
	return strdup(env && env[0] ? env : "user");
}

char *local_host(void)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0') {
		snprintf(host, sizeof(host), "?");
	}
	host[sizeof(host) - 1] = '\0';
	return strdup(host);
}

static char *absolute_dir(const char *path)
{
	char buf[PATH_MAX];

	if (realpath(path, buf) == NULL) {
		return NULL;
	}
	return strdup(buf);
}

/* Finds the ini file and rootdir as pytest does (inifind.h; --rootdir
 * and --no-inifile as pytest passes them); applies the ini. */
static int load_ini(struct cloud_config *cfg, const struct cloud_config *cli,
		    char *err, size_t errlen)
{
	char *ini = NULL;
	char *rootdir = NULL;
	enum inifile_rule rule = RULE_SAME;
	char why[600];
	int rc = -1;

	if (inifind_locate(cli->inifile, cli->no_inifile, &ini, &rootdir, &rule, why,
			   sizeof(why)) < 0) {
		snprintf(err, errlen, "%s%s", cli->inifile ? "--inifile: " : "",
			 why);
		return -1;
	}
	if (ini != NULL && inifile_rule_text(rule) != NULL) {
		infof("config file '%s': found by %s", ini,
		      inifile_rule_text(rule));
	}
	if (cli->rootdir != NULL) {
		free(rootdir);
		rootdir = absolute_dir(cli->rootdir);
		if (rootdir == NULL) {
			snprintf(err, errlen, "--rootdir: '%s': %s",
				 cli->rootdir, strerror(errno));
			goto out;
		}
	}
	cfg->rootdir = rootdir;
	rootdir = NULL;
	rc = 0;
	if (ini != NULL && cli->inifile != NULL && access(ini, R_OK) < 0) {
		snprintf(err, errlen, "--inifile: '%s': %s", cli->inifile,
			 strerror(errno));
		rc = -1;
	} else if (ini != NULL) {
		cfg->inifile = strdup(ini);
		rc = inifind_apply(cfg, ini, err, errlen);
	}
out:
	free(rootdir);
	free(ini);
	return rc;
}

/*
 * The ssh config must exist, and every ssh of the run (rsync's, the
 * workers' from another folder) must find it: it becomes an absolute,
 * normalised path (relative to the ini file's folder when the ini gave
 * it, else to the current folder).
 */
static int absolute_ssh_config(struct cloud_config *cfg)
{
	char *joined = NULL;
	char *abs;
	struct stat st;
	const char *path = cfg->ssh_config;

	if (path[0] != '/' && cfg->src[OPT_SSH_CONFIG] == SRC_INI &&
	    cfg->inifile != NULL) {
		const char *slash = strrchr(cfg->inifile, '/');

		if (asprintf(&joined, "%.*s/%s", (int)(slash - cfg->inifile),
			     cfg->inifile, path) < 0) {
			errorf("out of memory");
			return -1;
		}
		path = joined;
	}
	abs = absolute_dir(path);
	if (abs == NULL || stat(abs, &st) < 0 || !S_ISREG(st.st_mode)) {
		errorf("cloud_ssh_config: '%s': %s", cfg->ssh_config,
		       abs == NULL ? strerror(errno) : "not a regular file");
		free(abs);
		free(joined);
		return -1;
	}
	free(joined);
	free(cfg->ssh_config);
	cfg->ssh_config = abs;
	return 0;
}

/*
 * The version handshake: the project's copy of the plugin must have this
 * helper's contract (major.minor); another patch level only warns.  A
 * copy from before the handshake (0.1.0) passes no version but always
 * --rootdir, and the conftest.py there tells.  Returns 0, or -1 (said).
 */
static int check_copy(const struct cloud_config *cli)
{
	char version[32];
	const char *file = "conftest.py";
	enum versions_contract contract;

	if (cli->conftest_version != NULL) {
		snprintf(version, sizeof(version), "%s", cli->conftest_version);
		if (cli->conftest != NULL) {
			file = strrchr(cli->conftest, '/') ?
				       strrchr(cli->conftest, '/') + 1 :
				       cli->conftest;
		}
	} else if (cli->rootdir != NULL) {
		char err[600];
		char *path = NULL;
		char *text = NULL;
		size_t len;
		enum adopt_kind kind = ADOPT_NOT_OURS;

		if (asprintf(&path, "%s/conftest.py", cli->rootdir) >= 0) {
			text = files_read(path, INIFILE_MAX_BYTES, FILES_TEXT,
					  &len, err, sizeof(err));
		}
		if (text != NULL) {
			kind = adopt_classify(text, template_plugin, version,
					      sizeof(version));
		}
		free(text);
		free(path);
		if (kind == ADOPT_NOT_OURS) {
			return 0;
		}
	} else {
		return 0;
	}
	contract = versions_contract(version, PYTEST_CLOUD_VERSION);
	if (contract == CONTRACT_SAME) {
		return 0;
	}
	if (contract == CONTRACT_PATCH) {
		warnf("%s is from pytest-cloud %s, this helper is %s: %s", file,
		      version, PYTEST_CLOUD_VERSION,
		      versions_cmp(version, PYTEST_CLOUD_VERSION) > 0 ?
			      "the same contract; a newer helper is out" :
			      "run 'pytest-cloud init' to update it");
		return 0;
	}
	errorf("%s is from pytest-cloud %s, this helper is %s: %s", file,
	       version, PYTEST_CLOUD_VERSION,
	       versions_cmp(version, PYTEST_CLOUD_VERSION) > 0 ?
		       "install the helper of that release" :
		       "run 'pytest-cloud init' to update it");
	return -1;
}

/* When argv names a plugin release (--conftest-version=X) of another
 * contract, says so (as check_copy) and returns 0; else -1. */
static int other_contract(int argc, char **argv)
{
	static const char flag[] = "--conftest-version=";
	struct cloud_config cli;
	int i;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], flag, sizeof(flag) - 1) != 0) {
			continue;
		}
		if (versions_contract(argv[i] + sizeof(flag) - 1,
				      PYTEST_CLOUD_VERSION) != CONTRACT_OTHER ||
		    config_init(&cli) < 0) {
			return -1;
		}
		cli.conftest_version = strdup(argv[i] + sizeof(flag) - 1);
		i = cli.conftest_version != NULL && check_copy(&cli) < 0 ? 0
									  : -1;
		config_release(&cli);
		return i;
	}
	return -1;
}

/* The run's first line under the conftest: this helper's release and
 * file, the plugin's release and what it runs on, so that a bug report
 * carries them (text from the conftest: control characters shown as
 * '?'). */
static void say_versions(const struct cloud_config *cli)
{
	char self[PATH_MAX];
	char stack[512];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t i;

	if (len <= 0) {
		snprintf(self, sizeof(self), "?");
	} else {
		self[len] = '\0';
	}
	snprintf(stack, sizeof(stack), "%s", cli->stack);
	for (i = 0; stack[i] != '\0'; i++) {
		if ((unsigned char)stack[i] < 0x20 || stack[i] == 0x7f) {
			stack[i] = '?';
		}
	}
	infof("helper %s (%s), plugin %s, %s", PYTEST_CLOUD_VERSION, self,
	      cli->conftest_version ? cli->conftest_version : "of 0.1",
	      stack);
}

/* Resolves every option (resolve.h). */
enum resolve_result resolve(struct run *run, int argc, char **argv)
{
	struct cloud_config cli;
	char err[1024];
	char *user = NULL;
	enum resolve_result status = RESOLVE_BAD_INPUT;

	if (config_init(&cli) < 0 || config_init(&run->cfg) < 0) {
		errorf("out of memory");
		return RESOLVE_INTERNAL;
	}
	if (config_apply_argv(&cli, argc, argv, err, sizeof(err)) < 0) {
		/* a plugin of another release may pass options this helper
		 * does not know: its release is the line to show */
		if (other_contract(argc, argv) < 0) {
			errorf("%s", err);
		}
		goto out;
	}
	if (cli.help || cli.version) {
		if (cli.help) {
			print_help();
		} else {
			printf("pytest-cloud %s\nlibssh %s\n",
			       PYTEST_CLOUD_VERSION, ssh_version(0));
		}
		status = RESOLVE_SHOWN;
		goto out;
	}
	if (cli.stack != NULL && !cli.quiet && !cli.json_only) {
		say_versions(&cli);
	}
	if (check_copy(&cli) < 0) {
		goto out;
	}
	run->cfg.io = hostsrc_io(); /* ^PATH and @slurm (hostsrc.h) */
	if (load_ini(&run->cfg, &cli, err, sizeof(err)) < 0 ||
	    config_apply_env(&run->cfg, my_getenv, err, sizeof(err)) < 0 ||
	    config_apply_argv(&run->cfg, argc, argv, err, sizeof(err)) < 0 ||
	    config_verify(&run->cfg, err, sizeof(err)) < 0) {
		errorf("%s", err);
		goto out;
	}
	/* argv set rootdir and inifile again: keep the resolved ones */
	if (cli.rootdir != NULL) {
		free(run->cfg.rootdir);
		run->cfg.rootdir = absolute_dir(cli.rootdir);
	}
	if (cli.inifile != NULL) {
		free(run->cfg.inifile);
		run->cfg.inifile = absolute_dir(cli.inifile);
	}
	user = local_user();
	if (user == NULL ||
	    config_finish(&run->cfg, user, getenv("VIRTUAL_ENV"), err,
			  sizeof(err)) < 0) {
		errorf("%s", user ? err : "out of memory");
		goto out;
	}
	if (run->cfg.ssh_config != NULL &&
	    absolute_ssh_config(&run->cfg) < 0) {
		goto out;
	}
	if (run->cfg.dry_run && !run->cfg.quiet && !run->cfg.json_only) {
		hostsrc_say(&run->cfg);
	}
	status = RESOLVE_RUN;
out:
	free(user);
	config_release(&cli);
	return status;
}
