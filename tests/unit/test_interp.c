/* interp: the virtualenv's interpreter on a node: pyvenv.cfg, the probe's
 * part run by a real sh against a scratch home with fake pythons, the
 * choice for each kind of node, the repointing run by sh, RUNPATH. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "interp.h"
#include "shquote.h"
#include "spawn.h"
#include "suites.h"

static char scratch[] = "/tmp/pytest-cloud-interp.XXXXXX";

/* Runs script in the scratch home, its bin first on PATH. */
static char *sh(const char *script, int *code)
{
	char bin[sizeof(scratch) + 4];

	snprintf(bin, sizeof(bin), "%s/bin", scratch);
	return unit_sh(scratch, bin, script, code);
}

/* A fake python at path that says it is version v. */
#define FAKE(path, v) \
	"mkdir -p \"$(dirname " path ")\" && printf '#!/bin/sh\\necho " \
	"Python " v "\\n' > " path " && chmod +x " path " && "

/* The copies' manifest in the tests: what base_for names. */
#define SOURCE "0123456789abcdef"
#define CHECKED(files) \
	"printf 'pytest-cloud python copy\\nsource " SOURCE "\\nfiles " \
	files "\\ntoken t\\nchecked\\n' > "

static int setup(void)
{
	char cmd[4096];
	int code = -1;
	char *out;

	if (mkdtemp(scratch) == NULL) {
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p home bin && "
		 FAKE("bin/python3.99", "3.99.2")
		 FAKE("bin/python3", "3.99.2")
		 FAKE("home/.pyenv/versions/3.98.0/bin/python3.98", "3.98.0")
		 FAKE("home/" INTERP_CACHE "/cpython-3.97.13-x86_64-1/bin/"
		      "python3.97", "3.97.13")
		 CHECKED("1") "home/" INTERP_CACHE "/cpython-3.97.13-x86_64-1/"
		 INTERP_MARK " && "
		 "mkdir -p home/taken && true",
		 scratch);
	out = sh(cmd, &code);
	free(out);
	return code == 0 ? 0 : -1;
}

static int teardown(void)
{
	char cmd[600];
	int code;
	char *out;

	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
	out = sh(cmd, &code);
	free(out);
	return 0;
}

static void base_for(struct interp_base *b, const char *exe,
		     const char *minor, const char *prefix)
{
	memset(b, 0, sizeof(*b));
	strvec_init(&b->links);
	b->exe = strdup(exe);
	b->real = strdup(exe);
	b->prefix = prefix ? strdup(prefix) : NULL;
	snprintf(b->minor, sizeof(b->minor), "%s", minor);
	snprintf(b->version, sizeof(b->version), "%s.1", minor);
	snprintf(b->arch, sizeof(b->arch), "x86_64");
	snprintf(b->libc, sizeof(b->libc), "glibc 2.36");
	snprintf(b->id, sizeof(b->id), "cpython-%s.13-x86_64-1", minor);
	snprintf(b->source, sizeof(b->source), SOURCE);
	b->files = 1;
	b->home = strdup("/h");
	b->relocatable = 1;
}

