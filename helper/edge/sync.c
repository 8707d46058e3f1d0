/* sync: copy and prepare the probed nodes (see sync.h). */
#define _GNU_SOURCE
#include "sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "claim.h"
#include "develop.h"
#include "display.h"
#include "fanout.h"
#include "hold.h"
#include "msgs.h"
#include "probe.h"
#include "resolve.h"
#include "rsync.h"
#include "rsyncargs.h"
#include "spawn.h"
#include "sshconn.h"
#include "sshmaster.h"
#include "text.h"

/* Why a claim ended without a lock, from its last lines. */
static void claim_failed(struct run *run, struct node_report *r,
			 struct sshconn_stream *st,
			 const struct chdir_facts *f)
{
	char why[600];
	char *err;

	if (f->state != CHDIR_UNKNOWN &&
	    run_check_chdir(run, r, f) < 0) {
		return;
	}
	err = strdup(sshconn_stream_stderr(st));
	text_last_line(err ? err : "", why, sizeof(why));
	free(err);
	text_clean(why);
	report_exclude(r, "making '%s' failed%s%s", run->cfg.chdir,
		       why[0] ? ": " : "", why);
}

/* Node i's claim command (its own owner text), waiting up to wait_s
 * for another run's lock. */
static char *claim_command_for(const struct run *run, size_t i,
			       long wait_s)
{
	char *owner = claim_owner(run->token, i, run->who);
	struct claim_spec spec = { run->cfg.chdir, run->marker, owner,
				   run->token, wait_s,
				   run->cfg.connect_timeout,
				   2 * run->cfg.keepalive };
	char *command = owner ? claim_command(&spec) : NULL;

	free(owner);
	return command;
}

/*
 * Reads a "busy" line: 1 when the lock is held through another node of
 * this run (that node's index in *other), else 0 with whose it is in
 * owner, for the message.
 */
static int held_by_us(const struct run *run, size_t i, const char *text,
		      size_t *other, char *owner, size_t len)
{
	size_t j;

	if (claim_owner_parse(text, run->token, &j, owner, len) && j != i &&
	    j < run->n) {
		*other = j;
		return 1;
	}
	text_clean(owner); /* the node's text, printed */
	return 0;
}

/* A pass of claims: how long each waits for another run's lock, and
 * (busy non-NULL) that a lock another run holds is not waited for but
 * marked busy[i], the node left as it is. */
struct claim_pass {
	struct run *run;
	long wait_s;
	unsigned char *busy;
};

/*
 * Claims CHDIR on node i over its session (claim.h): waits for another
 * run's lock when there is one (or marks it busy: claim_pass), then
 * keeps the lock in run->locks[i] for this run.  A lock held by this
 * very run through another node means the two share one folder (a
 * shared home): node i then uses that node's copy.  Leaves the node out
 * when CHDIR cannot be ours.  One deadline bounds the whole claim,
 * however often the node speaks.
 */
