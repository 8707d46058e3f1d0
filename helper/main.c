/*
 * pytest-cloud: plans a distributed pytest run (see README.md).
 *
 * Steps: resolve the options (ini < environment < command line), probe
 * every node in parallel over SSH, plan processes per node, copy the
 * project to the usable nodes with rsync (unless --dry-run), print the
 * JSON result on stdout.
 *
 * Exit status: main is the only place that picks it (exits.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libssh/libssh.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "adopt.h"
#include "claim.h"
#include "config.h"
#include "develop.h"
#include "display.h"
#include "exits.h"
#include "fanout.h"
#include "init.h"
#include "inifile.h"
#include "msgs.h"
#include "plan.h"
#include "probe_parse.h"
#include "render.h"
#include "report.h"
#include "rsync.h"
#include "shquote.h"
#include "spawn.h"
#include "sshcfg.h"
#include "sshconn.h"
#include "template.h"
#include "text.h"
#include "version.h"




/* Per-run state.  conns[i] is node i's SSH session, opened by the probe
 * and kept for the steps after the sync; NULL once the node is out. */
struct run {
	struct cloud_config cfg;
	struct node_report *nodes;
	struct sshconn **conns;
	struct sshconn_stream **locks; /* CHDIR locks held for this run */
	size_t n;
	char *probe_command;
	char *check_command;
	char *claim_command;
	char *rsync_path;
	struct run_timings seconds;
	int live; /* a live display of the sync runs on stderr */
	long fd_limit; /* open files this process may have */
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Signals.  Until the plan is out, SIGINT, SIGTERM and SIGHUP stop the
 * run: every rsync child gets SIGTERM and the helper ends by the signal
 * (SSH sessions end with the process; rsync's ssh with rsync).  While it
 * holds the nodes' locks (--hold), SIGINT is pytest's to handle (it closes
 * our stdin when it is done) and SIGTERM or SIGHUP end the hold.
 */
static volatile sig_atomic_t holding;
static volatile sig_atomic_t hold_ended_by;

static void on_stop_signal(int sig)
{
	if (holding) {
		hold_ended_by = sig;
		return;
	}
	spawn_kill_all(SIGTERM);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void handle_stop_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
	}
}

/*
 * File descriptors.  Each usable node keeps its session's socket for the
 * whole run, a probe being set up holds one, and a running rsync two
 * (four while it starts).  The soft limit is raised to the hard one, and
 * the probes and the copies in flight are what is left once the sessions
 * are counted.
 */
#define FD_RESERVE 16 /* stdio, /dev/null, files read on the way */

static long fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		return 1024;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit raised = { rl.rlim_max, rl.rlim_max };

		if (raised.rlim_cur == RLIM_INFINITY ||
		    raised.rlim_cur > (1u << 20)) {
			raised.rlim_cur = 1u << 20;
		}
		if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
			rl = raised;
		}
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20)
		       ? 1L << 20
		       : (long)rl.rlim_cur;
}

/* What is left for things in flight once every node may keep its
 * session; 0 when not even that fits. */
static long fds_in_flight(const struct run *run)
{
	long spare = run->fd_limit - FD_RESERVE - (long)run->n;

	return spare > 0 ? spare : 0;
}

static size_t probe_concurrency(const struct run *run)
{
	long spare = fds_in_flight(run);
	long want = run->cfg.max_connections;

	return (size_t)(want < spare ? want : (spare > 0 ? spare : 1));
}

static size_t rsync_concurrency(const struct run *run)
{
	long spare = fds_in_flight(run) / 4;
	long want = run->cfg.rsync_max_processes > 0
			    ? run->cfg.rsync_max_processes
			    : (long)run->n;

	return (size_t)(want < spare ? want : (spare > 0 ? spare : 1));
}

/* fds 0-2 must be open, or a later open() would take their place. */
static void sanitise_stdfd(void)
{
	int fd = open("/dev/null", O_RDWR);

	while (fd >= 0 && fd <= 2) {
		fd = dup(fd);
	}
	if (fd > 2) {
		close(fd);
	}
}

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
		if (t[i].flag == NULL) {
			continue;
		}
		printf("  %-30s %s%s%s%s\n", t[i].flag, t[i].meaning,
		       t[i].defval ? " (default: " : "",
		       t[i].defval ? t[i].defval : "",
		       t[i].defval ? ")" : "");
	}
	printf("\nEach --cloud-x-y also reads ini key cloud_x_y and "
	       "environment PYTEST_CLOUD_X_Y.\n");
}

