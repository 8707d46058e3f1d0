/* rsync: copies run on the nodes (see rsync.h). */
#define _GNU_SOURCE
#include "rsync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "rsyncargs.h"
#include "spawn.h"
#include "text.h"

static void watch_progress(const char *data, size_t len, void *arg)
{
	struct node_report *r = arg;
	long long v = rsync_progress_bytes(data, len);

	if (v >= 0) {
		__atomic_store_n(&r->live_bytes, v, __ATOMIC_RELAXED);
	}
}

/* argv with --info=progress2 after argv[0], for the live display. */
static int with_progress(const struct strvec *argv, struct strvec *out)
{
	size_t i;
	int rc = strvec_push(out, argv->v[0]);

	rc |= strvec_push(out, "--info=progress2");
	for (i = 1; i < argv->n; i++) {
		rc |= strvec_push(out, argv->v[i]);
	}
	return rc;
}

int rsync_run(const struct cloud_config *cfg, const char *rsync_path,
	      struct node_report *r, const struct strvec *built, int live,
	      const char *what, struct rsync_stats *stats, char *why,
	      size_t whylen)
{
	struct strvec argv = STRVEC_INIT;
	struct spawn_result res;
	char how[128];
	char first[400];
	char last[400];
	char err[512];
	double start = clock_seconds();
	int rc = -1;

	if (live && with_progress(built, &argv) != 0) {
		snprintf(why, whylen, "rsync: out of memory");
		goto out;
	}
	if (spawn_run_watch(rsync_path, live ? argv.v : built->v, &res,
			    live ? watch_progress : NULL, r,
			    cfg->sync_timeout, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "rsync: %s", err);
		goto out;
	}
	stats->seconds = clock_seconds() - start;
	if (res.timed_out) {
		snprintf(why, whylen, "rsync to '%s' did not end within %lds "
			 "(cloud_sync_timeout)", what, cfg->sync_timeout);
	} else if (res.exec_errno != 0 || !res.exited || res.code != 0) {
		spawn_describe(&res, how, sizeof(how));
		text_first_line(res.output, first, sizeof(first));
		text_last_line(res.output, last, sizeof(last));
		/* the first line says why; the last is rsync's summary */
		snprintf(why, whylen, "rsync to '%s' %s%s%s%s%s", what, how,
			 first[0] ? ": " : "", first,
			 strcmp(first, last) ? " ... " : "",
			 strcmp(first, last) ? last : "");
	} else {
		stats->bytes_sent = rsync_parse_stat(res.output,
						     "Total bytes sent:");
		stats->files_sent = rsync_parse_stat(
			res.output, "Number of regular files transferred:");
		rc = 0;
	}
	spawn_result_release(&res);
out:
	strvec_clear(&argv);
	return rc;
}

void rsync_sync_node(const struct cloud_config *cfg, const char *rsync_path,
		     struct node_report *r, const struct strvec *keep,
		     int live)
{
	struct strvec built = STRVEC_INIT;
	struct rsync_stats stats = { 0, 0, 0 };
	char why[1024];

	r->state = NODE_SYNCING;
	if (rsync_build_argv(cfg, r, keep, &built, why, sizeof(why)) < 0) {
		report_exclude(r, "rsync: %s", why);
	} else if (rsync_run(cfg, rsync_path, r, &built, live, cfg->chdir,
			     &stats, why, sizeof(why)) < 0) {
		r->sync_seconds = stats.seconds;
		report_exclude(r, "%s", why);
	} else {
		r->sync_seconds = stats.seconds;
		r->synced = 1;
		r->bytes_sent = stats.bytes_sent;
		r->files_sent = stats.files_sent;
		r->state = NODE_OK;
	}
	strvec_clear(&built);
}
