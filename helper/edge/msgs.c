/* msgs: stderr output, one write(2) per line so threads do not interleave. */
#include "msgs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum msgs_level current_level = MSGS_NORMAL;

void msgs_set_level(enum msgs_level level)
{
	current_level = level;
}

static void emit(const char *kind, const char *fmt, va_list ap)
{
	char line[2048];
	size_t len = 0;
	int n;

	n = snprintf(line, sizeof(line), "pytest-cloud: %s", kind);
	if (n > 0) {
		len = (size_t)n;
	}
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n > 0) {
		len += (size_t)n;
	}
	if (len > sizeof(line) - 2) {
		len = sizeof(line) - 2;
	}
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nothing sensible left to report to */
	}
}

/* The body of infof, warnf and errorf: says fmt with kind's prefix when
 * the level is at least min. */
#define SAY(min, kind)                           \
	do {                                     \
		va_list ap;                      \
		if (current_level < (min)) {     \
			return;                  \
		}                                \
		va_start(ap, fmt);               \
		emit(kind, fmt, ap);             \
		va_end(ap);                      \
	} while (0)

void infof(const char *fmt, ...)
{
	SAY(MSGS_NORMAL, "");
}

void warnf(const char *fmt, ...)
{
	SAY(MSGS_NORMAL, "warning: ");
}

void errorf(const char *fmt, ...)
{
	SAY(MSGS_QUIET, "error: ");
}
