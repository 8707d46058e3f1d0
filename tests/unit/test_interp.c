/* interp: the virtualenv's interpreter on a node: pyvenv.cfg, the probe's
 * part run by a real sh against a scratch home with fake pythons, the
 * choice for each kind of node, the repointing run by sh, RUNPATH. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "interp.h"
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

/* The probe's part on the scratch home: what it finds of each python. */
static void probe(const char *exe, const char *minor, const char *prefix,
		  struct interp_node *n)
{
	struct interp_base b;
	char *part;
	char *out;
	int code = -1;

	base_for(&b, exe, minor, prefix);
	snprintf(b.id, sizeof(b.id), "cpython-%s.13-x86_64-1", minor);
	part = interp_probe_part(&b);
	out = part ? sh(part, &code) : NULL;
	CU_ASSERT_EQUAL(code, 0);
	interp_parse_probe(out ? out : "", n);
	free(out);
	free(part);
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
	CU_ASSERT_STRING_EQUAL(n.other, ""); /* itself is not another */
	CU_ASSERT_STRING_EQUAL(n.cached, "");
	CU_ASSERT_PTR_NOT_NULL(strstr(n.home, "/home"));
	CU_ASSERT_TRUE(n.arch[0] != '\0');
	CU_ASSERT_PTR_NOT_NULL(strstr(n.has, "3.99.2 "));
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
	/* in the cache, and its prefix path taken */
	snprintf(path, sizeof(path), "%s/home/taken", scratch);
	probe("/nowhere/bin/python3.97", "3.97", path, &n);
	CU_ASSERT_STRING_EQUAL(n.cached, "3.97.13");
	CU_ASSERT_EQUAL(n.taken, 1);
	/* none */
	probe("/nowhere/bin/python3.96", "3.96", "/nowhere", &n);
	CU_ASSERT_STRING_EQUAL(n.same, "");
	CU_ASSERT_STRING_EQUAL(n.other, "");
	CU_ASSERT_STRING_EQUAL(n.cached, "");
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

/* The interpreter's copy: its folder made, the partial copy moved into
 * place and marked, a second copy thrown away, the check run. */
static void test_copy_commands(void)
{
	char *before = interp_before_copy(INTERP_CACHE "/cpython-x");
	char *after = interp_after_copy(INTERP_CACHE "/cpython-x", "tok",
					"3.11", "from 'here'");
	char *cmd = NULL;
	char *out;
	char path[600];
	int code = -1;

	CU_ASSERT_FATAL(asprintf(&cmd, "(%s) && cd && d=" INTERP_CACHE
				 "/cpython-x.partial-tok && mkdir -p $d/bin && "
				 "cp %s/bin/python3.99 $d/bin/python3.11 && (%s)",
				 before, scratch, after) > 0);
	out = sh(cmd, &code);
	CU_ASSERT_EQUAL(code, 0);
	snprintf(path, sizeof(path), "%s/home/" INTERP_CACHE "/cpython-x/"
		 INTERP_MARK, scratch);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	free(out);
	/* another run got there first: this copy goes, that one stays */
	free(cmd);
	CU_ASSERT_FATAL(asprintf(&cmd, "cd && d=" INTERP_CACHE
				 "/cpython-x.partial-tok && mkdir -p $d/bin && "
				 "(%s) && ! test -e $d", after) > 0);
	out = sh(cmd, &code);
	CU_ASSERT_EQUAL(code, 0);
	free(out);
	/* one that does not run */
	free(after);
	after = interp_after_copy(INTERP_CACHE "/broken", "tok", "3.11", "o");
	free(cmd);
	CU_ASSERT_FATAL(asprintf(&cmd, "cd && mkdir -p " INTERP_CACHE
				 "/broken.partial-tok && (%s)", after) > 0);
	out = sh(cmd, &code);
	CU_ASSERT_NOT_EQUAL(code, 0);
	free(out);
	free(cmd);
	free(before);
	free(after);
}

int suite_interp(void)
{
	CU_pSuite s = CU_add_suite("interp", setup, teardown);

	return (s && CU_add_test(s, "pyvenv.cfg", test_parse_cfg) &&
		CU_add_test(s, "probe part", test_probe_part) &&
		CU_add_test(s, "decide", test_decide) &&
		CU_add_test(s, "repoint", test_repoint) &&
		CU_add_test(s, "copy commands", test_copy_commands))
		       ? 0
		       : -1;
}
