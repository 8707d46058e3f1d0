/* hostsrc: host files and the Slurm job (see hostsrc.h). */
#define _GNU_SOURCE
#include "hostsrc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "files.h"
#include "msgs.h"
#include "spawn.h"
#include "text.h"

static char *read_file(const char *path, char *why, size_t whylen)
{
	return files_read(path, HOSTSRC_MAX_BYTES, FILES_TEXT, NULL, why,
			  whylen);
}

/* scontrol's output as it comes, kept whole (up to HOSTSRC_MAX_BYTES). */
struct collect {
	struct buf text;
	int too_much;
};

static void collect(const char *data, size_t len, void *arg)
{
	struct collect *c = arg;

	if (c->too_much || c->text.len + len > (size_t)HOSTSRC_MAX_BYTES) {
		c->too_much = 1;
		return;
	}
	buf_add(&c->text, data, len);
}

static char *slurm_hostnames(const char *list, char *why, size_t whylen)
{
	char *prog = spawn_find_program("scontrol");
	char *argv[] = { "scontrol", "show", "hostnames", "--", (char *)list,
			 NULL };
	struct spawn_result res;
	struct collect c = { BUF_INIT, 0 };
	char how[300];
	char last[300];
	char *text = NULL;

	if (prog == NULL) {
		snprintf(why, whylen,
			 "scontrol is not on PATH (it expands the job's node "
			 "list): install Slurm's client commands (Debian, "
			 "Ubuntu: apt-get install slurm-client)");
		return NULL;
	}
	if (spawn_run_watch(prog, argv, &res, collect, &c,
			    HOSTSRC_SCONTROL_SECONDS, how, sizeof(how)) < 0) {
		snprintf(why, whylen, "scontrol: %s", how);
		goto out;
	}
	text = buf_take(&c.text);
	if (res.exec_errno != 0 || !res.exited || res.code != 0 ||
	    c.too_much || text == NULL) {
		if (res.timed_out) {
			snprintf(how, sizeof(how), "no answer in %d s",
				 HOSTSRC_SCONTROL_SECONDS);
		} else {
			spawn_describe(&res, how, sizeof(how));
		}
		text_last_line(text ? text : "", last, sizeof(last));
		snprintf(why, whylen,
			 "scontrol show hostnames '%.200s': %s%s%s", list,
			 c.too_much ? "more output than expected"
			 : text == NULL ? "out of memory" : how,
			 last[0] ? ": " : "", last);
		free(text);
		text = NULL;
	}
	spawn_result_release(&res);
out:
	free(buf_take(&c.text));
	free(prog);
	return text;
}

static const char *env(const char *name)
{
	return getenv(name);
}

const struct nodelist_io *hostsrc_io(void)
{
	static const struct nodelist_io io = { read_file, slurm_hostnames,
					       env };

	return &io;
}

void hostsrc_say(const struct cloud_config *cfg)
{
	struct buf line = BUF_INIT;
	size_t i;
	char *text;

	buf_printf(&line, "--dry-run: %zu node%s:", cfg->nodes.n,
		   cfg->nodes.n == 1 ? "" : "s");
	for (i = 0; i < cfg->nodes.n; i++) {
		/* lines of about 100 characters */
		if (line.len + strlen(cfg->nodes.v[i]) > 100) {
			text = buf_take(&line);
			infof("%s", text ? text : "");
			free(text);
			buf_printf(&line, "--dry-run:  ");
		}
		buf_printf(&line, " %s", cfg->nodes.v[i]);
	}
	text = buf_take(&line);
	infof("%s", text ? text : "");
	free(text);
	if (cfg->caps.slurm) {
		infof("--dry-run: @slurm: %s%s, %s%s",
		      cfg->caps.job ? "job " : "the job",
		      cfg->caps.job ? cfg->caps.job : "",
		      cfg->caps.from ? "CPUs per node in the allocation from "
				     : "no CPUs per node in its environment: "
				       "the probe's figures stand",
		      cfg->caps.from ? cfg->caps.from : "");
	}
}