static char *local_user(void)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *env = getenv("USER");

	if (pw != NULL && pw->pw_name != NULL) {
		return strdup(pw->pw_name);
	}
	return strdup(env && env[0] ? env : "user");
}

static char *absolute_dir(const char *path)
{
	char buf[PATH_MAX];

	if (realpath(path, buf) == NULL) {
		return NULL;
	}
	return strdup(buf);
}

/* Finds the ini file and rootdir as pytest does; applies the ini. */
static int load_ini(struct cloud_config *cfg, const struct cloud_config *cli,
		    char *err, size_t errlen)
{
	char cwd[PATH_MAX];
	char *ini = NULL;
	enum inifile_rule rule = RULE_SAME;
	int rc = 0;

	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(err, errlen, "current folder: %s", strerror(errno));
		return -1;
	}
	if (cli->no_inifile) {
		ini = NULL;
	} else if (cli->inifile != NULL) {
		ini = absolute_dir(cli->inifile);
		if (ini == NULL) {
			snprintf(err, errlen, "--inifile: '%s': %s",
				 cli->inifile, strerror(errno));
			return -1;
		}
	} else if (inifile_find(cwd, &ini, &rule, err, errlen) < 0) {
		return -1;
	} else if (ini != NULL && inifile_rule_text(rule) != NULL) {
		infof("config file '%s': found by %s", ini,
		      inifile_rule_text(rule));
	}
	if (cli->rootdir != NULL) {
		cfg->rootdir = absolute_dir(cli->rootdir);
		if (cfg->rootdir == NULL) {
			snprintf(err, errlen, "--rootdir: '%s': %s",
				 cli->rootdir, strerror(errno));
			rc = -1;
			goto out;
		}
	} else if (ini != NULL) {
		cfg->rootdir = strndup(ini, (size_t)(strrchr(ini, '/') - ini));
		if (cfg->rootdir != NULL && cfg->rootdir[0] == '\0') {
			free(cfg->rootdir);
			cfg->rootdir = strdup("/");
		}
	} else {
		cfg->rootdir = inifile_rootdir_without_ini(cwd);
	}
	if (ini != NULL) {
		cfg->inifile = strdup(ini);
		rc = inifile_apply(cfg, ini, err, errlen);
	}
out:
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
	enum adopt_contract contract;

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
			text = inifile_read(path, &len, err, sizeof(err));
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
	contract = adopt_contract(version, PYTEST_CLOUD_VERSION);
	if (contract == CONTRACT_SAME) {
		return 0;
	}
	if (contract == CONTRACT_PATCH) {
		warnf("%s is from pytest-cloud %s, this helper is %s: %s", file,
		      version, PYTEST_CLOUD_VERSION,
		      adopt_version_cmp(version, PYTEST_CLOUD_VERSION) > 0 ?
			      "the same contract; a newer helper is out" :
			      "run 'pytest-cloud init' to update it");
		return 0;
	}
	errorf("%s is from pytest-cloud %s, this helper is %s: %s", file,
	       version, PYTEST_CLOUD_VERSION,
	       adopt_version_cmp(version, PYTEST_CLOUD_VERSION) > 0 ?
		       "install the helper of that release" :
		       "run 'pytest-cloud init' to update it");
	return -1;
}

/* Resolves every option; returns 0, or an exit status. */
static int resolve(struct run *run, int argc, char **argv)
{
	struct cloud_config cli;
	char err[1024];
	char *user = NULL;
	int status = EXIT_BAD_INPUT;

	if (config_init(&cli) < 0 || config_init(&run->cfg) < 0) {
		errorf("out of memory");
		return EXIT_INTERNAL;
	}
	if (config_apply_argv(&cli, argc, argv, err, sizeof(err)) < 0) {
		errorf("%s", err);
		goto out;
	}
	if (cli.help || cli.version) {
		if (cli.help) {
			print_help();
		} else {
			printf("pytest-cloud %s\n", PYTEST_CLOUD_VERSION);
		}
		status = -1;
		goto out;
	}
	if (check_copy(&cli) < 0) {
		goto out;
	}
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
	status = 0;
out:
	free(user);
	config_release(&cli);
	return status;
}