static void test_parse_cfg(void)
{
	struct interp_base b;
	char why[200];

	memset(&b, 0, sizeof(b));
	CU_ASSERT_EQUAL(interp_parse_cfg("home = /p/bin\n"
					 "include-system-site-packages = false\n"
					 "version = 3.12.1\n",
					 &b, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(b.version, "3.12.1");
	CU_ASSERT_STRING_EQUAL(b.minor, "3.12");
	CU_ASSERT_EQUAL(b.system_site, 0);
	/* virtualenv's spelling */
	CU_ASSERT_EQUAL(interp_parse_cfg("home=/usr/bin\r\nversion_info = "
					 "3.11.7.final.0\r\n"
					 "include-system-site-packages = true\n",
					 &b, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(b.version, "3.11.7");
	CU_ASSERT_STRING_EQUAL(b.minor, "3.11");
	CU_ASSERT_EQUAL(b.system_site, 1);
	CU_ASSERT_EQUAL(interp_parse_cfg("version = 3\n", &b, why,
					 sizeof(why)), -1);
	CU_ASSERT_EQUAL(interp_parse_cfg("home = /x\n", &b, why, sizeof(why)),
			-1);
	CU_ASSERT_STRING_EQUAL(why, "pyvenv.cfg names no Python version");
}

/* Runs a printf-formatted script in the scratch home; its output. */
static char *shf(int *code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *shf(int *code, const char *fmt, ...)
{
	va_list ap;
	char *script = NULL;
	char *out;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&script, fmt, ap);
	va_end(ap);
	*code = -1;
	if (n < 0) {
		return NULL;
	}
	out = sh(script, code);
	free(script);
	return out;
}

/* The probe's part for b on the scratch home: what it finds. */
static void probe_base(const struct interp_base *b, struct interp_node *n)
{
	char *part = interp_probe_part(b);
	char *out;
	int code = -1;

	out = part ? sh(part, &code) : NULL;
	CU_ASSERT_EQUAL(code, 0);
	interp_parse_probe(out ? out : "", n);
	free(out);
	free(part);
}

/* The probe's part on the scratch home: what it finds of each python. */
static void probe(const char *exe, const char *minor, const char *prefix,
		  struct interp_node *n)
{
	struct interp_base b;

	base_for(&b, exe, minor, prefix);
	snprintf(b.id, sizeof(b.id), "cpython-%s.13-x86_64-1", minor);
	probe_base(&b, n);
	interp_base_release(&b);
}

static void test_probe_part(void)
{
	struct interp_node n;
	char path[600];

	/* the same path, that version (3.99: no real python is it) */
	snprintf(path, sizeof(path), "%s/bin/python3.99", scratch);
	probe(path, "3.99", NULL, &n);
	CU_ASSERT_STRING_EQUAL(n.same, "3.99.2");
	CU_ASSERT_STRING_EQUAL(n.cached, "");
	CU_ASSERT_PTR_NOT_NULL(strstr(n.home, "/home"));
	CU_ASSERT_TRUE(n.arch[0] != '\0');
	/* found: the later ones are not looked for */
	CU_ASSERT_STRING_EQUAL(n.other, "");
	CU_ASSERT_STRING_EQUAL(n.has, "");
	/* elsewhere on the node: on PATH */
	probe("/nowhere/bin/python3.99", "3.99", "/nowhere", &n);
	CU_ASSERT_STRING_EQUAL(n.same, "");
	CU_ASSERT_STRING_EQUAL(n.other, path);
	CU_ASSERT_STRING_EQUAL(n.other_version, "3.99.2");
	CU_ASSERT_EQUAL(n.taken, 0);
	/* in pyenv's usual place */
	probe("/nowhere/bin/python3.98", "3.98", "/nowhere", &n);
	CU_ASSERT_PTR_NOT_NULL(strstr(n.other, "/.pyenv/versions/3.98.0/bin/"
					       "python3.98"));
	CU_ASSERT_STRING_EQUAL(n.other_version, "3.98.0");
	CU_ASSERT_STRING_EQUAL(n.has, "");
	/* in the cache, and its prefix path taken */
	snprintf(path, sizeof(path), "%s/home/taken", scratch);
	probe("/nowhere/bin/python3.97", "3.97", path, &n);
	CU_ASSERT_STRING_EQUAL(n.cached, "3.97.13");
	CU_ASSERT_EQUAL(n.taken, 1);
	/* none: its python3 said */
	probe("/nowhere/bin/python3.96", "3.96", "/nowhere", &n);
	CU_ASSERT_STRING_EQUAL(n.same, "");
	CU_ASSERT_STRING_EQUAL(n.other, "");
	CU_ASSERT_STRING_EQUAL(n.cached, "");
	snprintf(path, sizeof(path), "3.99.2 %s/bin/python3", scratch);
	CU_ASSERT_STRING_EQUAL(n.has, path);
}

/* Copies of pytest-cloud's: used only whole, checked, and of this
 * manifest (a changed stdlib, or a file gone, is not used). */
static void test_probe_copies(void)
{
	static const char c[] = "home/" INTERP_CACHE
				"/cpython-3.96.13-x86_64-1";
	static const struct {
		const char *change; /* to the cache copy, before the probe */
		const char *want;   /* n.cached */
	} rows[] = {
		{ "true", "" }, /* no marker */
		{ "printf 'source " SOURCE "\\nfiles 2\\n' > $c/$M", "" },
		{ "printf 'source 0000000000000000\\nfiles 2\\nchecked\\n' "
		  "> $c/$M", "" },
		{ "printf 'source " SOURCE "\\nfiles 3\\nchecked\\n' > $c/$M",
		  "" },
		{ "printf 'source " SOURCE "\\nfiles 2\\nchecked\\n' > $c/$M",
		  "3.96.1" },
		/* bytecode the workers wrote: not counted */
		{ "mkdir -p $c/lib/__pycache__ && : > "
		  "$c/lib/__pycache__/os.cpython-396.pyc", "3.96.1" },
		/* the stdlib removed; a stray file added */
		{ "rm -f $c/lib/os.py", "" },
		{ ": > $c/lib/os.py", "3.96.1" },
		{ ": > $c/lib/stray.py", "" },
		{ "rm -f $c/lib/stray.py", "3.96.1" },
	};
	struct interp_base b;
	struct interp_node n;
	char prefix[600];
	char exe[700];
	char *out;
	size_t i;
	int code;

	base_for(&b, "/nowhere/bin/python3.96", "3.96", "/nowhere");
	b.files = 2;
	out = shf(&code, "cd %s && c=%s && mkdir -p $c/bin $c/lib && printf "
		  "'#!/bin/sh\\necho Python 3.96.1\\n' > $c/bin/python3.96 && "
		  "chmod +x $c/bin/python3.96 && : > $c/lib/os.py",
		  scratch, c);
	CU_ASSERT_EQUAL_FATAL(code, 0);
	free(out);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		out = shf(&code, "cd %s && c=%s && M=" INTERP_MARK " && %s",
			  scratch, c, rows[i].change);
		CU_ASSERT_EQUAL(code, 0);
		free(out);
		probe_base(&b, &n);
		if (strcmp(n.cached, rows[i].want) != 0) {
			CU_FAIL("cached");
			fprintf(stderr, "row %zu: cached '%s', not '%s'\n", i,
				n.cached, rows[i].want);
		}
	}
	interp_base_release(&b);

	/* at the base's own path: the node's own is used; a copy of
	 * pytest-cloud's only when it is usable, else it is "stale" */
	snprintf(prefix, sizeof(prefix), "%s/home/.pyenv/versions/3.95.1",
		 scratch);
	snprintf(exe, sizeof(exe), "%s/bin/python3.95", prefix);
	out = shf(&code, "mkdir -p %s/bin && printf '#!/bin/sh\\necho Python "
		  "3.95.1\\n' > %s && chmod +x %s", prefix, exe, exe);
	free(out);
	base_for(&b, exe, "3.95", prefix);
	probe_base(&b, &n);
	CU_ASSERT_STRING_EQUAL(n.same, "3.95.1");
	CU_ASSERT_EQUAL(n.stale, 0);
	CU_ASSERT_EQUAL(n.taken, 1);
	out = shf(&code, CHECKED("1") "%s/" INTERP_MARK, prefix);
	free(out);
	probe_base(&b, &n);
	CU_ASSERT_STRING_EQUAL(n.same, "3.95.1");
	CU_ASSERT_EQUAL(n.stale, 0);
	CU_ASSERT_EQUAL(n.taken, 0);
	snprintf(b.source, sizeof(b.source), "fedcba9876543210");
	probe_base(&b, &n);
	CU_ASSERT_STRING_EQUAL(n.same, "");
	CU_ASSERT_EQUAL(n.stale, 1);
	CU_ASSERT_EQUAL(n.taken, 0);
	interp_base_release(&b);
}

/* A python that says it was run: "$0.ran". */
#define RUNS(path) \
	"printf '#!/bin/sh\\ntouch \"$0.ran\"\\necho Python 3.94.1\\n' " \
	"> " path " && chmod 755 " path " && "

/* The probe runs no python another user could have written: not the
 * base's path, not what a link leads to, not a folder above either. */
static void test_probe_unsafe(void)
{
	static const struct {
		const char *exe;    /* under the scratch */
		const char *runs;   /* "$0.ran" that a run makes, or NULL */
		const char *bad;    /* the entry not run for, or NULL */
		const char *why;    /* and why */
		int root;           /* asserted as root only */
	} rows[] = {
		{ "u/ok/python3.94", "u/ok/python3.94", NULL, NULL, 0 },
		/* a sticky folder: others cannot replace what is ours */
		{ "u/st/python3.94", "u/st/python3.94", NULL, NULL, 0 },
		{ "u/ww/python3.94", NULL, "u/ww", "is writable by everyone",
		  0 },
		{ "u/ok/to-ww", NULL, "u/ww", "is writable by everyone", 0 },
		{ "u/ww/to-ok", NULL, "u/ww", "is writable by everyone", 0 },
		{ "u/ok/../ww/python3.94", NULL, "u/ww",
		  "is writable by everyone", 0 },
		{ "u/gw/python3.94", NULL, "u/gw", "is writable by group 65534",
		  1 },
		{ "u/other/python3.94", NULL, "u/other/python3.94",
		  "is owned by uid 65534", 1 },
		{ "u/ok/by-other", NULL, "u/ok/by-other",
		  "is owned by uid 65534", 1 },
		/* root's group may write */
		{ "u/gw0/python3.94", "u/gw0/python3.94", NULL, NULL, 1 },
	};
	struct interp_node n;
	char exe[700];
	char ran[700];
	char want[1600];
	char *out;
	size_t i;
	int code;
	int root = geteuid() == 0;

	out = shf(&code, "cd %s && mkdir -p u/ok u/st u/ww u/gw u/gw0 u/other "
		  "&& chmod 755 u u/ok u/other && chmod 1777 u/st && "
		  "chmod 777 u/ww && chmod 775 u/gw u/gw0 && "
		  RUNS("u/ok/python3.94") RUNS("u/st/python3.94")
		  RUNS("u/ww/python3.94") RUNS("u/gw/python3.94")
		  RUNS("u/gw0/python3.94") RUNS("u/other/python3.94")
		  "ln -s ../ww/python3.94 u/ok/to-ww && "
		  "ln -s ../ok/python3.94 u/ww/to-ok && "
		  "ln -s python3.94 u/ok/by-other && "
		  "if [ %d = 1 ]; then chgrp 65534 u/gw && chgrp 0 u/gw0 && "
		  "chown 65534 u/other/python3.94 && "
		  "chown -h 65534 u/ok/by-other; fi",
		  scratch, root);
	CU_ASSERT_EQUAL_FATAL(code, 0);
	free(out);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].root && !root) {
			continue; /* needs chown: said once below */
		}
		snprintf(exe, sizeof(exe), "%s/%s", scratch, rows[i].exe);
		out = shf(&code, "rm -f %s/u/*/*.ran", scratch);
		free(out);
		probe(exe, "3.94", NULL, &n);
		if (rows[i].bad == NULL) {
			CU_ASSERT_STRING_EQUAL(n.same, "3.94.1");
			CU_ASSERT_STRING_EQUAL(n.unsafe, "");
		} else {
			snprintf(want, sizeof(want), "%s: '%s/%s' %s", exe,
				 scratch, rows[i].bad, rows[i].why);
			CU_ASSERT_STRING_EQUAL(n.same, "");
			if (strcmp(n.unsafe, want) != 0) {
				CU_FAIL("unsafe");
				fprintf(stderr, "row %zu: '%s', not '%s'\n", i,
					n.unsafe, want);
			}
		}
		/* what was run, and only that */
		out = shf(&code, "cd %s && ls u/*/*.ran 2>/dev/null", scratch);
		snprintf(ran, sizeof(ran), "%s%s", rows[i].runs ? rows[i].runs
								: "",
			 rows[i].runs ? ".ran\n" : "");
		CU_ASSERT_STRING_EQUAL(out ? out : "?", ran);
		free(out);
	}
	if (!root) {
		fprintf(stderr, "test_probe_unsafe: not root: the rows of "
			"other owners and groups were not run\n");
	}
}

