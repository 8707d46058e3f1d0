#define _GNU_SOURCE
/* libFuzzer target: probe output through the parser and the planner, and
 * through the interpreter's part (interp_parse_probe, interp_decide and
 * its words); node names through nodename_parse; the same bytes as what a
 * master's control socket sends (sshmux_next). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
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
	struct interp_base b;
	struct interp_node node;
	struct interp_choice c;
	char why[256];
	char words[1500];
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
	memset(&b, 0, sizeof(b));
	b.exe = "/h/.pyenv/versions/3.12.1/bin/python3.12";
	b.prefix = "/h/.pyenv/versions/3.12.1";
	b.home = "/h";
	memcpy(b.version, "3.12.1", 7);
	memcpy(b.minor, "3.12", 5);
	memcpy(b.arch, "x86_64", 7);
	memcpy(b.libc, "glibc 2.36", 11);
	memcpy(b.id, "cpython-3.12.1-x86_64-0123456789abcdef", 39);
	b.relocatable = size & 1;
	interp_parse_probe(text, &node);
	if (interp_decide(&b, &node, 1, &c, words, sizeof(words)) == 0) {
		interp_describe(&c, words, sizeof(words));
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