/* Leaves out a node whose CHDIR cannot receive the project. */
static int check_chdir(const struct run *run, struct node_report *r,
		       enum chdir_state state, const char *real)
{
	char why[600];

	if (claim_refusal(state, run->cfg.chdir, real, why, sizeof(why)) !=
	    NULL) {
		report_exclude(r, "%s", why);
		return -1;
	}
	return 0;
}

static void note_limits(struct node_report *r, const struct probe_result *pr,
			const char *planwhy)
{
	char note[512];

	snprintf(note, sizeof(note), "%s%s%s%s%s",
		 pr->cgroup_cpu ? "CPUs limited by the cgroup's quota" : "",
		 pr->cgroup_cpu && pr->cgroup_mem ? "; " : "",
		 pr->cgroup_mem ? "memory limited by the cgroup" : "",
		 (pr->cgroup_cpu || pr->cgroup_mem) && planwhy[0] ? "; " : "",
		 planwhy);
	if (note[0] != '\0') {
		r->note = strdup(note);
	}
}

/* How a remote command ended: "exit 3", "killed by signal KILL", or
 * "ended without an exit status". */
static void describe_end(const struct sshconn_output *o, char *buf,
			 size_t len)
{
	if (o->exit_status >= 0) {
		snprintf(buf, len, "exit %d", o->exit_status);
	} else if (o->exit_signal[0] != '\0') {
		snprintf(buf, len, "killed by signal %s", o->exit_signal);
	} else {
		snprintf(buf, len, "ended without an exit status");
	}
}

/* Opens node i's session and runs the probe; keeps the session in
 * run->conns[i] when the node can take tests. */
static void probe_node(struct run *run, size_t i)
{
	struct node_report *r = &run->nodes[i];
	struct sshconn_target t;
	struct sshconn *c;
	struct sshconn_output o = { NULL, NULL, -1, "" };
	struct probe_result pr;
	struct plan_limits lim;
	char why[1024];
	char planwhy[256];
	double start = now_seconds();
	double left;

	t.alias = r->addr.host;
	t.addr = &r->addr;
	t.ssh_config = run->cfg.ssh_config;
	t.connect_timeout = run->cfg.connect_timeout;
	t.keepalive = run->cfg.keepalive;
	t.policy = sshcfg_policy_file(run->cfg.ssh_config, r->addr.host);
	r->state = NODE_CONNECTING;
	c = sshconn_open(&t, why, sizeof(why));
	if (c == NULL) {
		report_exclude(r, "%s", why);
		goto out;
	}
	left = (double)run->cfg.connect_timeout - (now_seconds() - start);
	if (sshconn_exec(c, run->probe_command, left < 1 ? 1 : (long)left + 1,
			 &o, why, sizeof(why)) < 0) {
		report_exclude(r, "probe: %s", why);
		goto out;
	}
	if (o.exit_status != 0) {
		char how[80];

		describe_end(&o, how, sizeof(how));
		text_last_line(o.err, why, sizeof(why));
		report_exclude(r, "probe failed (%s)%s%s", how,
			       why[0] ? ": " : "", why);
		goto out;
	}
	if (probe_parse(o.out, &pr, why, sizeof(why)) < 0) {
		report_exclude(r, "probe output not understood: %s", why);
		goto out;
	}
	r->have_cpus = 1;
	r->cpus = pr.cpus;
	r->have_mem = pr.have_mem;
	r->mem_available_mb = pr.mem_available_mb;
	if (check_chdir(run, r, pr.chdir, pr.chdir_real) < 0) {
		goto out;
	}
	lim.max_processes = run->cfg.max_processes;
	lim.mem_per_process = run->cfg.mem_per_process;
	r->processes = plan_processes(pr.cpus, pr.mem_available_mb,
				      pr.have_mem, &lim, planwhy,
				      sizeof(planwhy));
	if (r->processes == 0) {
		report_exclude(r, "%s", planwhy);
	} else {
		r->state = NODE_PROBED;
		note_limits(r, &pr, planwhy);
		run->conns[i] = c;
		c = NULL;
	}
out:
	free(o.out);
	free(o.err);
	sshconn_close(c);
	r->probe_seconds = now_seconds() - start;
	if (r->state == NODE_EXCLUDED) {
		warnf("node '%s': excluded: %s", r->name,
		      r->reason ? r->reason : "out of memory");
	} else {
		infof("node '%s': %ld CPU%s, %ld MiB available: %ld "
		      "process%s",
		      r->name, r->cpus, r->cpus == 1 ? "" : "s",
		      r->mem_available_mb, r->processes,
		      r->processes == 1 ? "" : "es");
	}
}