static void claim_job(size_t i, void *arg)
{
	struct claim_pass *pass = arg;
	struct run *run = pass->run;
	struct node_report *r = &run->nodes[i];
	struct sshconn_stream *st = NULL;
	struct chdir_facts f;
	char *command;
	char line[1200];
	char text[600];
	char owner[400] = "";
	char why[300];
	double deadline = clock_seconds() +
			  (double)(pass->wait_s + 3 * run->cfg.connect_timeout);
	int said = 1; /* the current owner was said */
	size_t other;
	int rc;

	memset(&f, 0, sizeof(f));
	if (r->state != NODE_PROBED || r->in_place) {
		return; /* an in-place node copies nothing: no claim */
	}
	command = claim_command_for(run, i, pass->wait_s);
	if (command == NULL) {
		report_exclude(r, "claiming '%s': out of memory",
			       run->cfg.chdir);
		goto out;
	}
	st = sshconn_stream_start(run->conns[i], command, why, sizeof(why));
	free(command);
	if (st == NULL) {
		report_exclude(r, "claiming '%s': %s", run->cfg.chdir, why);
		goto out;
	}
	while ((rc = sshconn_stream_line(
			st, (long)((deadline - clock_seconds()) * 1000.0),
			line, sizeof(line), why, sizeof(why))) > 0) {
		switch (claim_line(line, &f, text, sizeof(text))) {
		case CLAIM_BUSY:
			if (held_by_us(run, i, text, &other, owner,
				       sizeof(owner))) {
				r->shares_with = (long)other;
				goto out;
			}
			said = 0; /* said once it holds for a second */
			break;
		case CLAIM_WAIT:
			if (!said && pass->busy == NULL) {
				infof("node '%s': '%s' is in use by another "
				      "run (%s): waiting up to %lds", r->name,
				      run->cfg.chdir, owner,
				      run->cfg.lock_timeout);
				said = 1;
			}
			break;
		case CLAIM_TIMEOUT:
			if (pass->busy != NULL) {
				pass->busy[i] = 1;
				goto out;
			}
			report_exclude(r, "'%s' on the node is in use by another "
				       "run (%s), still after %lds "
				       "(cloud_lock_timeout)", run->cfg.chdir,
				       owner, run->cfg.lock_timeout);
			goto out;
		case CLAIM_LOCKLINK:
			report_exclude(r, "a lock file beside '%s' on the node "
				       "is a symbolic link (left as it is)",
				       run->cfg.chdir);
			goto out;
		case CLAIM_UNLOCKED:
			warnf("node '%s': no flock(1) there: '%s' is not "
			      "locked against other runs", r->name,
			      run->cfg.chdir);
			/* fall through */
		case CLAIM_LOCKED:
			if (f.state == CHDIR_DIR) {
				run_say_replacing(r, &f, "replacing");
				r->claimed = 1;
				r->chdir_new = f.owner == OWNER_NONE ||
					       f.owner == OWNER_EMPTY;
				hold_set_lock(run, i, st);
				st = NULL;
				return;
			}
			break;
		case CLAIM_STATE:
		case CLAIM_OWNER:
		case CLAIM_OTHER:
			break;
		}
	}
	if (rc < 0 && clock_seconds() >= deadline - 0.05) {
		report_exclude(r, "claiming '%s': not done within %lds "
			       "(cloud_lock_timeout and 3 x "
			       "cloud_connect_timeout)", run->cfg.chdir,
			       pass->wait_s + 3 * run->cfg.connect_timeout);
	} else if (rc < 0) {
		report_exclude(r, "claiming '%s': %s", run->cfg.chdir, why);
	} else {
		claim_failed(run, r, st, &f);
	}
out:
	sshconn_stream_close(st);
	run_say_excluded(r);
}

/*
 * Whose text the lock file beside CHDIR holds, read through node i after
 * every claim is done.  Where flock does not exclude across the nodes of
 * a shared home (no flock(1), NFS without locking), each claimed the
 * folder and the last one's text is what all of them read: a node that
 * reads another node's text of this run shares that node's folder.
 */
static void verify_job(size_t i, void *arg)
{
	struct run *run = arg;
	struct node_report *r = &run->nodes[i];
	struct sshconn_output o = { NULL, NULL, -1, "" };
	char *command;
	char why[300];
	char shown[400];
	size_t j;

	if (!r->claimed || r->state != NODE_PROBED) {
		return;
	}
	command = claim_lockfile_command(run->cfg.chdir);
	if (command == NULL ||
	    sshconn_exec(run->conns[i], command, run->cfg.connect_timeout,
			 &o, why, sizeof(why)) < 0 || o.exit_status != 0) {
		goto out;
	}
	if (claim_owner_parse(o.out, run->token, &j, shown, sizeof(shown))) {
		if (j != i && j < run->n && run->nodes[j].claimed) {
			r->shares_with = (long)j;
		}
	} else if (strncmp(o.out, "pytest-cloud run ", 17) == 0) {
		/* another run claimed it too: flock did not keep them apart */
		text_clean(shown);
		report_exclude(r, "another run wrote the lock file of '%s' "
			       "(%s): flock(1) does not keep runs apart there "
			       "(NFS without locks?)", run->cfg.chdir, shown);
		run_say_excluded(r);
	}
out:
	free(command);
	free(o.out);
	free(o.err);
}

/* The node whose folder node i uses: follows shares_with (at most n
 * steps, so that a loop ends) to a node that claimed its folder; i
 * itself when it uses its own. */
