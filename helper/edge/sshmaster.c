/* sshmaster: the nodes' OpenSSH master connections (see sshmaster.h). */
#define _GNU_SOURCE
#include "sshmaster.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fanout.h"
#include "msgs.h"
#include "spawn.h"
#include "sshmux.h"
#include "text.h"

/* Open files one master being checked or started holds: its lock, its
 * socket, the output and exec-failure pipes of its ssh. */
#define FDS_PER_START 6

/* Masters started at once per CPU of this machine (within
 * cloud_max_connections). */
#define STARTS_PER_CPU 8

struct sshmasters {
	struct run *run;
	char dir[SSHMUX_FOLDER_MAX + 1];
	unsigned char *want; /* per node: probed when the step began */
	int *fds;            /* per node: its held control connection, or -1 */
	long held;           /* how many (atomic) */
	long hold_cap;       /* most that fit the open files */
	size_t workers;
	pthread_t thread;
	int running;
};

/* The folder, made 0700 and this user's own; 0, or -1 with why. */
static int prepare_folder(const char *dir, char *why, size_t len)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(why, len, "cannot make '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) < 0) {
		snprintf(why, len, "'%s': %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(why, len, "'%s' is not a folder of this user's own "
			 "(left as it is)", dir);
		return -1;
	}
	if ((st.st_mode & 077) != 0 && chmod(dir, 0700) < 0) {
		snprintf(why, len, "'%s' is open to others and cannot be made "
			 "private: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Takes path's lock (flock) within bound seconds; its fd, or -1 with
 * why. */
static int take_lock(const char *path, long bound, char *why, size_t len)
{
	double deadline = clock_seconds() + (double)bound;
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(why, len, "its lock '%s': %s", path, strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec pause = { 0, 20 * 1000 * 1000 };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(why, len, "its lock '%s': %s", path,
				 strerror(errno));
			close(fd);
			return -1;
		}
		if (clock_seconds() >= deadline) {
			snprintf(why, len, "its lock '%s' was not free within "
				 "%lds", path, bound);
			close(fd);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	return fd;
}

/* Connects to the control socket at path by deadline; the fd, or -1
 * (none there, nothing listening, or no answer). */
static int control_connect(const char *path, double deadline)
{
	struct sockaddr_un a;
	int fd;

	if (sshmux_sockaddr(path, &a) < 0) {
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	while (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		struct timespec pause = { 0, 10 * 1000 * 1000 };

		/* EAGAIN: its backlog is full for now */
		if ((errno != EAGAIN && errno != EINTR) ||
		    clock_seconds() >= deadline) {
			close(fd);
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	return fd;
}

/* Waits until fd is ready for events by deadline; 1, or 0. */
static int ready(int fd, short events, double deadline)
{
	struct pollfd p = { fd, events, 0 };

	for (;;) {
		double left = deadline - clock_seconds();
		int rc;

		if (left <= 0) {
			return 0;
		}
		rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc > 0) {
			return 1;
		}
		if (rc < 0 && errno != EINTR) {
			return 0;
		}
	}
}

/*
 * The alive check over a connected control socket: both hellos, then
 * MUX_C_ALIVE_CHECK answered by MUX_S_ALIVE with its pid, by deadline.
 * Returns 0, or -1.
 */
static int alive_check(int fd, double deadline)
{
	unsigned char out[SSHMUX_GREETING_LEN];
	unsigned char in[512];
	size_t have = 0;
	size_t sent = 0;
	int hello = 0;

	sshmux_greeting(1, out);
	while (sent < sizeof(out)) {
		ssize_t n;

		if (!ready(fd, POLLOUT, deadline)) {
			return -1;
		}
		n = send(fd, out + sent, sizeof(out) - sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return -1;
		}
		sent += n > 0 ? (size_t)n : 0;
	}
	for (;;) {
		struct sshmux_msg m;
		long used = sshmux_next(in, have, &m);
		ssize_t n;

		if (used < 0) {
			return -1;
		}
		if (used > 0) {
			if (!hello && (m.type != SSHMUX_MSG_HELLO ||
				       m.a != SSHMUX_VERSION)) {
				return -1;
			}
			if (hello) {
				return m.type == SSHMUX_S_ALIVE && m.a == 1 &&
						       m.b > 0
					       ? 0
					       : -1;
			}
			hello = 1;
			memmove(in, in + used, have - (size_t)used);
			have -= (size_t)used;
			continue;
		}
		if (have == sizeof(in) || !ready(fd, POLLIN, deadline)) {
			return -1; /* a hello with more extensions than ours */
		}
		n = recv(fd, in + have, sizeof(in) - have, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			return -1;
		}
		have += n > 0 ? (size_t)n : 0;
	}
}

/* A control connection to the live master at path, checked, by
 * deadline; its fd, or -1. */
static int control_check(const char *path, double deadline)
{
	int fd = control_connect(path, deadline);

	if (fd >= 0 && alive_check(fd, deadline) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Writes the master's known_hosts (path.key): the one key the probe
 * judged.  Returns 0, or -1 with why. */
static int write_key_file(const char *path, const struct node_report *r,
			  char *why, size_t len)
{
	char *line = sshmux_key_line(&r->ssh, r->host_key);
	char *file = NULL;
	char *tmp = NULL;
	int fd = -1;
	int rc = -1;

	if (line == NULL || asprintf(&file, "%s.key", path) < 0 ||
	    asprintf(&tmp, "%s.key.tmp", path) < 0) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
	    close(fd) < 0 || rename(tmp, file) < 0) {
		snprintf(why, len, "writing '%s': %s", file, strerror(errno));
		if (fd >= 0) {
			(void)unlink(tmp);
		}
		goto out;
	}
	rc = 0;
out:
	free(line);
	free(file);
	free(tmp);
	return rc;
}

/* Starts node r's master at path (words: sshmux_master_words) and
 * checks it; the control connection's fd, or -1 with why. */
static int start_master(struct run *run, const struct node_report *r,
			const struct strvec *words, const char *path,
			char *why, size_t len)
{
	struct strvec argv = STRVEC_INIT;
	struct spawn_result res = { 0 };
	char last[600];
	int fd = -1;

	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(why, len, "removing '%s': %s", path, strerror(errno));
		return -1;
	}
	if (write_key_file(path, r, why, len) < 0) {
		return -1;
	}
	if (sshmux_master_argv(&run->cfg, words, path, &argv) < 0) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	/* ssh returns once the master is in and listening (it forks) */
	if (spawn_run_watch(run->ssh_path, argv.v, &res, NULL, NULL,
			    run->cfg.connect_timeout, why, len) < 0) {
		goto out;
	}
	if (res.timed_out) {
		snprintf(why, len, "not up within %lds (cloud_connect_timeout)",
			 run->cfg.connect_timeout);
	} else if (!res.exited || res.code != 0) {
		char how[200];

		spawn_describe(&res, how, sizeof(how));
		text_last_line(res.output ? res.output : "", last, sizeof(last));
		text_clean(last);
		snprintf(why, len, "ssh %s%s%s", how, last[0] ? ": " : "", last);
	} else {
		fd = control_check(path, clock_seconds() +
					       (double)run->cfg.connect_timeout);
		if (fd < 0) {
			snprintf(why, len, "it started, but its socket '%s' "
				 "does not answer", path);
		}
	}
out:
	spawn_result_release(&res);
	strvec_clear(&argv);
	return fd;
}

/* Keeps node i's control connection while the open files allow it
 * (else closes it: its master may then end between the copy and the
 * gateways when cloud_ssh_persist is short). */
static void hold(struct sshmasters *m, size_t i, int fd)
{
	if (__atomic_add_fetch(&m->held, 1, __ATOMIC_RELAXED) > m->hold_cap) {
		__atomic_sub_fetch(&m->held, 1, __ATOMIC_RELAXED);
		close(fd);
		return;
	}
	m->fds[i] = fd;
}

/* Node i's master, checked or started (steps 2 to 5 of sshmaster.h). */
static void master_job(size_t i, void *arg)
{
	struct sshmasters *m = arg;
	struct run *run = m->run;
	struct node_report *r = &run->nodes[i];
	struct strvec words = STRVEC_INIT;
	char name[SSHMUX_NAME_LEN + 1];
	char *path = NULL;
	char *lock = NULL;
	char why[1200] = "out of memory";
	int lock_fd = -1;
	int fd = -1;

	if (!m->want[i]) {
		return;
	}
	if (sshmux_users(&r->ssh)) {
		r->mux = SSHMUX_YOURS;
		return;
	}
	if (sshmux_master_words(&run->cfg, r, &words) < 0 ||
	    sshmux_name(&words, r->ssh.digest, r->host_key, name) < 0 ||
	    asprintf(&path, "%s/%s", m->dir, name) < 0 ||
	    asprintf(&lock, "%s.lock", path) < 0) {
		goto out;
	}
	/* another run checks or starts it: at most two connect timeouts */
	lock_fd = take_lock(lock, 2 * run->cfg.connect_timeout + 2, why,
			    sizeof(why));
	if (lock_fd < 0) {
		goto out;
	}
	fd = control_check(path, clock_seconds() +
					 (double)run->cfg.connect_timeout);
	if (fd >= 0) {
		r->mux = SSHMUX_REUSED;
	} else {
		fd = start_master(run, r, &words, path, why, sizeof(why));
		r->mux = fd >= 0 ? SSHMUX_STARTED : SSHMUX_NONE;
	}
	if (fd >= 0) {
		r->mux_path = path;
		r->mux_client = run->mux_client;
		path = NULL;
		hold(m, i, fd);
	}
out:
	if (lock_fd >= 0) {
		close(lock_fd);
	}
	if (r->mux == SSHMUX_NONE) {
		warnf("node '%s': no ssh master connection (%s): its ssh "
		      "connections are made one by one", r->name, why);
	}
	strvec_clear(&words);
	free(path);
	free(lock);
}

static void *masters_thread(void *arg)
{
	struct sshmasters *m = arg;

	fanout_run(m->run->n, m->workers, master_job, m);
	return NULL;
}

/* The mux client beside the helper's own program (pytest-cloud-mux),
 * when it is there and can be run; newly allocated, or NULL. */
static char *find_mux_client(void)
{
	char self[4096];
	char *found = NULL;
	char *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0) {
		return NULL;
	}
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL) {
		return NULL;
	}
	*slash = '\0';
	if (asprintf(&found, "%s/pytest-cloud-mux", self) < 0) {
		return NULL;
	}
	if (access(found, X_OK) < 0) {
		free(found);
		found = NULL;
	}
	return found;
}

/* The folder's path for this user, in m->dir; 0, or -1 (said). */
static int choose_folder(struct sshmasters *m)
{
	char why[600];

	if (sshmux_folder(getenv("XDG_RUNTIME_DIR"), (unsigned long)geteuid(),
			  m->dir, sizeof(m->dir)) < 0) {
		return -1;
	}
	if (prepare_folder(m->dir, why, sizeof(why)) < 0) {
		warnf("ssh master connections are off for this run: %s", why);
		return -1;
	}
	return 0;
}

void sshmaster_begin(struct run *run)
{
	struct sshmasters *m;
	long spare = run_fds_in_flight(run);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i;

	if (run->cfg.dry_run || run->ssh_path == NULL || run->n == 0) {
		return;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL || (m->want = calloc(run->n, 1)) == NULL ||
	    (m->fds = malloc(run->n * sizeof(*m->fds))) == NULL) {
		goto fail;
	}
	m->run = run;
	run->mux_client = find_mux_client();
	for (i = 0; i < run->n; i++) {
		m->fds[i] = -1;
		m->want[i] = run->nodes[i].state == NODE_PROBED &&
			     run->nodes[i].host_key != NULL &&
			     run->nodes[i].ssh.from_ssh;
	}
	if (choose_folder(m) < 0) {
		goto fail;
	}
	/* a handshake is the client's CPU (OpenSSH's default key exchange
	 * most of all): more at once than a few per core only makes each
	 * slower, and nearer its connect timeout; the starts in flight and
	 * the connections held share what is left of the open files */
	m->workers = (size_t)run->cfg.max_connections;
	if (cpus < 1) {
		cpus = 1;
	}
	if ((long)m->workers > STARTS_PER_CPU * cpus) {
		m->workers = (size_t)(STARTS_PER_CPU * cpus);
	}
	if ((long)m->workers > spare / (2 * FDS_PER_START)) {
		m->workers = spare / (2 * FDS_PER_START) > 0
				     ? (size_t)(spare / (2 * FDS_PER_START))
				     : 1;
	}
	m->hold_cap = spare - (long)m->workers * FDS_PER_START;
	run->masters = m;
	if (pthread_create(&m->thread, NULL, masters_thread, m) == 0) {
		m->running = 1;
	} else {
		masters_thread(m); /* no thread: in turn, before the claims */
	}
	return;
fail:
	if (m != NULL) {
		free(m->want);
		free(m->fds);
		free(m);
	}
}

void sshmaster_end(struct run *run)
{
	struct sshmasters *m = run->masters;
	size_t count[SSHMUX_YOURS + 1] = { 0 };
	size_t i;

	if (m == NULL) {
		return;
	}
	if (m->running) {
		pthread_join(m->thread, NULL);
		m->running = 0;
	}
	for (i = 0; i < run->n; i++) {
		if (m->want[i]) {
			count[run->nodes[i].mux]++;
		}
	}
	if (count[SSHMUX_STARTED] + count[SSHMUX_REUSED] +
		    count[SSHMUX_YOURS] > 0) {
		infof("ssh master connections: %zu started, %zu reused, %zu of "
		      "your own ssh config (%s, cloud_ssh_persist %lds)",
		      count[SSHMUX_STARTED], count[SSHMUX_REUSED],
		      count[SSHMUX_YOURS], m->dir, run->cfg.ssh_persist);
	}
}

long sshmaster_held(const struct run *run)
{
	const struct sshmasters *m = run->masters;

	return m ? __atomic_load_n(&m->held, __ATOMIC_RELAXED) : 0;
}

void sshmaster_let_go(struct run *run, size_t i)
{
	struct sshmasters *m = run->masters;

	if (m == NULL || m->fds[i] < 0) {
		return;
	}
	close(m->fds[i]);
	m->fds[i] = -1;
	__atomic_sub_fetch(&m->held, 1, __ATOMIC_RELAXED);
}

void sshmaster_release(struct run *run)
{
	struct sshmasters *m = run->masters;
	size_t i;

	if (m == NULL) {
		return;
	}
	if (m->running) {
		pthread_join(m->thread, NULL);
	}
	for (i = 0; i < run->n; i++) {
		if (m->fds[i] >= 0) {
			close(m->fds[i]);
		}
	}
	free(m->fds);
	free(m->want);
	free(m);
	run->masters = NULL;
}
