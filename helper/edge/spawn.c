/* spawn: vfork/exec/wait without a shell (see spawn.h). */
#define _GNU_SOURCE
#include "clock.h"
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SPAWN_MAX_OUTPUT (64 * 1024)

char *spawn_find_program(const char *name)
{
	const char *path = getenv("PATH");
	const char *p;

	if (strchr(name, '/') != NULL) {
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	}
	if (path == NULL) {
		path = "/usr/local/bin:/usr/bin:/bin";
	}
	for (p = path; *p != '\0';) {
		size_t len = strcspn(p, ":");
		char *cand = NULL;
		struct stat st;

		if (asprintf(&cand, "%.*s/%s", (int)(len ? len : 1),
			     len ? p : ".", name) < 0) {
			return NULL;
		}
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(cand, X_OK) == 0) {
			return cand;
		}
		free(cand);
		p += len;
		if (*p == ':') {
			p++;
		}
	}
	return NULL;
}

/*
 * The children running now, for spawn_kill_all (a signal handler): a
 * fixed array sized before any thread starts; slots are taken and freed
 * with atomic operations, 0 is a free slot.
 */
static pid_t *live;
static size_t live_max;

int spawn_registry_init(size_t max)
{
	live = calloc(max ? max : 1, sizeof(*live));
	live_max = live ? (max ? max : 1) : 0;
	return live ? 0 : -1;
}

void spawn_registry_release(void)
{
	free(live);
	live = NULL;
	live_max = 0;
}

static void live_add(pid_t pid)
{
	size_t i;

	for (i = 0; i < live_max; i++) {
		pid_t free_slot = 0;

		if (__atomic_compare_exchange_n(&live[i], &free_slot, pid, 0,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			return;
		}
	}
}

static void live_remove(pid_t pid)
{
	size_t i;

	for (i = 0; i < live_max; i++) {
		pid_t mine = pid;

		if (__atomic_compare_exchange_n(&live[i], &mine, 0, 0,
						__ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			return;
		}
	}
}

void spawn_kill_all(int sig)
{
	size_t i;

	for (i = 0; i < live_max; i++) {
		pid_t pid = __atomic_load_n(&live[i], __ATOMIC_SEQ_CST);

		if (pid > 0) {
			kill(-pid, sig); /* its group: what it started too */
		}
	}
}

/* In the child, which vfork made: it shares the helper's memory until it
 * execs, so it only calls async-signal-safe functions, changes no
 * variable of the parent's and never returns (execve, or _exit). */
static void child(const char *path, char *const argv[],
		  char *const envp[], int out_fd, int notify_fd)
{
	int devnull = open("/dev/null", O_RDONLY);
	struct sigaction dfl;
	sigset_t none;
	int e;
	int sig;

	/* a process group of its own: a stop reaches what it started too
	 * (rsync's ssh) */
	setpgid(0, 0);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(out_fd, 2) < 0) {
		goto fail;
	}
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++) {
		sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* keep notify_fd (close-on-exec) until exec; close the rest */
	if (notify_fd > 3) {
		close_range(3, (unsigned int)notify_fd - 1, 0);
	}
	close_range((unsigned int)notify_fd + 1, ~0U, 0);
	execve(path, argv, envp != NULL ? envp : environ);
fail:
	e = errno;
	if (write(notify_fd, &e, sizeof(e)) < 0) {
		/* the parent will see a bare exit */
	}
	_exit(127);
}

/* Waits for the child's output until deadline (0: no deadline); 1 when
 * there is some (or its end), 0 when the deadline passed. */
static int output_within(int fd, double deadline)
{
	struct pollfd p = { fd, POLLIN, 0 };

	for (;;) {
		int ms = -1;
		int rc;

		if (deadline > 0) {
			double left = deadline - clock_seconds();

			if (left <= 0) {
				return 0;
			}
			ms = (int)(left * 1000) + 1;
		}
		rc = poll(&p, 1, ms);
		if (rc > 0 || (rc < 0 && errno != EINTR)) {
			return 1;
		}
	}
}

/* The child has exited (it stays a zombie: waitpid still finds it, and
 * its pid, which is also its group's id, is not reused meanwhile). */
static int child_exited(pid_t pid)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	return waitid(P_PID, (id_t)pid, &info,
		      WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       info.si_pid == pid;
}

/* Drops the output until it ends or the child has exited, for at most
 * seconds.  Returns 1 when either happened.  The child's exit is enough:
 * what holds the pipe after it need not be ours to wait for (an OpenSSH
 * master keeps a multiplexed session's stderr until its node closes the
 * session, which a stalled command on the node never does). */
static int await_end(pid_t pid, int fd, double seconds)
{
	double until = clock_seconds() + seconds;
	char buf[4096];

	while (!child_exited(pid)) {
		double slice = clock_seconds() + 0.05;

		if (clock_seconds() >= until) {
			return 0;
		}
		if (output_within(fd, slice < until ? slice : until)) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n == 0 || (n < 0 && errno != EINTR)) {
				return 1; /* every holder of the pipe is gone */
			}
		}
	}
	return 1;
}