static size_t folder_of(const struct run *run, size_t i)
{
	size_t k = i;
	size_t steps;

	for (steps = 0; steps < run->n && run->nodes[k].shares_with >= 0;
	     steps++) {
		k = (size_t)run->nodes[k].shares_with;
	}
	return k;
}

/* Says which nodes share whose folder (one line per folder). */
static void say_shared(const struct run *run, size_t lead)
{
	struct buf b = BUF_INIT;
	size_t i;
	size_t k = 0;
	char *names;

	for (i = 0; i < run->n; i++) {
		if (i != lead && run->nodes[i].shares_with == (long)lead) {
			buf_printf(&b, "%s'%s'", k++ ? ", " : "",
				   run->nodes[i].name);
		}
	}
	names = buf_take(&b);
	if (k > 0 && names != NULL) {
		infof("node%s %s share%s '%s' with node '%s' (one home on "
		      "several nodes): one copy, through '%s'",
		      k > 1 ? "s" : "", names, k > 1 ? "" : "s",
		      run->cfg.chdir, run->nodes[lead].name,
		      run->nodes[lead].name);
	}
	free(names);
}

/*
 * Groups the nodes that share a folder: each points at the node that
 * claimed it (which copies for all of them); a node whose folder's node
 * was left out goes with it.  Locks taken twice (flock that does not
 * exclude) are let go but for the copying node's.
 */
static void group_shared(struct run *run)
{
	size_t i;

	for (i = 0; i < run->n; i++) {
		struct node_report *r = &run->nodes[i];
		size_t lead;

		if (r->shares_with < 0 || r->state != NODE_PROBED) {
			r->shares_with = -1;
			continue;
		}
		lead = folder_of(run, i);
		if (lead == i || !run->nodes[lead].claimed) {
			/* a loop, or its folder's node did not claim it:
			 * the node has no folder of its own to use */
			const struct node_report *l = &run->nodes[lead];

			r->shares_with = -1;
			report_exclude(r, "'%s' is the same folder as on node "
				       "'%s', which was left out%s%s",
				       run->cfg.chdir, l->name,
				       l->reason ? ": " : "",
				       l->reason ? l->reason : "");
			run_say_excluded(r);
			continue;
		}
		r->shares_with = (long)lead;
		if (r->claimed) {
			r->claimed = 0;
			hold_set_lock(run, i, NULL);
		}
	}
	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].claimed) {
			say_shared(run, i);
		}
	}
}

/* A node that shares another's folder is as good as that node's copy. */
static void follow_copies(struct run *run)
{
	size_t i;

	for (i = 0; i < run->n; i++) {
		struct node_report *r = &run->nodes[i];
		const struct node_report *l;

		if (r->shares_with < 0 || r->state != NODE_PROBED) {
			continue;
		}
		l = &run->nodes[r->shares_with];
		if (l->state == NODE_OK) {
			r->state = NODE_OK;
		} else {
			report_exclude(r, "its folder '%s' is node '%s''s, whose "
				       "copy failed", run->cfg.chdir, l->name);
			run_say_excluded(r);
		}
	}
}

/* Runs command on node i within cloud_sync_timeout; 0, or -1 with why
 * (the command's last line on stderr when it failed). */
static int node_exec(struct run *run, size_t i, const char *command,
		     char *why, size_t len)
{
	struct sshconn_output o = { NULL, NULL, -1, "" };
	char how[80];
	char last[600];
	int rc = -1;

	if (command == NULL) {
		snprintf(why, len, "out of memory");
	} else if (sshconn_exec(run->conns[i], command, run->cfg.sync_timeout,
				&o, why, len) == 0) {
		if (o.exit_status == 0) {
			rc = 0;
		} else {
			sshconn_describe_end(&o, how, sizeof(how));
			text_last_line(o.err, last, sizeof(last));
			snprintf(why, len, "%s%s%s", how, last[0] ? ": " : "",
				 last);
		}
	}
	free(o.out);
	free(o.err);
	return rc;
}

/*
 * The virtualenv's interpreter to node i, when it travels (interp.h):
 * its folder made, the prefix copied to a name of this run's (removed
 * again when rsync fails), counted, marked, put in place, then run once.
 * Returns 0, or -1 with the node left out (before the project is
 * copied).
 */
