/* probe_parse: the probe script and its output parser (see header). */
#define _GNU_SOURCE
#include "probe_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Largest figures believed: a node that claims more (65,536 CPUs would
 * be 65,536 workers) is left out as implausible. */
#define PROBE_MAX_CPUS 4096L
#define PROBE_MAX_MEM_KB (1LL << 36) /* 64 TiB */
/* cgroup v1 says "no limit" with a number near 2^63 */
#define PROBE_NO_LIMIT_BYTES (1LL << 50)

static const char script_head[] =
	"echo pytest-cloud-probe 1; "
	"echo \"os $(uname -s 2>/dev/null)\"; "
	"echo \"cpus $(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN "
	"2>/dev/null || sysctl -n hw.ncpu 2>/dev/null)\"; "
	"echo \"mem_available_kb $(awk '/^MemAvailable:/ {print $2}' "
	"/proc/meminfo 2>/dev/null)\"; "
	/* up BASE PATH FILES: each file at each level, up to the root */
	"up() { p=$2; while :; do for f in $3; do "
	"[ -r \"$1$p/$f\" ] && echo \"cg $f $(cat \"$1$p/$f\")\"; done; "
	"if [ -z \"$p\" ] || [ \"$p\" = / ]; then break; fi; "
	"p=${p%/*}; done; }; "
	"cg() { awk -F: -v c=\"$1\" '(c == \"\" && $1 == \"0\") || "
	"(c != \"\" && $2 ~ \"(^|,)\" c \"(,|$)\") {print $3; exit}' "
	"/proc/self/cgroup 2>/dev/null; }; "
	"if [ -r /proc/self/cgroup ]; then "
	"v=$(cg ''); [ -n \"$v\" ] && up /sys/fs/cgroup \"$v\" "
	"'cpu.max memory.max memory.current'; "
	"v=$(cg memory); [ -n \"$v\" ] && up /sys/fs/cgroup/memory \"$v\" "
	"'memory.limit_in_bytes memory.usage_in_bytes'; "
	"v=$(cg cpu); [ -n \"$v\" ] && up /sys/fs/cgroup/cpu \"$v\" "
	"'cpu.cfs_quota_us cpu.cfs_period_us'; fi; "
	"case \"$(uname -s)\" in "
	"Darwin) echo \"pagesize $(sysctl -n hw.pagesize)\"; "
	"vm_stat | awk '/^Pages free/ {gsub(/\\./, \"\", $3); "
	"print \"free_pages\", $3} /^Pages inactive/ {gsub(/\\./, \"\", $3); "
	"print \"inactive_pages\", $3}';; "
	"*BSD|DragonFly) echo \"pagesize $(sysctl -n hw.pagesize)\"; "
	"echo \"free_pages $(sysctl -n vm.stats.vm.v_free_count)\"; "
	"echo \"inactive_pages $(sysctl -n vm.stats.vm.v_inactive_count)\";; "
	"esac; ";

char *probe_script(const char *chdir, const char *marker)
{
	char *checks = claim_probe_checks(chdir, marker);
	char *s = NULL;

	if (checks == NULL) {
		return NULL;
	}
	if (asprintf(&s, "%s%s", script_head, checks) < 0) {
		s = NULL;
	}
	free(checks);
	return s;
}

