/* run: shared state and helpers of the steps (see run.h). */
#define _GNU_SOURCE
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "files.h"
#include "inplace.h"
#include "msgs.h"
#include "resolve.h"
#include "sshconn.h"
#include "sshmaster.h"
#include "text.h"

size_t run_count_state(const struct run *run, enum node_state s)
{
	size_t i;
	size_t k = 0;

	for (i = 0; i < run->n; i++) {
		if (run->nodes[i].state == s) {
			k++;
		}
	}
	return k;
}

void run_say_excluded(const struct node_report *r)
{
	if (r->state == NODE_EXCLUDED) {
		warnf("node '%s': excluded: %s", r->name,
		      r->reason ? r->reason : "out of memory");
	}
}

long run_fds_in_flight(const struct run *run)
{
	long spare = run->fd_limit - FD_RESERVE - (long)run->n -
		     sshmaster_held(run);

	return spare > 0 ? spare : 0;
}

int run_check_chdir(const struct run *run, struct node_report *r,
		      const struct chdir_facts *f)
{
	char why[1200];

	if (claim_refusal(f, run->cfg.chdir, why, sizeof(why)) != NULL) {
		report_exclude(r, "%s", why);
		return -1;
	}
	return 0;
}

/* A folder another project or host made (its marker says so) is a copy
 * that can be made again: said in one line when it is replaced. */
void run_say_replacing(const struct node_report *r,
			  const struct chdir_facts *f, const char *how)
{
	char whose[600];

	if (f->owner != OWNER_OTHER) {
		return;
	}
	claim_describe_marker(f->marker, whose, sizeof(whose));
	text_clean(whose);
	infof("node '%s': %s %s", r->name, how, whose);
}

/* This run as other runs see it in a lock file: pid, user, host and
 * start; and a random token that names it (shared homes). */
int run_name(struct run *run)
{
	unsigned char raw[8];
	char when[32] = "?";
	char *user = local_user();
	char *host = local_host();
	time_t now = time(NULL);
	struct tm tm;
	size_t i;
	int rc = 0;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		unsigned long long mix = (unsigned long long)now ^
					 ((unsigned long long)getpid() << 32) ^
					 (unsigned long long)(clock_seconds() *
							      1e9);

		memcpy(raw, &mix, sizeof(raw));
	}
	for (i = 0; i < sizeof(raw); i++) {
		snprintf(run->token + 2 * i, 3, "%02x", raw[i]);
	}
	if (gmtime_r(&now, &tm) != NULL) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	if (asprintf(&run->who, "pid %ld by %s on %s since %s",
		     (long)getpid(), user ? user : "?", host ? host : "?",
		     when) < 0) {
		run->who = NULL;
		rc = -1;
	}
	free(user);
	free(host);
	return rc;
}

/* mkdir -p of an absolute path (the last folder private); -1 with why.
 * *made gets the first folder it made (NULL: none), for remove_made. */
static int make_dirs(const char *path, char **made, char *why, size_t whylen)
{
	char *p = strdup(path);
	char *s;
	int rc = 0;

	*made = NULL;
	if (p == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (s = strchr(p + 1, '/'); rc == 0; s = strchr(s + 1, '/')) {
		if (s != NULL) {
			*s = '\0';
		}
		if (mkdir(p, s ? 0777 : 0700) == 0) {
			if (*made == NULL && (*made = strdup(p)) == NULL) {
				snprintf(why, whylen, "out of memory");
				rc = -1;
			}
		} else if (errno != EEXIST) {
			snprintf(why, whylen, "'%s': %s", p, strerror(errno));
			rc = -1;
		}
		if (s == NULL) {
			break;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

/* Removes the folders from path up to made (which make_dirs made), the
 * deepest first, each only while empty: a file anyone else put there
 * keeps its folder. */
static void remove_made(const char *path, const char *made)
{
	char *p = strdup(path);
	size_t top = strlen(made);
	char *s;

	while (p != NULL && strlen(p) >= top && rmdir(p) == 0 &&
	       strlen(p) > top && (s = strrchr(p, '/')) != NULL) {
		*s = '\0';
	}
	free(p);
}

/* The mark that tells a node sees the project (inplace.h): a file of
 * the run's token, written whole where the probe will look. */
int run_mark_project(struct run *run)
{
	char *dir = inplace_mark_dir(run->cfg.rootdir);
	char *path = inplace_mark_path(run->cfg.rootdir, run->token);
	char *made = NULL;
	char why[300];
	int rc = -1;

	if (dir == NULL || path == NULL) {
		goto out;
	}
	if (make_dirs(dir, &made, why, sizeof(why)) < 0 ||
	    files_replace(path, NULL, run->token, why, sizeof(why)) < 0) {
		if (made != NULL) {
			remove_made(dir, made);
		}
		/* a project this login cannot write: no node can be told to
		 * run it in place, and every node gets a copy */
		warnf("cloud_in_place: cannot mark the project for the nodes "
		      "(%s): every node gets a copy", why);
		rc = 0;
		goto out;
	}
	run->mark = path;
	path = NULL;
	run->mark_made = made;
	made = NULL;
	rc = 0;
out:
	free(dir);
	free(path);
	free(made);
	return rc;
}

void run_unmark_project(struct run *run)
{
	char *dir;

	if (run->mark != NULL) {
		unlink(run->mark);
		if (run->mark_made != NULL &&
		    (dir = inplace_mark_dir(run->cfg.rootdir)) != NULL) {
			remove_made(dir, run->mark_made);
			free(dir);
		}
		free(run->mark);
		run->mark = NULL;
	}
	free(run->mark_made);
	run->mark_made = NULL;
}

void run_release(struct run *run)
{
	char **texts[] = { &run->probe_command, &run->prepare_command,
			   &run->check_command, &run->marker, &run->who,
			   &run->rsync_path, &run->ssh_path, &run->mux_client,
			   &run->inplace_check };
	size_t i;

	run_unmark_project(run);
	sshmaster_release(run);
	for (i = 0; run->nodes != NULL && i < run->n; i++) {
		report_release(&run->nodes[i]);
	}
	for (i = 0; run->locks != NULL && i < run->n; i++) {
		sshconn_stream_close(run->locks[i]);
	}
	free(run->locks);
	run->locks = NULL;
	for (i = 0; run->conns != NULL && i < run->n; i++) {
		sshconn_close(run->conns[i]);
	}
	free(run->conns);
	run->conns = NULL;
	free(run->nodes);
	run->nodes = NULL;
	strvec_clear(&run->check_cache);
	copyset_list_release(&run->copied);
	copyset_list_release(&run->left);
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		free(*texts[i]);
		*texts[i] = NULL;
	}
	interp_base_release(&run->base);
	config_release(&run->cfg);
}
