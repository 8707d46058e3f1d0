/*
 * display: the live view of the sync on a terminal.  A thread of its own
 * redraws, every 250 ms, one line per syncing node (state and bytes sent
 * so far) in place, from the nodes' live_* fields, which the sync threads
 * write with __atomic stores.
 */
#define _GNU_SOURCE
#include "display.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct display {
	struct node_report *nodes;
	size_t n;
	pthread_t thread;
	int done;  /* __atomic: set when the sync is over */
	int drawn; /* lines drawn last time */
	int width; /* of the node column */
};

static void display_draw(struct display *d)
{
	static const char *words[] = { "", "waiting", "syncing", "synced",
				       "failed" };
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	size_t i;
	int lines = 0;

	if (f == NULL) {
		return;
	}
	if (d->drawn > 0) {
		fprintf(f, "\033[%dA", d->drawn);
	}
	for (i = 0; i < d->n; i++) {
		struct node_report *r = &d->nodes[i];
		int state = __atomic_load_n(&r->live_state, __ATOMIC_RELAXED);
		long long bytes =
			__atomic_load_n(&r->live_bytes, __ATOMIC_RELAXED);

		if (state <= LIVE_IDLE || state > LIVE_FAILED) {
			continue;
		}
		fprintf(f, "\033[2K  %-*s  %-8s %12lld bytes\n", d->width,
			r->name, words[state], bytes);
		lines++;
	}
	if (fclose(f) == 0 && write(STDERR_FILENO, buf, size) < 0) {
		/* the terminal went away: nothing to do */
	}
	free(buf);
	d->drawn = lines;
}

static void *display_loop(void *arg)
{
	struct display *d = arg;

	while (!__atomic_load_n(&d->done, __ATOMIC_RELAXED)) {
		display_draw(d);
		usleep(250 * 1000);
	}
	display_draw(d);
	return NULL;
}

struct display *display_start(struct node_report *nodes, size_t n)
{
	struct display *d = calloc(1, sizeof(*d));
	size_t i;

	if (d == NULL) {
		return NULL;
	}
	d->nodes = nodes;
	d->n = n;
	d->width = 4;
	for (i = 0; i < n; i++) {
		if ((int)strlen(nodes[i].name) > d->width) {
			d->width = (int)strlen(nodes[i].name);
		}
	}
	if (pthread_create(&d->thread, NULL, display_loop, d) != 0) {
		free(d);
		return NULL;
	}
	return d;
}

void display_stop(struct display *d)
{
	if (d == NULL) {
		return;
	}
	__atomic_store_n(&d->done, 1, __ATOMIC_RELAXED);
	pthread_join(d->thread, NULL);
	free(d);
}