static int copy_interpreter(struct run *run, size_t i)
{
	struct node_report *r = &run->nodes[i];
	const struct interp_base *b = &run->base;
	struct strvec filters = STRVEC_INIT;
	struct strvec argv = STRVEC_INIT;
	struct rsync_stats stats = { 0, 0, 0 };
	char *dest = NULL;
	char *partial = NULL;
	char *command = NULL;
	char *origin = NULL;
	char why[1200];
	char discard_why[300];
	int rc = -1;

	if (!run->have_base || (r->interp.how != INTERP_COPY_HERE &&
				r->interp.how != INTERP_COPY_CACHE)) {
		return 0;
	}
	dest = interp_copy_dest(b, &r->interp);
	partial = dest ? interp_partial(dest, run->token) : NULL;
	/* the partial copy may be written through the copy and the step
	 * after it, each within cloud_sync_timeout */
	command = dest ? interp_before_copy(dest, run->token,
					    2 * run->cfg.sync_timeout + 60)
		       : NULL;
	if (node_exec(run, i, command, why, sizeof(why)) < 0) {
		report_exclude(r, "copying Python %s there: making the folder "
			       "of '%s': %s", b->minor, dest ? dest : "?", why);
		goto out;
	}
	if (partial == NULL || interp_copy_filters(b, &filters) < 0 ||
	    rsync_build_copy_argv(&run->cfg, r, b->prefix, partial, &filters,
				  &argv, why, sizeof(why)) < 0 ||
	    rsync_run(&run->cfg, run->rsync_path, r, &argv, 0, partial, &stats,
		      why, sizeof(why)) < 0) {
		report_exclude(r, "copying Python %s ('%s') there: %s", b->minor,
			       b->prefix, partial ? why : "out of memory");
		free(command);
		command = dest ? interp_discard_copy(dest, run->token) : NULL;
		node_exec(run, i, command, discard_why, sizeof(discard_why));
		goto out;
	}
	r->interp_bytes = stats.bytes_sent;
	free(command);
	command = NULL;
	if (asprintf(&origin, "copied by pytest-cloud (%s) from %s", run->who,
		     b->prefix) >= 0) {
		command = interp_after_copy(b, dest, run->token, origin);
	}
	if (node_exec(run, i, command, why, sizeof(why)) < 0) {
		report_exclude(r, "Python %s copied to '%s' does not run there: %s",
			       b->minor, dest, why);
		goto out;
	}
	infof("node '%s': Python %s copied to '%s' (%lld bytes sent)", r->name,
	      b->version, dest, r->interp_bytes);
	rc = 0;
out:
	strvec_clear(&filters);
	strvec_clear(&argv);
	free(dest);
	free(partial);
	free(command);
	free(origin);
	return rc;
}

/* Collects a child's whole output (spawn keeps only its last part). */
static void collect(const char *data, size_t len, void *arg)
{
	buf_add(arg, data, len);
}

/* The project's digest for the unchanged check with these kept paths
 * (rsyncargs.h), listed here: rsync with the listing's time zone and
 * locale set in its environment.  0 with hex, or -1 when it cannot be had
 * (the node is then copied). */
static int project_digest(struct run *run, const struct strvec *keep,
			  char hex[RSYNC_CHECK_HEX + 1])
{
	struct strvec argv = STRVEC_INIT;
	struct strvec envp = STRVEC_INIT;
	struct spawn_result res = { 0 };
	struct buf out = BUF_INIT;
	char why[256];
	char *listing = NULL;
	char **e;
	size_t i;
	int failed = 0;
	int rc = -1;

	/* this environment, with the listing's own LC_ALL and TZ in place of
	 * any it has (rsync_check_env, as on the node) */
	for (e = environ; *e != NULL; e++) {
		const char *const *mine = rsync_check_env;
		size_t name = strcspn(*e, "=");

		while (*mine != NULL && strncmp(*e, *mine, name + 1) != 0) {
			mine++;
		}
		if (*mine == NULL) {
			failed |= strvec_push(&envp, *e);
		}
	}
	for (i = 0; rsync_check_env[i] != NULL; i++) {
		failed |= strvec_push(&envp, rsync_check_env[i]);
	}
	if (failed || rsync_build_check_argv(&run->cfg, keep,
					     run->cfg.rootdir, &argv) < 0 ||
	    spawn_run_env(run->rsync_path, argv.v, envp.v, &res, collect,
			  &out, run->cfg.sync_timeout, why, sizeof(why)) < 0) {
		goto out;
	}
	listing = buf_take(&out);
	if (listing != NULL && res.exited && res.code == 0 &&
	    res.exec_errno == 0 && listing[0] != '\0') {
		rc = rsync_check_digest(listing, strlen(listing), 0, hex);
	}
out:
	spawn_result_release(&res);
	free(buf_take(&out));
	free(listing);
	strvec_clear(&argv);
	strvec_clear(&envp);
	return rc;
}

