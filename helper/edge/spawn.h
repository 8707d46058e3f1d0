/*
 * spawn: run a program without a shell and wait for it.
 *
 * Steps for the caller: find the program once with spawn_find_program,
 * build argv, call spawn_run, read the result, spawn_result_release.
 * argv and everything else are built before vfork() (a fork would copy
 * the helper's memory, which grows with its sessions, for each child
 * that execs at once); the child only
 * redirects stdin from /dev/null, sends stdout and stderr into one pipe,
 * closes every other fd, restores default signal handling and execs.  An
 * exec failure comes back through a close-on-exec pipe, so "not found" is
 * reported as such and never as a bare exit code.  Safe to call from
 * several threads at once.
 */
#ifndef PYTEST_CLOUD_SPAWN_H
#define PYTEST_CLOUD_SPAWN_H

#include <stddef.h>

struct spawn_result {
	int exec_errno; /* != 0 when the program could not be started */
	int exited;     /* 1: exited with code; 0: killed by signal */
	int code;
	int signal;
	int timed_out;  /* 1: stopped for running out of its time */
	char *output;   /* stdout and stderr merged, last 64 KiB; owned */
};

/* Looks name up in PATH (or takes it as is when it has a '/').  Returns a
 * newly allocated path, or NULL when there is no such executable. */
char *spawn_find_program(const char *name);

/* Runs path with argv and waits.  Returns 0 when the child was started
 * and reaped (see res for how it ended), or -1 with why filled. */
int spawn_run(const char *path, char *const argv[], struct spawn_result *res,
	      char *why, size_t whylen);

/* Called with each chunk of the child's output as it arrives. */
typedef void (*spawn_watch_fn)(const char *data, size_t len, void *arg);

/* spawn_run, calling watch (when not NULL) on the output as it comes;
 * a child still running after timeout_s seconds (0: no bound) gets
 * SIGTERM, then SIGKILL 2 s later, and res->timed_out is set. */
int spawn_run_watch(const char *path, char *const argv[],
		    struct spawn_result *res, spawn_watch_fn watch, void *arg,
		    long timeout_s, char *why, size_t whylen);

/* spawn_run_watch with envp as the child's whole environment (NULL:
 * this process's own). */
int spawn_run_env(const char *path, char *const argv[], char *const envp[],
		  struct spawn_result *res, spawn_watch_fn watch, void *arg,
		  long timeout_s, char *why, size_t whylen);

/* Describes how the child ended: "exited 23", "killed by signal 9",
 * "could not start: No such file or directory". */
void spawn_describe(const struct spawn_result *res, char *buf, size_t len);

/* Frees res->output. */
void spawn_result_release(struct spawn_result *res);

/*
 * The registry of running children, so that a run that is stopped stops
 * them too.  spawn_registry_init(max) before any thread starts (max: most
 * children at once; without it nothing is recorded); spawn_kill_all(sig)
 * sends sig to every child running now and is async-signal-safe (a
 * signal handler may call it); spawn_registry_release() at the end.
 */
int spawn_registry_init(size_t max);
void spawn_kill_all(int sig);
void spawn_registry_release(void);

#endif
