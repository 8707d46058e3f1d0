/* udiff: what pytest-cloud init shows of a change it makes.  Pure. */
#ifndef PYTEST_CLOUD_UDIFF_H
#define PYTEST_CLOUD_UDIFF_H

/*
 * A unified diff (3 lines of context) of old and new, which differ in
 * one run of lines, with name in the headers ("--- a/NAME").  Empty
 * when they are equal.  Returns malloc'ed text, or NULL when out of
 * memory.
 */
char *udiff_make(const char *old, const char *new_text, const char *name);

#endif