/* project_digest, once per run for each list of kept paths (nodes run
 * this at once: the first lists, the others wait for it). */
static int project_digest_once(struct run *run, const struct strvec *keep,
			       char hex[RSYNC_CHECK_HEX + 1])
{
	struct buf b = BUF_INIT;
	char *key;
	size_t i;
	int rc = -1;

	for (i = 0; keep != NULL && i < keep->n; i++) {
		buf_printf(&b, "%s\n", keep->v[i]);
	}
	key = buf_take(&b);
	if (key == NULL) {
		return -1;
	}
	pthread_mutex_lock(&run->check_mu);
	for (i = 0; i < run->check_cache.n; i++) {
		if (strcmp(run->check_cache.v[i] + RSYNC_CHECK_HEX + 1,
			   key) == 0) {
			break;
		}
	}
	if (i == run->check_cache.n) {
		if (project_digest(run, keep, hex) < 0) {
			memset(hex, '-', RSYNC_CHECK_HEX);
			hex[RSYNC_CHECK_HEX] = '\0';
		}
		(void)strvec_pushf(&run->check_cache, "%s %s", hex, key);
	} else {
		snprintf(hex, RSYNC_CHECK_HEX + 1, "%s", run->check_cache.v[i]);
	}
	rc = hex[0] != '-' ? 0 : -1;
	pthread_mutex_unlock(&run->check_mu);
	free(key);
	return rc;
}

/* The project listed for the unchanged check ahead of the copies, on a
 * thread of its own once the claims are in, beside the masters (so that
 * no node's check waits for it), with the kept paths of the first node
 * that will check: as a rule every node's (a node with others gets its
 * own listing when it checks); none when no node will (a first copy). */
struct listing_ahead {
	struct run *run;
	struct strvec keep;
	pthread_t thread;
	int running;
};

static void *list_ahead(void *arg)
{
	struct listing_ahead *a = arg;
	char hex[RSYNC_CHECK_HEX + 1];

	(void)project_digest_once(a->run, &a->keep, hex);
	return NULL;
}

static void list_ahead_start(struct run *run, struct listing_ahead *a)
{
	size_t i;

	a->run = run;
	for (i = 0; i < run->n; i++) {
		const struct node_report *r = &run->nodes[i];

		if (r->state == NODE_PROBED && !r->in_place && r->claimed &&
		    !r->chdir_new) {
			break;
		}
	}
	if (i == run->n || (run->have_base &&
			    interp_keep(&run->base, &run->nodes[i].interp,
					run->cfg.venv_rel, &a->keep) < 0)) {
		return;
	}
	a->running = pthread_create(&a->thread, NULL, list_ahead, a) == 0;
}

static void list_ahead_end(struct listing_ahead *a)
{
	if (a->running) {
		pthread_join(a->thread, NULL);
		a->running = 0;
	}
	strvec_clear(&a->keep);
}

/*
 * The unchanged check (rsyncargs.h) of node i, whose folder was there
 * before this run: its copy listed on the node, over the probe's
 * session, against the project listed here.  1 when they are alike
 * (nothing to send), 0 when they differ, -1 with why when the check could
 * not tell (the project not listed here, a command missing there, its
 * time out): the copy goes ahead but for 1.
 */
