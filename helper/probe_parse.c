/* probe_parse: the probe script and its output parser (see header). */
#include "probe_parse.h"

#include <stdio.h>
#include <string.h>

/* Largest figures accepted: a node with more is a parse error, not a
 * node (they would overflow the planner's arithmetic). */
#define PROBE_MAX_CPUS 65536L
#define PROBE_MAX_MEM_KB (1L << 40)

static const char script[] =
	"echo pytest-cloud-probe 1; "
	"c=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null "
	"|| sysctl -n hw.ncpu 2>/dev/null); echo \"cpus $c\"; "
	"m=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo 2>/dev/null); "
	"echo \"mem_available_kb $m\"";

const char *probe_script(void)
{
	return script;
}

/* Parses a decimal number of at most 15 digits; -1 when not one. */
static long parse_decimal(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 15) {
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Finds "key value" at a line start; sets *val and *len to the value, or
 * returns 0 when the key is absent. */
static int find_line(const char *text, const char *key, const char **val,
		     size_t *len)
{
	size_t klen = strlen(key);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, klen) == 0 &&
		    (p[klen] == ' ' || p[klen] == '\n' || p[klen] == '\0' ||
		     p[klen] == '\r')) {
			const char *v = p + klen;

			v += strspn(v, " ");
			*val = v;
			*len = strcspn(v, "\r\n");
			while (*len > 0 && v[*len - 1] == ' ') {
				(*len)--;
			}
			return 1;
		}
		p = strchr(p, '\n');
		if (p != NULL) {
			p++;
		}
	}
	return 0;
}

int probe_parse(const char *text, struct probe_result *out, char *why,
		size_t whylen)
{
	const char *v;
	size_t len;
	long n;

	memset(out, 0, sizeof(*out));
	if (!find_line(text, "pytest-cloud-probe", &v, &len) || len != 1 ||
	    v[0] != '1') {
		snprintf(why, whylen,
			 "no 'pytest-cloud-probe 1' line (not a POSIX shell?)");
		return -1;
	}
	if (!find_line(text, "cpus", &v, &len) || len == 0) {
		snprintf(why, whylen, "no CPU count");
		return -1;
	}
	n = parse_decimal(v, len);
	if (n < 1 || n > PROBE_MAX_CPUS) {
		snprintf(why, whylen, "CPU count '%.*s' is not a number in "
			 "1..%ld", (int)(len > 40 ? 40 : len), v,
			 PROBE_MAX_CPUS);
		return -1;
	}
	out->cpus = n;
	if (find_line(text, "mem_available_kb", &v, &len) && len > 0) {
		n = parse_decimal(v, len);
		if (n < 0 || n > PROBE_MAX_MEM_KB) {
			snprintf(why, whylen,
				 "available memory '%.*s' is not a number of "
				 "KiB", (int)(len > 40 ? 40 : len), v);
			memset(out, 0, sizeof(*out));
			return -1;
		}
		out->mem_available_mb = n / 1024;
		out->have_mem = 1;
	}
	return 0;
}