/* Parses a decimal number of at most 18 digits; -1 when not one. */
static long long parse_decimal(const char *s, size_t len)
{
	long long v = 0;
	size_t i;

	if (len == 0 || len > 18) {
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

/* One "key value" line. */
struct line {
	const char *key;
	size_t keylen;
	const char *val;
	size_t vallen;
};

/* Splits the line of len bytes at p into its key and value. */
static void key_value(const char *p, size_t len, struct line *l)
{
	const char *end = p + len;

	while (end > p && (end[-1] == '\r' || end[-1] == ' ')) {
		end--;
	}
	l->key = p;
	l->keylen = strcspn(p, " \r\n");
	if (l->keylen > (size_t)(end - p)) {
		l->keylen = (size_t)(end - p);
	}
	l->val = p + l->keylen;
	while (l->val < end && *l->val == ' ') {
		l->val++;
	}
	l->vallen = (size_t)(end - l->val);
}

static int is_key(const struct line *l, const char *key)
{
	return l->keylen == strlen(key) && strncmp(l->key, key, l->keylen) == 0;
}

/* The word i (0-based) of the value of l, as a number; -1 if none. */
static long long word_number(const struct line *l, int i)
{
	const char *p = l->val;
	const char *end = l->val + l->vallen;

	for (;;) {
		size_t n;

		while (p < end && *p == ' ') {
			p++;
		}
		n = 0;
		while (p + n < end && p[n] != ' ') {
			n++;
		}
		if (n == 0) {
			return -1;
		}
		if (i-- == 0) {
			return parse_decimal(p, n);
		}
		p += n;
	}
}

/* "max" as the first word: no limit. */
static int word_is_max(const struct line *l)
{
	return l->vallen >= 3 && strncmp(l->val, "max", 3) == 0 &&
	       (l->vallen == 3 || l->val[3] == ' ');
}

/* Facts gathered from the lines, before the arithmetic. */
struct facts {
	int header;
	const struct line *cpus_line;
	struct line cpus;
	long long mem_kb;           /* -1 unknown */
	int mem_line_bad;
	struct line mem;
	long long cpu_quota_cpus;   /* smallest ceil(quota/period); -1 none */
	long long mem_limit_left;   /* smallest limit - usage, bytes; -1 */
	long long pending_limit;    /* a limit waiting for its usage line */
	long long pending_quota;    /* a v1 quota waiting for its period */
	long long pagesize;
	long long free_pages;
	long long inactive_pages;
};

static void take_quota(struct facts *f, long long quota, long long period)
{
	long long n;

	if (quota <= 0 || period <= 0) {
		return;
	}
	n = (quota + period - 1) / period;
	if (f->cpu_quota_cpus < 0 || n < f->cpu_quota_cpus) {
		f->cpu_quota_cpus = n;
	}
}

static void take_usage(struct facts *f, long long usage)
{
	long long left;

	if (f->pending_limit < 0 || usage < 0) {
		f->pending_limit = -1;
		return;
	}
	left = f->pending_limit > usage ? f->pending_limit - usage : 0;
	if (f->mem_limit_left < 0 || left < f->mem_limit_left) {
		f->mem_limit_left = left;
	}
	f->pending_limit = -1;
}

static void take_cgroup(struct facts *f, const struct line *l)
{
	struct line sub;

	/* "cg FILE VALUE...": re-split the value as its own line */
	key_value(l->val, l->vallen, &sub);
	if (is_key(&sub, "cpu.max")) {
		if (!word_is_max(&sub)) {
			take_quota(f, word_number(&sub, 0),
				   word_number(&sub, 1));
		}
	} else if (is_key(&sub, "cpu.cfs_quota_us")) {
		f->pending_quota = word_number(&sub, 0);
	} else if (is_key(&sub, "cpu.cfs_period_us")) {
		take_quota(f, f->pending_quota, word_number(&sub, 0));
		f->pending_quota = -1;
	} else if (is_key(&sub, "memory.max") ||
		   is_key(&sub, "memory.limit_in_bytes")) {
		long long v = word_is_max(&sub) ? -1 : word_number(&sub, 0);

		f->pending_limit = (v >= 0 && v < PROBE_NO_LIMIT_BYTES) ? v : -1;
	} else if (is_key(&sub, "memory.current") ||
		   is_key(&sub, "memory.usage_in_bytes")) {
		take_usage(f, word_number(&sub, 0));
	}
}

static void gather(const char *text, struct facts *f)
{
	const char *p = text;
	const char *line;
	size_t len;

	memset(f, 0, sizeof(*f));
	f->mem_kb = -1;
	f->cpu_quota_cpus = -1;
	f->mem_limit_left = -1;
	f->pending_limit = -1;
	f->pending_quota = -1;
	f->pagesize = f->free_pages = f->inactive_pages = -1;
	for (line = text_line(&p, &len); line != NULL;
	     line = text_line(&p, &len)) {
		struct line l;

		key_value(line, len, &l);
		if (is_key(&l, "pytest-cloud-probe")) {
			f->header = (l.vallen == 1 && l.val[0] == '1');
		} else if (is_key(&l, "cpus")) {
			f->cpus = l;
			f->cpus_line = &f->cpus;
		} else if (is_key(&l, "mem_available_kb") && l.vallen > 0) {
			f->mem = l;
			f->mem_kb = parse_decimal(l.val, l.vallen);
			f->mem_line_bad = f->mem_kb < 0;
		} else if (is_key(&l, "cg")) {
			take_cgroup(f, &l);
		} else if (is_key(&l, "pagesize")) {
			f->pagesize = word_number(&l, 0);
		} else if (is_key(&l, "free_pages")) {
			f->free_pages = word_number(&l, 0);
		} else if (is_key(&l, "inactive_pages")) {
			f->inactive_pages = word_number(&l, 0);
		}
	}
}

/* Memory from the page counts of macOS and the BSDs; -1 when unknown. */
static long long pages_kb(const struct facts *f)
{
	if (f->pagesize <= 0 || f->pagesize > (1 << 24) ||
	    f->free_pages < 0 || f->inactive_pages < 0) {
		return -1;
	}
	if (f->free_pages > (1LL << 40) || f->inactive_pages > (1LL << 40)) {
		return PROBE_MAX_MEM_KB + 1; /* implausible, not unknown */
	}
	return (f->free_pages + f->inactive_pages) * (f->pagesize / 1024);
}

int probe_parse(const char *text, struct probe_result *out, char *why,
		size_t whylen)
{
	struct facts f;
	long long n;
	long long kb;

	memset(out, 0, sizeof(*out));
	gather(text, &f);
	if (!f.header) {
		snprintf(why, whylen,
			 "no 'pytest-cloud-probe 1' line (not a POSIX shell?)");
		return -1;
	}
	if (f.cpus_line == NULL || f.cpus.vallen == 0) {
		snprintf(why, whylen, "no CPU count");
		return -1;
	}
	n = parse_decimal(f.cpus.val, f.cpus.vallen);
	if (n > PROBE_MAX_CPUS) {
		snprintf(why, whylen, "implausible probe output: %lld CPUs "
			 "(most %ld)", n, PROBE_MAX_CPUS);
		return -1;
	}
	if (n < 1) {
		snprintf(why, whylen,
			 "CPU count '%.*s' is not a number in 1..%ld",
			 (int)(f.cpus.vallen > 40 ? 40 : f.cpus.vallen),
			 f.cpus.val, PROBE_MAX_CPUS);
		return -1;
	}
	if (f.mem_kb > PROBE_MAX_MEM_KB) {
		snprintf(why, whylen, "implausible probe output: %lld KiB of "
			 "memory (most 64 TiB)", f.mem_kb);
		return -1;
	}
	if (f.mem_line_bad) {
		snprintf(why, whylen,
			 "available memory '%.*s' is not a number of KiB",
			 (int)(f.mem.vallen > 40 ? 40 : f.mem.vallen),
			 f.mem.val);
		return -1;
	}
	out->cpus = n;
	if (f.cpu_quota_cpus > 0 && f.cpu_quota_cpus < n) {
		out->cpus = f.cpu_quota_cpus;
		out->cgroup_cpu = 1;
	}
	kb = f.mem_kb >= 0 ? f.mem_kb : pages_kb(&f);
	if (kb > PROBE_MAX_MEM_KB) {
		snprintf(why, whylen, "implausible probe output: %lld KiB of "
			 "memory (most 64 TiB)", kb);
		memset(out, 0, sizeof(*out));
		return -1;
	}
	if (f.mem_limit_left >= 0 &&
	    (kb < 0 || f.mem_limit_left / 1024 < kb)) {
		kb = f.mem_limit_left / 1024;
		out->cgroup_mem = 1;
	}
	if (kb >= 0) {
		out->mem_available_mb = (long)(kb / 1024);
		out->have_mem = 1;
	}
	claim_parse(text, &out->chdir);
	return 0;
}
