/* sshopts: the options every ssh of a run gets (see sshopts.h). */
#define _GNU_SOURCE
#include "sshopts.h"

#include <stdio.h>
#include <stdlib.h>

void sshopts_alive(long keepalive, long *interval, long *count)
{
	if (keepalive < 4) {
		*interval = 1;
		*count = keepalive - 1 >= 1 ? keepalive - 1 : 1;
	} else {
		*interval = keepalive / 4;
		*count = 3;
	}
}

char *sshopts_common(const struct cloud_config *cfg)
{
	long interval;
	long count;
	char *s = NULL;

	sshopts_alive(cfg->keepalive, &interval, &count);
	/* the probe judged every node's key (hostkey.h) and added the new
	 * ones: what the later ssh accept is exactly that */
	if (asprintf(&s, "-o BatchMode=yes -o ConnectTimeout=%ld "
		     "-o ServerAliveInterval=%ld -o ServerAliveCountMax=%ld "
		     "-o StrictHostKeyChecking=yes -o UpdateHostKeys=no",
		     cfg->connect_timeout, interval, count) < 0) {
		return NULL;
	}
	return s;
}
