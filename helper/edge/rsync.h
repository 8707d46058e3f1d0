/*
 * rsync: the copies to the nodes, run with native rsync through spawn
 * (argv built by rsyncargs.h), each bounded by cloud_sync_timeout; the
 * outcome recorded in the node's report.
 */
#ifndef PYTEST_CLOUD_RSYNC_H
#define PYTEST_CLOUD_RSYNC_H

#include <stddef.h>

#include "config.h"
#include "report.h"
#include "strvec.h"

struct rsync_stats {
	long long bytes_sent;
	long long files_sent; /* -1 unknown */
	double seconds;
};

/*
 * Runs argv for node r, bounded by cloud_sync_timeout (what names the
 * destination in messages).  Returns 0 with stats, or -1 with why
 * (rsync's own first and last lines, or the timeout).
 */
int rsync_run(const struct cloud_config *cfg, const char *rsync_path,
	      struct node_report *r, const struct strvec *argv, int live,
	      const char *what, struct rsync_stats *stats, char *why,
	      size_t whylen);

/* Copies the project (rsync_build_argv) to the node; on failure excludes
 * it with rsync's own message; on success fills bytes_sent and
 * sync_seconds.  With live set, rsync reports its progress
 * (--info=progress2) into r->live_bytes as it goes. */
void rsync_sync_node(const struct cloud_config *cfg, const char *rsync_path,
		     struct node_report *r, const struct strvec *keep,
		     int live);

#endif