static void node(struct interp_node *n, const char *line)
{
	interp_parse_probe(line, n);
}

static void test_decide(void)
{
	struct interp_base b;
	struct interp_node n;
	struct interp_choice c;
	char why[1500];
	char line[1200];

	base_for(&b, "/h/.pyenv/versions/3.12.1/bin/python3.12", "3.12",
		 "/h/.pyenv/versions/3.12.1");
	node(&n, "home /h\narch x86_64\nlibc glibc 2.36\npy same 3.12.3\n"
		 "py other 3.12.0 /usr/bin/python3.12\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(c.how, INTERP_SAME);
	CU_ASSERT_STRING_EQUAL(c.version, "3.12.3");
	node(&n, "home /h\narch x86_64\nlibc glibc 2.36\n"
		 "py other 3.12.0 /usr/bin/python3.12\n"
		 "py has 3.11.2 /usr/bin/python3\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(c.how, INTERP_OTHER);
	CU_ASSERT_STRING_EQUAL(c.path, "/usr/bin/python3.12");
	node(&n, "home /h\narch x86_64\nlibc glibc 2.36\npy cached 3.12.1\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(c.how, INTERP_CACHED);
	CU_ASSERT_STRING_EQUAL(c.path, "/h/" INTERP_CACHE
			       "/cpython-3.12.13-x86_64-1/bin/python3.12");
	/* nothing there: relocatable -> the cache */
	node(&n, "home /h\narch x86_64\nlibc glibc 2.36\n"
		 "py has 3.11.2 /usr/bin/python3\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(c.how, INTERP_COPY_CACHE);
	/* not relocatable, under the home, same home path -> the same path */
	b.relocatable = 0;
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(c.how, INTERP_COPY_HERE);
	CU_ASSERT_STRING_EQUAL(c.path, b.exe);
	b.relocatable = 1;
	/* ... copying forbidden */
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 0, &c, why, sizeof(why)), -1);
	CU_ASSERT_STRING_EQUAL(why, "the virtualenv needs Python 3.12 (its base: "
			       "'/h/.pyenv/versions/3.12.1/bin/python3.12'); "
			       "the node has Python 3.11.2 ('/usr/bin/python3'), "
			       "and copying it is off (cloud_copy_python = no): "
			       "install Python 3.12 there, or set cloud_python "
			       "and run without a virtualenv");
	/* another home path: relocatable -> the cache; else refused */
	node(&n, "home /home/ci\narch x86_64\nlibc glibc 2.36\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(c.how, INTERP_COPY_CACHE);
	CU_ASSERT_STRING_EQUAL(c.path, "/home/ci/" INTERP_CACHE
			       "/cpython-3.12.13-x86_64-1/bin/python3.12");
	b.relocatable = 0;
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "runs only at its own path"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "the node's home is another path"));
	node(&n, "home /h\narch x86_64\nlibc glibc 2.36\npy taken\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "that path exists on the node"));
	/* a copy of pytest-cloud's there that is not usable: copied again */
	node(&n, "home /h\narch x86_64\nlibc glibc 2.36\npy stale\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(c.how, INTERP_COPY_HERE);
	CU_ASSERT_STRING_EQUAL(c.note, "");
	/* the base's path was not run: said, in the table and a refusal */
	node(&n, "home /h\narch x86_64\nlibc glibc 2.36\n"
		 "py unsafe /h/.pyenv/versions/3.12.1/bin/python3.12: "
		 "'/h/.pyenv' is owned by uid 1001\npy taken\n"
		 "py unsafe /usr/bin/python3.12: later ones are not said\n"
		 "py other 3.12.0 /opt/python3.12/bin/python3.12\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), 0);
	CU_ASSERT_EQUAL(c.how, INTERP_OTHER);
	CU_ASSERT_STRING_EQUAL(c.note, "not run: '/h/.pyenv/versions/3.12.1/"
			       "bin/python3.12', which another user could have "
			       "written ('/h/.pyenv' is owned by uid 1001)");
	CU_ASSERT_STRING_EQUAL(interp_describe(&c, line, sizeof(line)),
			       "python /opt/python3.12/bin/python3.12 (3.12.0, "
			       "the node's own; not run: '/h/.pyenv/versions/"
			       "3.12.1/bin/python3.12', which another user "
			       "could have written ('/h/.pyenv' is owned by "
			       "uid 1001))");
	node(&n, "home /h\narch x86_64\nlibc glibc 2.36\n"
		 "py unsafe /h/x/bin/python3.12: \npy taken\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "the node has no python3 on its "
					   "PATH; not run: '/h/x/bin/"
					   "python3.12', which another user "
					   "could have written; '"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "that path exists on the node"));
	/* other platforms: never */
	node(&n, "home /h\narch aarch64\nlibc glibc 2.36\npy same 3.12.1\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "the node is aarch64 and this "
					   "machine x86_64"));
	node(&n, "home /h\narch x86_64\nlibc musl libc (x86_64)\n"
		 "py same 3.12.1\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "C library is 'musl libc"));
	/* an older glibc: only compiled packages make it uncertain */
	node(&n, "home /h\narch x86_64\nlibc glibc 2.31\npy same 3.12.1\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), 0);
	b.has_ext = 1;
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "glibc 2.31 and this machine "
					   "glibc 2.36"));
	node(&n, "home /h\narch x86_64\nlibc glibc 2.40\npy same 3.12.1\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), 0);
	/* a system interpreter does not travel */
	interp_base_release(&b);
	base_for(&b, "/usr/bin/python3", "3.11", NULL);
	node(&n, "home /h\narch x86_64\nlibc glibc 2.36\n");
	CU_ASSERT_EQUAL(interp_decide(&b, &n, 1, &c, why, sizeof(why)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "a system interpreter, which does "
					   "not travel"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "the node has no python3 on its "
					   "PATH"));
	interp_base_release(&b);
}

/* pyvenv.cfg pointed elsewhere, the links made again: run by sh on a
 * copy of a virtualenv; rsync keeps what the repointing owns. */
static void test_repoint(void)
{
	static const char cfg[] =
		"home = /h/.pyenv/versions/3.12.1/bin\n"
		"include-system-site-packages = false\n"
		"version = 3.12.1\n"
		"executable = /h/.pyenv/versions/3.12.1/bin/python3.12\n"
		"command = /h/x -m venv /p/.venv\n";
	struct interp_base b;
	struct interp_choice c;
	struct strvec keep = STRVEC_INIT;
	char *text = interp_cfg_for(cfg, "/usr/bin/python3.12");
	char *script;
	char *cmd = NULL;
	char *out;
	char path[600];
	char target[600];
	char err[200];
	int code = -1;
	ssize_t n;

	CU_ASSERT_STRING_EQUAL(text,
			       "home = /usr/bin\n"
			       "include-system-site-packages = false\n"
			       "version = 3.12.1\n"
			       "executable = /usr/bin/python3.12\n"
			       "command = /h/x -m venv /p/.venv\n");
	base_for(&b, "/h/.pyenv/versions/3.12.1/bin/python3.12", "3.12",
		 "/h/.pyenv/versions/3.12.1");
	b.cfg_text = strdup(cfg);
	strvec_push(&b.links, "python3.12");
	memset(&c, 0, sizeof(c));
	c.how = INTERP_SAME;
	script = interp_repoint(&b, &c, ".venv");
	CU_ASSERT_STRING_EQUAL(script, "");
	CU_ASSERT_EQUAL(interp_keep(&b, &c, ".venv", &keep), 0);
	CU_ASSERT_EQUAL(keep.n, 0);
	free(script);
	c.how = INTERP_OTHER;
	snprintf(c.path, sizeof(c.path), "/usr/bin/python3.12");
	CU_ASSERT_EQUAL(interp_keep(&b, &c, ".venv", &keep), 0);
	CU_ASSERT_EQUAL(keep.n, 2);
	CU_ASSERT_STRING_EQUAL(keep.v[0], ".venv/pyvenv.cfg");
	CU_ASSERT_STRING_EQUAL(keep.v[1], ".venv/bin/python3.12");
	script = interp_repoint(&b, &c, ".venv");
	CU_ASSERT_FATAL(asprintf(&cmd, "cd %s && mkdir -p p/.venv/bin && "
				 "cd p && ln -s /h/x .venv/bin/python3.12 && "
				 "ln -s python3.12 .venv/bin/python && (%s)",
				 scratch, script) > 0);
	out = sh(cmd, &code);
	CU_ASSERT_EQUAL(code, 0);
	snprintf(path, sizeof(path), "%s/p/.venv/pyvenv.cfg", scratch);
	free(out);
	out = files_read(path, 4096, 0, NULL, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(out, text);
	snprintf(path, sizeof(path), "%s/p/.venv/bin/python3.12", scratch);
	n = readlink(path, target, sizeof(target) - 1);
	CU_ASSERT_TRUE(n > 0);
	target[n > 0 ? n : 0] = '\0';
	CU_ASSERT_STRING_EQUAL(target, "/usr/bin/python3.12");
	snprintf(path, sizeof(path), "%s/p/.venv/bin/python", scratch);
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	CU_ASSERT_STRING_EQUAL(target, "python3.12"); /* left as it was */
	free(out);
	free(cmd);
	free(script);
	free(text);
	strvec_clear(&keep);
	interp_base_release(&b);
}

/* The marker of the copy at dest (from the scratch home), or "". */
static char *marker_of(const char *dest)
{
	char path[800];
	char err[200];
	char *text;

	snprintf(path, sizeof(path), "%s/home/%s/" INTERP_MARK, scratch, dest);
	text = files_read(path, 4096, 0, NULL, err, sizeof(err));
	return text ? text : strdup("");
}

/* One copy as sync.c makes it: before, the partial copy filled by fill
 * (rsync's part: $t is it), after; its exit status and output. */
static char *copy_one(const struct interp_base *b, const char *dest,
		      const char *token, const char *fill, int *code)
{
	char *before = interp_before_copy(dest, token, 600);
	char *after = interp_after_copy(b, dest, token, "here, from 'there'");
	char *t = interp_partial(dest, token);
	char *tq = t ? shquote(t) : NULL;
	char *out = NULL;

	*code = -1;
	if (before != NULL && after != NULL && tq != NULL) {
		out = shf(code, "(%s) || exit 9; cd && t=%s && (%s) && (%s)",
			  before, tq, fill, after);
	}
	free(before);
	free(after);
	free(t);
	free(tq);
	return out;
}

/* A python (fake: it says 3.11.4 and imports anything) and a stdlib file:
 * two files. */
#define FILL_OK \
	"mkdir -p $t/bin $t/lib && printf '#!/bin/sh\\necho Python " \
	"3.11.4\\n' > $t/bin/python3.11 && chmod 755 $t/bin/python3.11 && " \
	": > $t/lib/os.py"

/* The interpreter's copy on a node: partial copies past their time
 * removed, the copy counted, marked, put in place (or one there used, or
 * replaced), checked; one that does not run removed. */
static void test_copy_commands(void)
{
	static const char d[] = INTERP_CACHE "/cpython-x";
	struct interp_base b;
	char *out;
	char *mark;
	char *cmd;
	char path[800];
	struct stat st;
	int code;

	base_for(&b, "/h/bin/python3.11", "3.11", "/h");
	b.files = 2;
	/* left behind: one past its time, one put aside, one whose run
	 * may still write it, one that is not pytest-cloud's */
	out = shf(&code, "cd && c=" INTERP_CACHE " && M=" INTERP_MARK " && "
		  "mkdir -p $c/a.partial-1 $c/b.partial-2.old $c/c.partial-3 "
		  "$c/d.partial-4 && "
		  "printf 'until 1000\\n' > $c/a.partial-1/$M && "
		  ": > $c/b.partial-2.old/$M && "
		  "printf 'until 99999999999\\n' > $c/c.partial-3/$M");
	CU_ASSERT_EQUAL_FATAL(code, 0);
	free(out);
	out = copy_one(&b, d, "tok1", FILL_OK, &code);
	CU_ASSERT_EQUAL(code, 0);
	free(out);
	out = shf(&code, "cd && ls -d " INTERP_CACHE "/*.partial-*");
	CU_ASSERT_STRING_EQUAL(out, INTERP_CACHE "/c.partial-3\n"
			       INTERP_CACHE "/d.partial-4\n");
	free(out);
	mark = marker_of(d);
	CU_ASSERT_STRING_EQUAL(mark, "pytest-cloud python copy\nsource " SOURCE
			       "\nfiles 2\ntoken tok1\norigin here, from "
			       "'there'\nchecked\n");
	free(mark);

	/* the same copy checked there: used, this one dropped */
	out = copy_one(&b, d, "tok2", FILL_OK, &code);
	CU_ASSERT_EQUAL(code, 0);
	free(out);
	mark = marker_of(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(mark, "token tok1\n"));
	free(mark);

	/* the same, checked, but a file gone since: replaced */
	out = shf(&code, "cd && rm %s/lib/os.py", d);
	free(out);
	out = copy_one(&b, d, "tok2b", FILL_OK, &code);
	CU_ASSERT_EQUAL(code, 0);
	free(out);
	mark = marker_of(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(mark, "token tok2b\n"));
	free(mark);
	snprintf(path, sizeof(path), "%s/home/%s/lib/os.py", scratch, d);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);

	/* one of another source: replaced, nothing left aside */
	snprintf(b.source, sizeof(b.source), "fedcba9876543210");
	out = copy_one(&b, d, "tok3", FILL_OK, &code);
	CU_ASSERT_EQUAL(code, 0);
	free(out);
	mark = marker_of(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(mark, "source fedcba9876543210\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mark, "token tok3\n"));
	free(mark);
	/* one of this source never checked (its run died): replaced */
	out = shf(&code, "cd && printf 'source fedcba9876543210\\nfiles 2\\n"
		  "token dead\\n' > %s/" INTERP_MARK, d);
	free(out);
	out = copy_one(&b, d, "tok4", FILL_OK, &code);
	CU_ASSERT_EQUAL(code, 0);
	free(out);
	mark = marker_of(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(mark, "token tok4\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mark, "\nchecked\n"));
	free(mark);
	out = shf(&code, "cd && ls -d " INTERP_CACHE "/cpython-x*");
	CU_ASSERT_STRING_EQUAL(out, INTERP_CACHE "/cpython-x\n");
	free(out);

	/* a file short (the copy cut off): nothing placed, nothing left */
	out = copy_one(&b, INTERP_CACHE "/cpython-short", "tok5",
		       "mkdir -p $t/bin && : > $t/bin/python3.11", &code);
	CU_ASSERT_EQUAL(code, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "the copy holds 1 files, not 2"));
	free(out);
	out = shf(&code, "cd && ls -d " INTERP_CACHE "/cpython-short* "
		  "2>/dev/null");
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);

	/* it does not run: this run's copy is removed */
	out = copy_one(&b, INTERP_CACHE "/cpython-broken", "tok6",
		       "mkdir -p $t/bin $t/lib && printf '#!/bin/sh\\necho "
		       "\"ModuleNotFoundError: No module named encodings\" "
		       ">&2; exit 1\\n' > $t/bin/python3.11 && chmod 755 "
		       "$t/bin/python3.11 && : > $t/lib/os.py", &code);
	CU_ASSERT_EQUAL(code, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "No module named encodings"));
	free(out);
	out = shf(&code, "cd && ls -d " INTERP_CACHE "/cpython-broken* "
		  "2>/dev/null");
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);

	/* at its own path (absolute), a folder that is not pytest-cloud's:
	 * left as it is */
	snprintf(path, sizeof(path), "%s/home/mine/py", scratch);
	out = shf(&code, "mkdir -p %s && : > %s/keep", path, path);
	free(out);
	out = copy_one(&b, path, "tok7", FILL_OK, &code);
	CU_ASSERT_EQUAL(code, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "is there and is not "
					   "pytest-cloud's"));
	free(out);
	out = shf(&code, "ls -A %s; ls -d %s.* 2>/dev/null", path, path);
	CU_ASSERT_STRING_EQUAL(out, "keep\n");
	free(out);
	/* ... and the folders it makes are the login's alone */
	snprintf(path, sizeof(path), "%s/home/new/er/py", scratch);
	out = copy_one(&b, path, "tok8", FILL_OK, &code);
	CU_ASSERT_EQUAL(code, 0);
	free(out);
	snprintf(path, sizeof(path), "%s/home/new", scratch);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);

	/* a failed rsync: this run's partial copy discarded */
	cmd = interp_before_copy(INTERP_CACHE "/cpython-cut", "tok9", 600);
	out = shf(&code, "%s", cmd);
	CU_ASSERT_EQUAL(code, 0);
	free(out);
	free(cmd);
	cmd = interp_discard_copy(INTERP_CACHE "/cpython-cut", "tok9");
	out = shf(&code, "%s && cd && ls -d " INTERP_CACHE "/cpython-cut* "
		  "2>/dev/null", cmd);
	CU_ASSERT_STRING_EQUAL(out, "");
	free(out);
	free(cmd);
	interp_base_release(&b);
}

/* What of the prefix travels, the same as rsync's filters say. */
static void test_copy_skips(void)
{
	static const struct {
		const char *rel;
		int dir, system_site, skips;
	} rows[] = {
		{ "bin/python3.12", 0, 0, 0 },
		{ "__pycache__", 1, 0, 1 },
		{ "lib/python3.12/json/__pycache__", 1, 0, 1 },
		{ "lib/python3.12/os.pyc", 0, 0, 1 },
		{ "lib/python3.12/config-3.12/libpython3.12.a", 0, 0, 1 },
		{ "lib/libpython3.12.so", 0, 0, 0 },
		{ "share", 1, 0, 1 },
		{ "share", 0, 0, 0 },
		{ "lib/share", 1, 0, 0 },
		{ INTERP_MARK, 0, 0, 1 },
		{ "lib/" INTERP_MARK, 0, 0, 0 },
		{ "lib/python3.12/test", 1, 0, 1 },
		{ "lib/python3.12/test", 0, 0, 0 },
		{ "lib/python3.12/tkinter", 1, 0, 1 },
		{ "lib/python3.12/lib2to3/tests", 1, 0, 1 },
		{ "lib/python3.12/json", 1, 0, 0 },
		{ "lib/python3.12/unittest/test", 1, 0, 0 },
		{ "lib/python3.11/test", 1, 0, 0 },
		{ "x/lib/python3.12/test", 1, 0, 0 },
		{ "lib/python3.12/site-packages", 1, 0, 0 },
		{ "lib/python3.12/site-packages/pip", 1, 0, 1 },
		{ "lib/python3.12/site-packages/README.txt", 0, 0, 1 },
		{ "lib/python3.12/site-packages/pip", 1, 1, 0 },
		{ "lib/python3.12/site-packages/pip/__init__.py", 0, 1, 0 },
	};
	struct interp_base b;
	size_t i;

	base_for(&b, "/p/bin/python3.12", "3.12", "/p");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		b.system_site = rows[i].system_site;
		if (interp_copy_skips(&b, rows[i].rel, rows[i].dir) !=
		    rows[i].skips) {
			CU_FAIL("copy skips");
			fprintf(stderr, "row %zu: '%s'\n", i, rows[i].rel);
		}
	}
	interp_base_release(&b);
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* interp_copy_skips against rsync itself, on a prefix of every kind of
 * entry: what rsync --list-only lists with the filters is what a walk
 * that asks interp_copy_skips keeps. */
static void test_copy_skips_as_rsync(void)
{
	struct interp_base b;
	struct strvec filters = STRVEC_INIT;
	struct strvec walked = STRVEC_INIT;
	char *listed;
	char *found;
	char *args = NULL;
	char *p;
	char *line;
	size_t i;
	int code;
	int site;

	base_for(&b, "/p/bin/python3.12", "3.12", "/p");
	found = shf(&code, "cd %s && mkdir -p pfx && cd pfx && "
		    "mkdir -p bin share/man lib/python3.12/json/__pycache__ "
		    "lib/python3.12/test/data lib/python3.12/tkinter "
		    "lib/python3.12/lib2to3/tests lib/python3.12/unittest/test "
		    "lib/python3.12/site-packages/pip lib/python3.12/config "
		    "lib/python3.11/test x/lib/python3.12/test && "
		    "for f in bin/python3.12 share/man/x lib/python3.12/os.py "
		    "lib/python3.12/old.pyc lib/python3.12/json/__init__.py "
		    "lib/python3.12/json/__pycache__/a.pyc "
		    "lib/python3.12/test/data/t lib/python3.12/tkinter/t "
		    "lib/python3.12/lib2to3/tests/t lib/python3.12/lib2to3/x "
		    "lib/python3.12/unittest/test/t "
		    "lib/python3.12/site-packages/README.txt "
		    "lib/python3.12/site-packages/pip/x.py "
		    "lib/python3.12/config/libpython3.12.a "
		    "lib/libpython3.12.so "
		    "lib/python3.11/test/t x/lib/python3.12/test/t share.txt "
		    INTERP_MARK " lib/" INTERP_MARK "; do : > $f; done && "
		    "ln -s python3.12 bin/python3 && "
		    "find . -mindepth 1 \\( -type d -printf 'd %%P\\n' \\) -o "
		    "-printf 'f %%P\\n' | sort", scratch);
	CU_ASSERT_EQUAL_FATAL(code, 0);
	for (site = 0; site < 2; site++) {
		b.system_site = site;
		strvec_clear(&filters);
		strvec_clear(&walked);
		CU_ASSERT_EQUAL_FATAL(interp_copy_filters(&b, &filters), 0);
		CU_ASSERT_STRING_EQUAL(filters.v[filters.n - 1],
				       "--chmod=go-w");
		for (i = 0; i < filters.n; i++) {
			char *q = shquote(filters.v[i]);
			char *more = NULL;

			CU_ASSERT_FATAL(asprintf(&more, "%s %s",
						 args ? args : "", q) > 0);
			free(q);
			free(args);
			args = more;
		}
		listed = shf(&code, "cd %s && rsync -a --list-only %s pfx/ | "
			     "awk '$5 != \".\" { print $5 }' | LC_ALL=C sort",
			     scratch, args);
		free(args);
		args = NULL;
		CU_ASSERT_EQUAL(code, 0);
		/* the walk: an entry whose folder is left out goes too */
		p = strdup(found);
		for (line = strtok(p, "\n"); line != NULL;
		     line = strtok(NULL, "\n")) {
			const char *rel = line + 2;
			int gone = interp_copy_skips(&b, rel, line[0] == 'd');
			const char *slash;

			for (slash = strchr(rel, '/'); !gone && slash != NULL;
			     slash = strchr(slash + 1, '/')) {
				char *up = strndup(rel, (size_t)(slash - rel));

				gone = interp_copy_skips(&b, up, 1);
				free(up);
			}
			if (!gone) {
				strvec_pushf(&walked, "%s\n", rel);
			}
		}
		free(p);
		p = NULL;
		qsort(walked.v, walked.n, sizeof(walked.v[0]), by_text);
		for (i = 0; i < walked.n; i++) {
			char *more = NULL;

			CU_ASSERT_FATAL(asprintf(&more, "%s%s", p ? p : "",
						 walked.v[i]) > 0);
			free(p);
			p = more;
		}
		CU_ASSERT_STRING_EQUAL(listed, p ? p : "");
		if (strcmp(listed ? listed : "", p ? p : "") != 0) {
			fprintf(stderr, "rsync:\n%s\nwalk:\n%s\n", listed,
				p);
		}
		CU_ASSERT_PTR_NOT_NULL(strstr(listed, "bin/python3\n"));
		CU_ASSERT_EQUAL(strstr(listed, "site-packages/pip") != NULL,
				site);
		free(p);
		free(listed);
	}
	free(found);
	strvec_clear(&filters);
	strvec_clear(&walked);
	interp_base_release(&b);
}

/* The manifest's hash: any order; a file's size, time, mode, name or
 * link target, or the system site-packages, make another; a folder's
 * size and time, and group write, do not. */
static void test_manifest(void)
{
	static const struct {
		const char *rel;
		char type;
		long long size, mtime;
		unsigned mode;
		const char *link;
	} base[] = {
		{ "bin", 'd', 4096, 100, 0755, NULL },
		{ "bin/python3.12", 'f', 1000, 200, 0755, NULL },
		{ "bin/python3", 'l', 10, 300, 0777, "python3.12" },
		{ "lib/python3.12/os.py", 'f', 50, 400, 0644, NULL },
	};
	static const struct {
		size_t row;
		const char *rel;
		long long size, mtime;
		unsigned mode;
		const char *link;
		int same;
	} changes[] = {
		{ 1, "bin/python3.12", 1001, 200, 0755, NULL, 0 },
		{ 1, "bin/python3.12", 1000, 201, 0755, NULL, 0 },
		{ 1, "bin/python3.12", 1000, 200, 0700, NULL, 0 },
		{ 1, "bin/python3.13", 1000, 200, 0755, NULL, 0 },
		{ 2, "bin/python3", 10, 300, 0777, "python3.13", 0 },
		{ 1, "bin/python3.12", 1000, 200, 0775, NULL, 1 },
		{ 0, "bin", 8192, 999, 0755, NULL, 1 },
		{ 0, "bin", 4096, 100, 0700, NULL, 0 },
	};
	const size_t n = sizeof(base) / sizeof(base[0]);
	struct interp_base b;
	struct interp_manifest m;
	char first[17];
	char id[128];
	size_t i;
	size_t k;

	base_for(&b, "/p/bin/python3.12", "3.12", "/p");
	memset(&m, 0, sizeof(m));
	for (i = 0; i < n; i++) {
		interp_manifest_add(&m, base[i].rel, base[i].type, base[i].size,
				    base[i].mtime, base[i].mode, base[i].link);
	}
	interp_manifest_finish(&m, &b);
	CU_ASSERT_EQUAL(b.files, 3);
	CU_ASSERT_EQUAL(strlen(b.source), 16);
	snprintf(first, sizeof(first), "%s", b.source);
	snprintf(id, sizeof(id), "cpython-3.12.1-x86_64-%s", first);
	CU_ASSERT_STRING_EQUAL(b.id, id);
	/* backwards */
	memset(&m, 0, sizeof(m));
	for (i = n; i-- > 0;) {
		interp_manifest_add(&m, base[i].rel, base[i].type, base[i].size,
				    base[i].mtime, base[i].mode, base[i].link);
	}
	interp_manifest_finish(&m, &b);
	CU_ASSERT_STRING_EQUAL(b.source, first);
	for (k = 0; k < sizeof(changes) / sizeof(changes[0]); k++) {
		memset(&m, 0, sizeof(m));
		for (i = 0; i < n; i++) {
			if (i == changes[k].row) {
				interp_manifest_add(&m, changes[k].rel,
						    base[i].type,
						    changes[k].size,
						    changes[k].mtime,
						    changes[k].mode,
						    changes[k].link);
			} else {
				interp_manifest_add(&m, base[i].rel,
						    base[i].type, base[i].size,
						    base[i].mtime, base[i].mode,
						    base[i].link);
			}
		}
		interp_manifest_finish(&m, &b);
		if ((strcmp(b.source, first) == 0) != changes[k].same) {
			CU_FAIL("manifest");
			fprintf(stderr, "change %zu\n", k);
		}
	}
	/* one more file; the system site-packages */
	memset(&m, 0, sizeof(m));
	for (i = 0; i < n; i++) {
		interp_manifest_add(&m, base[i].rel, base[i].type, base[i].size,
				    base[i].mtime, base[i].mode, base[i].link);
	}
	b.system_site = 1;
	interp_manifest_finish(&m, &b);
	CU_ASSERT_STRING_NOT_EQUAL(b.source, first);
	b.system_site = 0;
	interp_manifest_add(&m, "lib/python3.12/json.py", 'f', 1, 1, 0644,
			    NULL);
	interp_manifest_finish(&m, &b);
	CU_ASSERT_STRING_NOT_EQUAL(b.source, first);
	CU_ASSERT_EQUAL(b.files, 4);
	interp_base_release(&b);
}

int suite_interp(void)
{
	CU_pSuite s = CU_add_suite("interp", setup, teardown);

	return (s && CU_add_test(s, "pyvenv.cfg", test_parse_cfg) &&
		CU_add_test(s, "probe part", test_probe_part) &&
		CU_add_test(s, "probe: copies of pytest-cloud's",
			    test_probe_copies) &&
		CU_add_test(s, "probe: pythons others could write",
			    test_probe_unsafe) &&
		CU_add_test(s, "decide", test_decide) &&
		CU_add_test(s, "repoint", test_repoint) &&
		CU_add_test(s, "copy commands", test_copy_commands) &&
		CU_add_test(s, "what the copy skips", test_copy_skips) &&
		CU_add_test(s, "what the copy skips, as rsync",
			    test_copy_skips_as_rsync) &&
		CU_add_test(s, "manifest", test_manifest))
		       ? 0
		       : -1;
}
