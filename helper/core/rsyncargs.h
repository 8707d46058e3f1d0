/*
 * rsyncargs: rsync's argument vectors, built whole (no shell anywhere;
 * rsync splits its --rsh value itself, so the ssh config path is quoted
 * for it there), and its output read.  Pure; rsync.h runs them.
 *
 *   rsync --archive --hard-links --delete --stats --timeout=SECONDS
 *         --exclude=__pycache__ --exclude=*.pyc --exclude=.pytest_cache
 *         --exclude=/.pytest-cloud-project [--exclude=/KEPT ...]
 *         COPYSET (copyset.h: what is copied anyway, the defaults left
 *         out, rsyncignore, rsyncdirs)
 *         [--bwlimit=KBPS] --rsh=SSH -- ROOTDIR/ [USER@]HOST:CHDIR/
 *
 * with SSH = ssh SSHOPTS PIN -o Compression=no -c CIPHER [MUX] [-F CONFIG]
 * [-p PORT] (SSHOPTS: sshopts.h, as the gateways'; PIN: sshg_pin, where
 * the probe went; MUX: sshmux_client_opts, the node's master).
 * --delete only touches what lies under CHDIR, which config_verify keeps
 * strictly inside the remote home.
 */
#ifndef PYTEST_CLOUD_RSYNCARGS_H
#define PYTEST_CLOUD_RSYNCARGS_H

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

/* `rsync --list-only` of the project with the copy's filters (no node):
 * what a copy sends (copyset_parse_list reads it).  Returns 0, or -1 when
 * out of memory. */
int rsync_build_list_argv(const struct cloud_config *cfg, struct strvec *out);

/* The same for copying the local folder src to dest on the node (from
 * its home, or absolute), without --delete, with filters first. */
int rsync_build_copy_argv(const struct cloud_config *cfg,
			  const struct node_report *r, const char *src,
			  const char *dest, const struct strvec *filters,
			  struct strvec *out, char *err, size_t errlen);


/* The number after "label" ("Number of regular files transferred:") in
 * rsync's --stats output, commas allowed; -1 when absent. */
long long rsync_parse_stat(const char *output, const char *label);

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
