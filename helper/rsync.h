/*
 * rsync: copying the project root to CHDIR on a node with native rsync.
 *
 * rsync_build_argv is pure: it builds the whole argument vector (no shell
 * anywhere; rsync splits its --rsh value itself, so the ssh config path
 * is double-quoted there).  rsync_sync_node runs it through spawn and
 * records the outcome in the node's report.
 *
 *   rsync --archive --hard-links --delete --stats --timeout=SECONDS
 *         --exclude=__pycache__ --exclude=*.pyc --exclude=.pytest_cache
 *         [--exclude=/IGNORED ...] [rsyncdirs: --include=/DIR/ and all below ...
 *         --exclude=*] [--bwlimit=KBPS] --rsh=SSH -- ROOTDIR/ [USER@]HOST:CHDIR/
 *
 * with SSH = ssh -o BatchMode=yes -o ConnectTimeout=N -o Compression=no
 *            -c CIPHER [-F CONFIG] [-p PORT].
 * --delete only touches what lies under CHDIR, which config_verify keeps
 * strictly inside the remote home.
 */
#ifndef PYTEST_CLOUD_RSYNC_H
#define PYTEST_CLOUD_RSYNC_H

#include <stddef.h>

#include "config.h"
#include "report.h"
#include "strvec.h"

/* Builds rsync's argv (argv[0] = "rsync") for the project into out;
 * keep (may be NULL) lists paths, relative to the root, that rsync
 * neither sends nor deletes on this node.  Returns 0, or -1 with err (out
 * of memory, or a config path rsync cannot be given). */
int rsync_build_argv(const struct cloud_config *cfg,
		     const struct node_report *r, const struct strvec *keep,
		     struct strvec *out, char *err, size_t errlen);

/* The same for copying the local folder src to dest on the node (from
 * its home, or absolute), without --delete, with filters first. */
int rsync_build_copy_argv(const struct cloud_config *cfg,
			  const struct node_report *r, const char *src,
			  const char *dest, const struct strvec *filters,
			  struct strvec *out, char *err, size_t errlen);

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

/* The number after "label" ("Number of regular files transferred:") in
 * rsync's --stats output, commas allowed; -1 when absent. */
long long rsync_parse_stat(const char *output, const char *label);


/* Copies the project (rsync_build_argv) to the node; on failure excludes
 * it with rsync's own message; on success fills bytes_sent and
 * sync_seconds.  With live set, rsync reports its progress
 * (--info=progress2) into r->live_bytes as it goes. */
void rsync_sync_node(const struct cloud_config *cfg, const char *rsync_path,
		     struct node_report *r, const struct strvec *keep,
		     int live);

/* The bytes figure of the newest progress2 update in data ("\r  1,234
 * 12% ..."); -1 when data has none. */
long long rsync_progress_bytes(const char *data, size_t len);

/*
 * Writes prefix and then arg as one word of an --rsh command in buf:
 * rsync splits --rsh at spaces and reads '...' as one word, with '' in it
 * for a '.  Returns 0, or -1 when buf is too small.
 */
int rsync_rsh_quote(const char *arg, const char *prefix, char *buf,
		    size_t len);

#endif