static void probe_job(size_t i, void *arg)
{
	probe_node(arg, i);
}

/* After the sync, over the probe's session: stale *.pyc of the project
 * removed (rsync neither copies nor deletes them), develop eggs installed
 * into the synced virtualenv, then the worker python must import pytest,
 * xdist and every develop egg from the node's copy. */
static void prepare_job(size_t i, void *arg)
{
	struct run *run = arg;
	struct node_report *r = &run->nodes[i];
	struct sshconn_output o = { NULL, NULL, -1, "" };
	char why[1024];

	if (r->state != NODE_OK || run->conns[i] == NULL) {
		return;
	}
	if (sshconn_exec(run->conns[i], run->check_command,
			 run->cfg.sync_timeout, &o, why, sizeof(why)) < 0) {
		report_exclude(r, "after the copy: %s", why);
	} else if (o.exit_status != 0) {
		char step[600];
		char how[80];

		describe_end(&o, how, sizeof(how));
		text_last_line(o.err[0] ? o.err : o.out, why, sizeof(why));
		report_exclude(r, "%s (%s)%s%s",
			       develop_step(&run->cfg, o.exit_status, step,
					    sizeof(step)),
			       how, why[0] ? ": " : "", why);
	}
	free(o.out);
	free(o.err);
	if (r->state == NODE_EXCLUDED) {
		warnf("node '%s': excluded: %s", r->name, r->reason);
	}
}

/* Why a claim ended without a lock, from its last lines. */
static void claim_failed(struct run *run, struct node_report *r,
			 struct sshconn_stream *st, enum chdir_state state,
			 const char *real)
{
	char why[600];

	if (state != CHDIR_UNKNOWN && state != CHDIR_DIR &&
	    state != CHDIR_ABSENT) {
		check_chdir(run, r, state, real);
		return;
	}
	text_last_line(sshconn_stream_stderr(st), why, sizeof(why));
	report_exclude(r, "making '%s' failed%s%s", run->cfg.chdir,
		       why[0] ? ": " : "", why);
}

/*
 * Claims CHDIR on node i over its session (claim.h): waits for another
 * run's lock when there is one, then keeps the lock in run->locks[i] for
 * this run.  Leaves the node out when CHDIR cannot be ours.
 */