static int copy_unchanged(struct run *run, size_t i,
			  const struct strvec *keep, char *why, size_t len)
{
	struct node_report *r = &run->nodes[i];
	struct sshconn_output o = { NULL, NULL, -1, "" };
	char here[RSYNC_CHECK_HEX + 1];
	char there[RSYNC_CHECK_HEX + 1];
	char *command = NULL;
	int rc = -1;

	if (r->chdir_new || run->conns[i] == NULL) {
		return 0;
	}
	if (project_digest_once(run, keep, here) < 0) {
		snprintf(why, len, "the project could not be listed here");
		return -1;
	}
	command = rsync_check_command(&run->cfg, keep);
	if (command == NULL) {
		snprintf(why, len, "out of memory");
	} else if (sshconn_exec(run->conns[i], command,
				run->cfg.connect_timeout, &o, why, len) < 0) {
		/* why says it */
	} else if (o.exit_status != 0 ||
		   rsync_check_parse(o.out, there) < 0) {
		snprintf(why, len, "no digest from the node (rsync, awk and "
			 "sha256sum or shasum are needed in its PATH)");
	} else {
		rc = strcmp(here, there) == 0;
	}
	free(o.out);
	free(o.err);
	free(command);
	return rc;
}

/* The project to node i (its sync started at start), unless its copy is
 * unchanged (copy_unchanged). */
static void copy_project(struct run *run, size_t i, const struct strvec *keep,
			 double start)
{
	struct node_report *r = &run->nodes[i];
	char why[300];
	int same = copy_unchanged(run, i, keep, why, sizeof(why));

	if (same == 1) {
		r->unchanged = 1;
		r->synced = 1;
		r->bytes_sent = 0;
		r->files_sent = 0;
		r->sync_seconds = clock_seconds() - start;
		r->state = NODE_OK;
		return;
	}
	if (same < 0 && !run->live) {
		infof("node '%s': copying: whether its copy changed could not "
		      "be told (%s)", r->name, why);
	}
	rsync_sync_node(&run->cfg, run->rsync_path, r, keep, run->live);
}

static void sync_job(size_t i, void *arg)
{
	struct run *run = arg;
	struct node_report *r = &run->nodes[i];
	struct strvec keep = STRVEC_INIT;
	double start = clock_seconds();

	if (r->state != NODE_PROBED || r->shares_with >= 0) {
		return;
	}
	if (r->in_place) {
		r->state = NODE_OK; /* the project is there already */
		return;
	}
	__atomic_store_n(&r->live_state, LIVE_SYNCING, __ATOMIC_RELAXED);
	if (copy_interpreter(run, i) < 0) {
		/* left out, said below */
	} else if (run->have_base &&
		   interp_keep(&run->base, &r->interp, run->cfg.venv_rel,
			       &keep) < 0) {
		report_exclude(r, "rsync: out of memory");
	} else {
		copy_project(run, i, &keep, start);
	}
	strvec_clear(&keep);
	__atomic_store_n(&r->live_state,
			 r->state == NODE_EXCLUDED ? LIVE_FAILED : LIVE_DONE,
			 __ATOMIC_RELAXED);
	if (run->live) {
		return; /* the display shows it; lines follow at the end */
	}
	if (r->state == NODE_EXCLUDED) {
		run_say_excluded(r);
	} else if (r->unchanged) {
		infof("node '%s': its copy lists as the project does: nothing "
		      "to send (checked there in %.1fs)", r->name,
		      r->sync_seconds);
	} else {
		infof("node '%s': synced %lld files, %lld bytes in %.1fs",
		      r->name, r->files_sent, r->bytes_sent, r->sync_seconds);
	}
}

/* After the sync, over the probe's session: develop.h's steps, bounded
 * by cloud_sync_timeout; all of them on a node that copied, the worker
 * check alone on one that shares another's folder (after that node's
 * steps: prepare_job runs in two rounds). */
