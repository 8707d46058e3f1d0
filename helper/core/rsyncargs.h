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

/*
 * The unchanged check: a node whose copy lists as the project does is
 * not copied again.  rsync --list-only, with the copy's filters and the
 * node's kept paths, lists each side (TZ=UTC0, LC_ALL=C): for every entry
 * a copy would send or --delete would remove, its type, permissions,
 * size, modification time to the second and name (a link's target too):
 * what rsync's own quick check compares, by default to the second.  The
 * lines are read alike on both sides: the first (the folder itself,
 * whose time the claim's marker changes) is dropped, each folder's size
 * and time left out (the file system's and its files': a test that adds
 * and removes a file changes its folder's time, which rsync would only
 * set back), and "rsync STATUS" added; equal SHA-256 digests mean that
 * rsync would send and delete nothing, but set folders' times.  Not
 * seen: CHDIR's own permissions, owners and groups (rsync sets a group
 * the login belongs to, an owner only as root), hard links between
 * files, and a file changed in place that kept its size and its time to
 * the second (as rsync's quick check).
 */
#define RSYNC_CHECK_HEX 64

/* The listing's locale and time zone, "NAME=VALUE", NULL-terminated: the
 * node's command sets them (rsync_check_command) and so does the helper's
 * own listing, in rsync's environment. */
extern const char *const rsync_check_env[];

/* rsync's argv listing dir/ so (argv[0] = "rsync"; keep may be NULL; a
 * relative dir as ./dir/, never read as HOST:PATH).  Returns 0, or -1
 * when out of memory. */
int rsync_build_check_argv(const struct cloud_config *cfg,
			   const struct strvec *keep, const char *dir,
			   struct strvec *out);

/* The node's command (every word quoted; any login shell): CHDIR listed
 * so, read as above, and its digest printed (sha256sum, or shasum -a 256)
 * as "HEX  -".  Newly allocated; NULL when out of memory. */
char *rsync_check_command(const struct cloud_config *cfg,
			  const struct strvec *keep);

/* The listing (len bytes of rsync's output, which ended with status)
 * read as the node's command reads it.  Newly allocated; NULL when out
 * of memory. */
char *rsync_check_text(const char *listing, size_t len, int status);

/* Its SHA-256 in lower-case hex into hex.  Returns 0, or -1. */
int rsync_check_digest(const char *listing, size_t len, int status,
		       char hex[RSYNC_CHECK_HEX + 1]);

/* The digest at the start of the node's output into hex.  Returns 0, or
 * -1 when output does not start with one. */
int rsync_check_parse(const char *output, char hex[RSYNC_CHECK_HEX + 1]);

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
