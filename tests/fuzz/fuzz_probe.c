#define _GNU_SOURCE
/* libFuzzer target: probe output through the parser and the planner,
 * node names through nodename_parse, and the same bytes as what a
 * master's control socket sends (sshmux_next). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nodename.h"
#include "plan.h"
#include "probe_parse.h"
#include "sshmux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct probe_result r;
	struct plan_limits lim = { 3, 512 };
	struct nodename n;
	char why[256];
	size_t off;

	if (text == NULL) {
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	if (probe_parse(text, &r, why, sizeof(why)) == 0) {
		plan_processes(r.cpus, r.mem_available_mb, r.have_mem, &lim, why,
			       sizeof(why));
	}
	if (nodename_parse(text, &n, why, sizeof(why)) == 0) {
		nodename_release(&n);
	}
	for (off = 0; off < size;) {
		struct sshmux_msg m;
		long used = sshmux_next(data + off, size - off, &m);

		if (used <= 0) {
			break;
		}
		off += (size_t)used;
	}
	free(text);
	return 0;
}