static void prepare_node(struct run *run, size_t i, int whole)
{
	struct node_report *r = &run->nodes[i];
	struct sshconn_output o = { NULL, NULL, -1, "" };
	char *own = NULL;
	char *first = NULL;
	char why[1024];

	if (r->state != NODE_OK || run->conns[i] == NULL ||
	    (r->shares_with < 0) != whole) {
		return;
	}
	if (whole && run->have_base && !r->in_place) {
		first = interp_repoint(&run->base, &r->interp,
				       run->cfg.venv_rel);
		own = first && first[0] ? develop_prepare_command(&run->cfg, 1,
								  first)
					: NULL;
		if (first == NULL || (first[0] && own == NULL)) {
			report_exclude(r, "after the copy: out of memory");
			goto out;
		}
	}
	if (sshconn_exec(run->conns[i],
			 own ? own
			 : r->in_place ? run->inplace_check
			 : whole ? run->prepare_command : run->check_command,
			 run->cfg.sync_timeout, &o, why, sizeof(why)) < 0) {
		report_exclude(r, "after the copy: %s", why);
	} else if (o.exit_status != 0) {
		char step[600];
		char how[80];

		sshconn_describe_end(&o, how, sizeof(how));
		text_last_line(o.err[0] ? o.err : o.out, why, sizeof(why));
		report_exclude(r, "%s (%s)%s%s",
			       develop_step(&run->cfg, o.exit_status, step,
					    sizeof(step)),
			       how, why[0] ? ": " : "", why);
	}
out:
	free(o.out);
	free(o.err);
	free(own);
	free(first);
	run_say_excluded(r);
}

static void prepare_job(size_t i, void *arg)
{
	prepare_node(arg, i, 1);
}

static void check_job(size_t i, void *arg)
{
	prepare_node(arg, i, 0);
}

/* The probed nodes that run the project in place. */
static size_t count_in_place(const struct run *run)
{
	size_t i;
	size_t k = 0;

	for (i = 0; i < run->n; i++) {
		k += run->nodes[i].state == NODE_PROBED && run->nodes[i].in_place;
	}
	return k;
}

/* Copies in flight: cloud_rsync_max_processes (default: all), within
 * the open files (four each while one starts). */
static size_t rsync_concurrency(const struct run *run)
{
	long spare = run_fds_in_flight(run) / 4;
	long want = run->cfg.rsync_max_processes > 0
			    ? run->cfg.rsync_max_processes
			    : (long)run->n;

	return (size_t)(want < spare ? want : (spare > 0 ? spare : 1));
}

/* Prints the per-node lines the live display stood in for. */
static void report_sync_lines(const struct run *run)
{
	size_t i;

	for (i = 0; i < run->n; i++) {
		const struct node_report *r = &run->nodes[i];

		if (r->live_state == LIVE_FAILED) {
			run_say_excluded(r);
		}
	}
}

/* The order of two nodes' indices in claim_in_order (claim_order on
 * where ssh connects), for qsort_r; arg: the run. */
static int order_cmp(const void *a, const void *b, void *arg)
{
	const struct run *run = arg;
	size_t i = *(const size_t *)a;
	size_t j = *(const size_t *)b;
	const struct node_report *x = &run->nodes[i];
	const struct node_report *y = &run->nodes[j];
	int c = claim_order(x->ssh.hostname ? x->ssh.hostname : x->addr.host,
			    x->ssh.hostname ? x->ssh.port : x->addr.port,
			    y->ssh.hostname ? y->ssh.hostname : y->addr.host,
			    y->ssh.hostname ? y->ssh.port : y->addr.port);

	if (c == 0) {
		c = i < j ? -1 : (i > j);
	}
	return c;
}

/*
 * Some node's folder is another run's for now (busy): the run lets go of
 * every lock it got, then takes them again one after another in
 * claim_order, each waiting for the rest of cloud_lock_timeout where it
 * must.  So a run never waits for a lock while it holds one that comes
 * later in that order, and two runs that want the same nodes never each
 * hold a part and wait for the other's (they did, for cloud_lock_timeout,
 * then each went on with a part).  Nothing was copied yet: what a claim
 * did under the lock it let go (the marker) is done again.
 */
