/*
 * display: the live one-line-per-node view of the sync (on a terminal).
 *
 * Steps: display_start (NULL when the thread cannot start: go on without
 * it), the sync, display_stop (draws the last state, joins, frees).
 */
#ifndef PYTEST_CLOUD_DISPLAY_H
#define PYTEST_CLOUD_DISPLAY_H

#include <stddef.h>

#include "report.h"

struct display;

/* Starts showing nodes[0..n) whose live_state is not LIVE_IDLE. */
struct display *display_start(struct node_report *nodes, size_t n);

/* Draws the final state, stops the thread and frees d; NULL is fine. */
void display_stop(struct display *d);

#endif