/* Stops a child that ran out of time, and what it started (its process
 * group: rsync's ssh): SIGTERM, then SIGKILL when neither the child has
 * exited nor the output ended 2 s later; then SIGKILL for whatever of
 * its group is left. */
static void stop_child(pid_t pid, int fd)
{
	kill(-pid, SIGTERM);
	if (!await_end(pid, fd, 2)) {
		kill(-pid, SIGKILL);
		(void)await_end(pid, fd, 2);
	}
	kill(-pid, SIGKILL);
}

static void read_output(int fd, struct spawn_result *res,
			spawn_watch_fn watch, void *arg, pid_t pid,
			double deadline)
{
	char buf[8192];
	size_t len = 0;
	ssize_t n;

	for (;;) {
		/* in slices: once the child has exited and its output is quiet
		 * for one, the output is whole, even when something outside
		 * the child's group still holds the pipe (await_end) */
		double slice = clock_seconds() + 0.25;

		if (deadline > 0 && deadline < slice) {
			slice = deadline;
		}
		if (!output_within(fd, slice)) {
			if (deadline > 0 && clock_seconds() >= deadline) {
				res->timed_out = 1;
				stop_child(pid, fd);
				break;
			}
			if (child_exited(pid)) {
				break;
			}
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		if (watch != NULL) {
			watch(buf, (size_t)n, arg);
		}
		if (res->output == NULL) {
			continue;
		}
		if (len + (size_t)n > SPAWN_MAX_OUTPUT) {
			/* keep the tail: that is where errors are */
			size_t drop = len + (size_t)n - SPAWN_MAX_OUTPUT;

			if (drop > len) {
				drop = len;
			}
			memmove(res->output, res->output + drop, len - drop);
			len -= drop;
		}
		if ((size_t)n > SPAWN_MAX_OUTPUT) {
			continue;
		}
		memcpy(res->output + len, buf, (size_t)n);
		len += (size_t)n;
		res->output[len] = '\0';
	}
}

int spawn_run(const char *path, char *const argv[], struct spawn_result *res,
	      char *why, size_t whylen)
{
	return spawn_run_watch(path, argv, res, NULL, NULL, 0, why, whylen);
}

int spawn_run_watch(const char *path, char *const argv[],
		    struct spawn_result *res, spawn_watch_fn watch, void *arg,
		    long timeout_s, char *why, size_t whylen)
{
	return spawn_run_env(path, argv, NULL, res, watch, arg, timeout_s,
			     why, whylen);
}

int spawn_run_env(const char *path, char *const argv[], char *const envp[],
		  struct spawn_result *res, spawn_watch_fn watch, void *arg,
		  long timeout_s, char *why, size_t whylen)
{
	int out[2] = { -1, -1 };
	int notify[2] = { -1, -1 };
	int status = 0;
	pid_t pid;
	ssize_t n;
	int e = 0;
	sigset_t all;
	sigset_t old;

	memset(res, 0, sizeof(*res));
	res->output = calloc(1, SPAWN_MAX_OUTPUT + 1);
	if (res->output == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(notify, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		goto fail;
	}
	/* no signal between the child's making and the registry: a handler
	 * that stops the run must find every child; the child starts with
	 * every signal blocked, too, until its handlers are the defaults
	 * (it must never run the helper's) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* vfork: a fork would copy the helper's page tables for each child
	 * (they grow with its sessions), only for the child to exec at once;
	 * this thread waits until the child has exec'd (it set its process
	 * group itself by then) */
	pid = vfork();
	if (pid == 0) {
		child(path, argv, envp, out[1], notify[1]);
	}
	if (pid > 0) {
		live_add(pid);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		snprintf(why, whylen, "vfork: %s", strerror(errno));
		goto fail;
	}
	close(out[1]);
	out[1] = -1;
	close(notify[1]);
	notify[1] = -1;
	read_output(out[0], res, watch, arg, pid,
		    timeout_s > 0 ? clock_seconds() + (double)timeout_s : 0);
	do {
		n = read(notify[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		res->exec_errno = e;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			live_remove(pid);
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			goto fail;
		}
	}
	live_remove(pid);
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
	}
	close(out[0]);
	close(notify[0]);
	return 0;
fail:
	if (out[0] >= 0) {
		close(out[0]);
	}
	if (out[1] >= 0) {
		close(out[1]);
	}
	if (notify[0] >= 0) {
		close(notify[0]);
	}
	if (notify[1] >= 0) {
		close(notify[1]);
	}
	spawn_result_release(res);
	return -1;
}

void spawn_describe(const struct spawn_result *res, char *buf, size_t len)
{
	if (res->exec_errno != 0) {
		snprintf(buf, len, "could not start: %s",
			 strerror(res->exec_errno));
	} else if (res->exited) {
		snprintf(buf, len, "exited %d", res->code);
	} else {
		snprintf(buf, len, "killed by signal %d", res->signal);
	}
}

void spawn_result_release(struct spawn_result *res)
{
	free(res->output);
	res->output = NULL;
}