static void claim_in_order(struct run *run, const unsigned char *busy)
{
	struct claim_pass pass = { run, 0, NULL };
	double start = clock_seconds();
	size_t *order = calloc(run->n, sizeof(*order));
	size_t n = 0;
	size_t k;

	if (order == NULL) {
		for (k = 0; k < run->n; k++) {
			if (busy[k]) {
				report_exclude(&run->nodes[k], "claiming '%s': "
					       "out of memory", run->cfg.chdir);
				run_say_excluded(&run->nodes[k]);
			}
		}
		return;
	}
	for (k = 0; k < run->n; k++) {
		struct node_report *r = &run->nodes[k];

		if (r->claimed) {
			hold_set_lock(run, k, NULL);
			r->claimed = 0;
		}
		if (r->state == NODE_PROBED && !r->in_place) {
			r->shares_with = -1;
			order[n++] = k;
		}
	}
	qsort_r(order, n, sizeof(*order), order_cmp, run);
	for (k = 0; k < n; k++) {
		long spent = (long)(clock_seconds() - start);

		pass.wait_s = run->cfg.lock_timeout > spent ?
			      run->cfg.lock_timeout - spent : 0;
		claim_job(order[k], &pass);
	}
	free(order);
}

/* Claims every node's folder: all at once, none waiting (but for a
 * second), and when some folder is another run's for now, in order
 * (claim_in_order). */
static void claim_all(struct run *run)
{
	unsigned char *busy = calloc(run->n ? run->n : 1, 1);
	struct claim_pass pass = { run, 0, NULL };
	size_t i;
	int any = 0;

	/* cloud_lock_timeout 0: a busy folder is refused at once.  Else a
	 * claim waits a second at most, unsaid: time for a node of a shared
	 * home to see its folder's lock taken by this run's other node (the
	 * lock file names the run just after the lock is taken) */
	pass.busy = run->cfg.lock_timeout > 0 ? busy : NULL;
	pass.wait_s = run->cfg.lock_timeout > 0 ? 1 : 0;
	if (busy == NULL) {
		pass.wait_s = run->cfg.lock_timeout;
	}
	fanout_run(run->n, 0, claim_job, &pass);
	for (i = 0; busy != NULL && i < run->n; i++) {
		any |= busy[i];
	}
	if (any) {
		claim_in_order(run, busy);
	}
	free(busy);
}

int sync_nodes(struct run *run)
{
	struct listing_ahead ahead = { NULL, STRVEC_INIT, 0, 0 };
	struct display *d = NULL;
	double start = clock_seconds();
	long long bytes = 0;
	long long files = 0;
	size_t i;

	run->rsync_path = spawn_find_program("rsync");
	if (run->rsync_path == NULL) {
		errorf("rsync: not found on PATH (install the rsync package)");
		return -1;
	}
	/* the locks are beaten from the first one on (hold.h) */
	if (hold_heartbeat_start(run) < 0) {
		return -1;
	}
	/* the masters come up beside the claims (sshmaster.h); the
	 * project's listing for the unchanged check once they are in (a
	 * claim may wait for another run: the project as it is then) */
	sshmaster_begin(run);
	claim_all(run);
	list_ahead_start(run, &ahead);
	fanout_run(run->n, 0, verify_job, run);
	group_shared(run);
	sshmaster_end(run);
	infof("syncing '%s' to '%s' on %zu nodes", run->cfg.rootdir,
	      run->cfg.chdir, run_count_state(run, NODE_PROBED) -
	      count_in_place(run));
	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].state == NODE_PROBED &&
		    run->nodes[i].shares_with < 0 && !run->nodes[i].in_place) {
			run->nodes[i].live_state = LIVE_WAITING;
		}
	}
	if (run->live) {
		d = display_start(run->nodes, run->n);
		run->live = d != NULL;
	}
	fanout_run(run->n, rsync_concurrency(run), sync_job,
		   run);
	list_ahead_end(&ahead);
	if (d != NULL) {
		display_stop(d);
		report_sync_lines(run);
	}
	follow_copies(run);
	run->seconds.sync = clock_seconds() - start;
	fanout_run(run->n, 0, prepare_job, run);
	fanout_run(run->n, 0, check_job, run);
	run->seconds.prepare = clock_seconds() - start - run->seconds.sync;
	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].synced && run->nodes[i].bytes_sent > 0) {
			bytes += run->nodes[i].bytes_sent;
		}
		if (run->nodes[i].synced && run->nodes[i].files_sent > 0) {
			files += run->nodes[i].files_sent;
		}
	}
	infof("sync done: %zu nodes, %lld files and %lld bytes sent, %.1fs",
	      run_count_state(run, NODE_OK), files, bytes, clock_seconds() - start);
	return 0;
}