static void claim_job(size_t i, void *arg)
{
	struct run *run = arg;
	struct node_report *r = &run->nodes[i];
	struct sshconn_stream *st;
	enum chdir_state state = CHDIR_UNKNOWN;
	char line[600];
	char text[400];
	char owner[400] = "";
	char why[300];
	long wait_ms = run->cfg.connect_timeout * 1000;
	int rc;

	if (r->state != NODE_PROBED) {
		return;
	}
	st = sshconn_stream_start(run->conns[i], run->claim_command, why,
				  sizeof(why));
	if (st == NULL) {
		report_exclude(r, "claiming '%s': %s", run->cfg.chdir, why);
		goto out;
	}
	while ((rc = sshconn_stream_line(st, wait_ms, line, sizeof(line), why,
					 sizeof(why))) > 0) {
		switch (claim_line(line, &state, text, sizeof(text))) {
		case CLAIM_BUSY:
			snprintf(owner, sizeof(owner), "%s", text);
			text_clean(owner); /* the node's text, printed */
			infof("node '%s': '%s' is in use by another run (%s): "
			      "waiting up to %lds", r->name, run->cfg.chdir,
			      owner, run->cfg.lock_timeout);
			wait_ms = (run->cfg.lock_timeout +
				   run->cfg.connect_timeout) * 1000;
			break;
		case CLAIM_TIMEOUT:
			report_exclude(r, "'%s' on the node is in use by another "
				       "run (%s), still after %lds "
				       "(cloud_lock_timeout)", run->cfg.chdir,
				       owner, run->cfg.lock_timeout);
			goto out;
		case CLAIM_LOCKLINK:
			report_exclude(r, "the lock file beside '%s' on the node "
				       "is a symbolic link (left as it is)",
				       run->cfg.chdir);
			goto out;
		case CLAIM_UNLOCKED:
			warnf("node '%s': no flock(1) there: '%s' is not "
			      "locked against other runs", r->name,
			      run->cfg.chdir);
			/* fall through */
		case CLAIM_LOCKED:
			if (state == CHDIR_DIR) {
				run->locks[i] = st;
				st = NULL;
				return;
			}
			break;
		case CLAIM_STATE:
			wait_ms = run->cfg.connect_timeout * 1000;
			break;
		case CLAIM_OTHER:
			break;
		}
	}
	if (rc < 0) {
		report_exclude(r, "claiming '%s': %s", run->cfg.chdir, why);
	} else {
		claim_failed(run, r, st, state, text);
	}
out:
	sshconn_stream_close(st);
	if (r->state == NODE_EXCLUDED) {
		warnf("node '%s': excluded: %s", r->name, r->reason);
	}
}

static void sync_job(size_t i, void *arg)
{
	struct run *run = arg;
	struct node_report *r = &run->nodes[i];

	if (r->state != NODE_PROBED) {
		return;
	}
	__atomic_store_n(&r->live_state, LIVE_SYNCING, __ATOMIC_RELAXED);
	rsync_sync_node(&run->cfg, run->rsync_path, r, run->live);
	__atomic_store_n(&r->live_state,
			 r->state == NODE_EXCLUDED ? LIVE_FAILED : LIVE_DONE,
			 __ATOMIC_RELAXED);
	if (run->live) {
		return; /* the display shows it; lines follow at the end */
	}
	if (r->state == NODE_EXCLUDED) {
		warnf("node '%s': excluded: %s", r->name, r->reason);
	} else {
		infof("node '%s': synced %lld files, %lld bytes in %.1fs",
		      r->name, r->files_sent, r->bytes_sent, r->sync_seconds);
	}
}

/* What this run writes into a lock file it holds, for others to show. */
static const char *run_owner(char *buf, size_t len)
{
	char host[256] = "?";
	char when[32] = "?";
	char *user = local_user();
	time_t now = time(NULL);
	struct tm tm;

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	if (gmtime_r(&now, &tm) != NULL) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	snprintf(buf, len, "pytest-cloud pid %ld by %s on %s since %s",
		 (long)getpid(), user ? user : "?", host, when);
	free(user);
	return buf;
}

static int setup_nodes(struct run *run)
{
	size_t i;
	char why[256];
	char owner[600];
	char *script;

	run->n = run->cfg.nodes.n;
	run->nodes = calloc(run->n, sizeof(*run->nodes));
	run->conns = calloc(run->n, sizeof(*run->conns));
	script = probe_script(run->cfg.chdir);
	run->probe_command = script ? shquote_sh_command(script) : NULL;
	free(script);
	run->check_command = develop_prepare_command(&run->cfg);
	run->locks = calloc(run->n, sizeof(*run->locks));
	run->claim_command = claim_command(run->cfg.chdir, run_owner(owner,
						sizeof(owner)),
					   run->cfg.lock_timeout);
	if (run->nodes == NULL || run->conns == NULL || run->locks == NULL ||
	    run->probe_command == NULL || run->check_command == NULL ||
	    run->claim_command == NULL) {
		return -1;
	}
	for (i = 0; i < run->n; i++) {
		run->nodes[i].name = run->cfg.nodes.v[i];
		if (nodename_parse(run->nodes[i].name, &run->nodes[i].addr, why,
				   sizeof(why)) < 0) {
			return -1;
		}
	}
	return 0;
}

