/*
 * strvec: a growable, NULL-terminated vector of owned strings, usable
 * directly as an argv for execv(3).
 *
 * Lifecycle: STRVEC_INIT or strvec_init(), then strvec_push*(), then
 * strvec_clear() (frees every string and the array; the vector may be
 * reused).  On allocation failure the push functions return -1 and leave
 * the vector as it was.
 */
#ifndef PYTEST_CLOUD_STRVEC_H
#define PYTEST_CLOUD_STRVEC_H

#include <stddef.h>

struct strvec {
	char **v;     /* NULL-terminated once anything was pushed; else NULL */
	size_t n;     /* number of strings, not counting the NULL */
	size_t alloc; /* slots allocated in v */
};

#define STRVEC_INIT { NULL, 0, 0 }

void strvec_init(struct strvec *sv);

/* Appends a copy of s.  Returns 0, or -1 when out of memory. */
int strvec_push(struct strvec *sv, const char *s);

/* Appends a formatted string.  Returns 0, or -1 when out of memory. */
int strvec_pushf(struct strvec *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Returns 1 when a string equal to s is in the vector, else 0. */
int strvec_contains(const struct strvec *sv, const char *s);

/* Frees every string and the array; leaves an empty vector. */
void strvec_clear(struct strvec *sv);

#endif
