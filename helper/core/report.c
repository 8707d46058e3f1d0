/* report: per-node outcome (see report.h). */
#define _GNU_SOURCE
#include "report.h"

#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int report_exclude(struct node_report *r, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int rc;

	r->state = NODE_EXCLUDED;
	r->processes = 0;
	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	free(r->reason);
	/* node text may be in it: made safe for the terminal and JSON */
	r->reason = rc < 0 ? NULL : text_clean(s);
	return rc < 0 ? -1 : 0;
}

void report_release(struct node_report *r)
{
	nodename_release(&r->addr);
	sshg_release(&r->ssh);
	free(r->reason);
	r->reason = NULL;
	free(r->note);
	r->note = NULL;
	free(r->lock_lost);
	r->lock_lost = NULL;
	free(r->host_key);
	r->host_key = NULL;
	free(r->mux_path);
	r->mux_path = NULL;
}