static size_t count_state(const struct run *run, enum node_state s)
{
	size_t i;
	size_t k = 0;

	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].state == s) {
			k++;
		}
	}
	return k;
}

static void finish_dry_run(struct run *run)
{
	size_t i;

	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].state == NODE_PROBED) {
			run->nodes[i].state = NODE_OK;
		}
	}
}

/* Prints the per-node lines the live display stood in for. */
static void report_sync_lines(const struct run *run)
{
	size_t i;

	for (i = 0; i < run->n; i++) {
		const struct node_report *r = &run->nodes[i];

		if (r->live_state == LIVE_FAILED) {
			warnf("node '%s': excluded: %s", r->name, r->reason);
		}
	}
}

static int sync_nodes(struct run *run)
{
	struct display *d = NULL;
	double start = now_seconds();
	long long bytes = 0;
	long long files = 0;
	size_t i;

	run->rsync_path = spawn_find_program("rsync");
	if (run->rsync_path == NULL) {
		errorf("rsync: not found on PATH (install the rsync package)");
		return -1;
	}
	fanout_run(run->n, 0, claim_job, run);
	infof("syncing '%s' to '%s' on %zu nodes", run->cfg.rootdir,
	      run->cfg.chdir, count_state(run, NODE_PROBED));
	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].state == NODE_PROBED) {
			run->nodes[i].live_state = LIVE_WAITING;
		}
	}
	if (run->live) {
		d = display_start(run->nodes, run->n);
		run->live = d != NULL;
	}
	fanout_run(run->n, rsync_concurrency(run), sync_job,
		   run);
	if (d != NULL) {
		display_stop(d);
		report_sync_lines(run);
	}
	run->seconds.sync = now_seconds() - start;
	fanout_run(run->n, 0, prepare_job, run);
	run->seconds.prepare = now_seconds() - start - run->seconds.sync;
	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].synced && run->nodes[i].bytes_sent > 0) {
			bytes += run->nodes[i].bytes_sent;
		}
		if (run->nodes[i].synced && run->nodes[i].files_sent > 0) {
			files += run->nodes[i].files_sent;
		}
	}
	infof("sync done: %zu nodes, %lld files and %lld bytes sent, %.1fs",
	      count_state(run, NODE_OK), files, bytes, now_seconds() - start);
	return 0;
}

static int emit(struct run *run)
{
	struct render_specs specs = RENDER_SPECS_INIT;
	char *json = NULL;
	char *table = NULL;
	int status = EXIT_INTERNAL;
	size_t i;

	if (render_specs(&run->cfg, run->nodes, run->n, &specs) < 0) {
		errorf("out of memory");
		goto out;
	}
	json = render_json(&run->cfg, run->nodes, run->n, &specs,
			   &run->seconds);
	if (json == NULL) {
		errorf("out of memory");
		goto out;
	}
	if (!run->cfg.json_only && !run->cfg.quiet) {
		table = render_table(run->nodes, run->n);
		if (table != NULL) {
			fputs(table, stderr);
		}
	}
	printf("%s\n", json);
	fflush(stdout);
	if (specs.tx.n == 0) {
		errorf("no node can run tests:");
		for (i = 0; i < run->n; i++) {
			errorf("node '%s': %s", run->nodes[i].name,
			       run->nodes[i].reason ? run->nodes[i].reason
						    : "not usable");
		}
		status = EXIT_NO_NODES;
	} else {
		infof("%zu test processes on %zu of %zu nodes", specs.tx.n,
		      count_state(run, NODE_OK), run->n);
		status = 0;
	}
out:
	free(table);
	free(json);
	render_specs_release(&specs);
	return status;
}

/*
 * --hold: the plan is out (stdout closes, so the reader sees its end);
 * the nodes' locks stay held until stdin ends.  Meanwhile what the nodes
 * send is handled (keepalive requests among it), and a lock whose session
 * ended is said once.
 */
