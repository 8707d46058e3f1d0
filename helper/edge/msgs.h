/*
 * msgs: every line the helper prints to stderr goes through here.
 *
 * stdout carries only the JSON result; progress, warnings and errors go to
 * stderr, each prefixed with "pytest-cloud: ".  Callers format the node
 * first ("node 'user@host': ..."), then what failed, then why.
 */
#ifndef PYTEST_CLOUD_MSGS_H
#define PYTEST_CLOUD_MSGS_H

#define MSGS_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* How chatty the helper is on stderr. */
enum msgs_level {
	MSGS_QUIET = 0, /* errors only */
	MSGS_NORMAL = 1 /* errors, warnings and progress */
};

/* Sets the level; MSGS_NORMAL until called.  Not thread-safe: call once
 * before any thread starts. */
void msgs_set_level(enum msgs_level level);

/* Progress line (suppressed at MSGS_QUIET).  Thread-safe: one line is
 * written with a single write(2). */
void infof(const char *fmt, ...) MSGS_PRINTF(1, 2);

/* Warning line, prefixed "warning: " (suppressed at MSGS_QUIET). */
void warnf(const char *fmt, ...) MSGS_PRINTF(1, 2);

/* Error line, prefixed "error: "; always printed. */
void errorf(const char *fmt, ...) MSGS_PRINTF(1, 2);

#endif