static void hold(struct run *run)
{
	struct pollfd in = { STDIN_FILENO, POLLIN, 0 };
	int devnull = open("/dev/null", O_WRONLY);
	char buf[512];
	size_t i;

	fflush(stdout);
	if (devnull >= 0) {
		dup2(devnull, STDOUT_FILENO);
		close(devnull);
	}
	signal(SIGINT, SIG_IGN);
	holding = 1;
	while (!hold_ended_by) {
		int rc = poll(&in, 1, 1000);

		if (rc < 0 && errno != EINTR) {
			break;
		}
		if (rc > 0 && read(STDIN_FILENO, buf, sizeof(buf)) <= 0) {
			break;
		}
		for (i = 0; i < run->n; i++) {
			if (run->locks[i] != NULL &&
			    !sshconn_stream_alive(run->locks[i])) {
				warnf("node '%s': its lock on '%s' ended (the "
				      "node is gone or restarted its sshd)",
				      run->nodes[i].name, run->cfg.chdir);
				sshconn_stream_close(run->locks[i]);
				run->locks[i] = NULL;
			}
		}
	}
}

static void run_release(struct run *run)
{
	size_t i;

	for (i = 0; run->nodes != NULL && i < run->n; i++) {
		report_release(&run->nodes[i]);
	}
	for (i = 0; run->locks != NULL && i < run->n; i++) {
		sshconn_stream_close(run->locks[i]);
	}
	free(run->locks);
	run->locks = NULL;
	for (i = 0; run->conns != NULL && i < run->n; i++) {
		sshconn_close(run->conns[i]);
	}
	free(run->conns);
	run->conns = NULL;
	free(run->nodes);
	run->nodes = NULL;
	free(run->probe_command);
	run->probe_command = NULL;
	free(run->check_command);
	run->check_command = NULL;
	free(run->claim_command);
	run->claim_command = NULL;
	free(run->rsync_path);
	run->rsync_path = NULL;
	config_release(&run->cfg);
}

int main(int argc, char **argv)
{
	struct run run;
	int status;

	memset(&run, 0, sizeof(run));
	sanitise_stdfd();
	signal(SIGPIPE, SIG_IGN);
	inifile_setup();
	if (argc > 1 && strcmp(argv[1], "init") == 0) {
		return init_main(argc - 1, argv + 1, template_plugin,
				 PYTEST_CLOUD_VERSION);
	}
	status = resolve(&run, argc, argv);
	if (status != 0) {
		run_release(&run);
		return status < 0 ? 0 : status;
	}
	if (run.cfg.quiet || run.cfg.json_only) {
		msgs_set_level(MSGS_QUIET);
	} else {
		run.live = isatty(STDERR_FILENO) && getenv("TERM") != NULL &&
			   strcmp(getenv("TERM"), "dumb") != 0;
	}
	if (setup_nodes(&run) < 0) {
		errorf("out of memory");
		run_release(&run);
		return EXIT_INTERNAL;
	}
	if (run.cfg.print_probe) {
		printf("%s\n", run.probe_command);
		run_release(&run);
		return 0;
	}
	run.fd_limit = fd_limit();
	if (run.fd_limit - FD_RESERVE - (long)run.n < 1) {
		errorf("%zu nodes need more open files than the limit of %ld "
		       "allows (one per node, and some in flight): raise it "
		       "(ulimit -n)", run.n, run.fd_limit);
		run_release(&run);
		return EXIT_INTERNAL;
	}
	if (spawn_registry_init(run.n + 4) < 0) {
		errorf("out of memory");
		run_release(&run);
		return EXIT_INTERNAL;
	}
	handle_stop_signals();
	ssh_init();
	infof("probing %zu nodes (connect timeout %lds)", run.n,
	      run.cfg.connect_timeout);
	run.seconds.probe = now_seconds();
	fanout_run(run.n, probe_concurrency(&run), probe_job, &run);
	run.seconds.probe = now_seconds() - run.seconds.probe;
	if (run.cfg.dry_run) {
		finish_dry_run(&run);
		status = 0;
	} else {
		status = sync_nodes(&run) < 0 ? EXIT_INTERNAL : 0;
	}
	if (status == 0) {
		status = emit(&run);
	}
	if (status == 0 && run.cfg.hold && !run.cfg.dry_run) {
		hold(&run);
	}
	run_release(&run);
	spawn_registry_release();
	ssh_finalize();
	return status;
}
