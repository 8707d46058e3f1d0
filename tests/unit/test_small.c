/* The small core modules, a suite each: buf, strvec, path, report,
 * sshopts, opts (the table, its lookups and its argv parser), b64 and
 * inplace. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "config.h"
#include "inplace.h"
#include "opts.h"
#include "path.h"
#include "report.h"
#include "sshopts.h"
#include "strvec.h"
#include "suites.h"

static void test_buf(void)
{
	struct buf b = BUF_INIT;
	char *t;
	size_t i;

	t = buf_take(&b);
	CU_ASSERT_STRING_EQUAL(t, ""); /* nothing added: "" */
	free(t);
	buf_add(&b, "ab", 1);
	buf_printf(&b, "%d-%s", 42, "x");
	for (i = 0; i < 1000; i++) {
		buf_add(&b, "0123456789", 10); /* grows past any start size */
	}
	CU_ASSERT_EQUAL(b.len, 5 + 10000);
	t = buf_take(&b);
	CU_ASSERT_EQUAL(strncmp(t, "a42-x0123", 9), 0);
	CU_ASSERT_EQUAL(strlen(t), 5 + 10000);
	CU_ASSERT_PTR_NULL(b.p); /* empty again */
	CU_ASSERT_EQUAL(b.len, 0);
	free(t);
}

static void test_strvec(void)
{
	struct strvec v = STRVEC_INIT;
	int k;

	CU_ASSERT_FALSE(strvec_contains(&v, "a"));
	for (k = 0; k < 100; k++) {
		CU_ASSERT_EQUAL(strvec_pushf(&v, "n%d", k), 0);
	}
	CU_ASSERT_EQUAL(strvec_push(&v, "last"), 0);
	CU_ASSERT_EQUAL(v.n, 101);
	CU_ASSERT_STRING_EQUAL(v.v[0], "n0");
	CU_ASSERT_STRING_EQUAL(v.v[99], "n99");
	CU_ASSERT_PTR_NULL(v.v[v.n]); /* NULL-terminated: an argv */
	CU_ASSERT_TRUE(strvec_contains(&v, "n42"));
	CU_ASSERT_FALSE(strvec_contains(&v, "n100"));
	strvec_clear(&v);
	CU_ASSERT_EQUAL(v.n, 0);
	CU_ASSERT_PTR_NULL(v.v);
	strvec_clear(&v); /* twice is fine */
}

static void test_path_inside(void)
{
	static const struct {
		const char *root, *base, *path, *want;
	} rows[] = {
		{ "/p", "/p", "tests", "tests" },
		{ "/p", "/p", "./a//b/./c/", "a/b/c" },
		{ "/p", "/p", "a/../b", "b" },
		{ "/p", "/p", ".", "." },
		{ "/p", "/p", "/p", "." },
		{ "/p", "/p/sub", "../x", "x" },
		{ "/p", "/p", "..", NULL },
		{ "/p", "/p", "../p2/x", NULL }, /* a sibling with the prefix */
		{ "/p", "/p", "/etc", NULL },
		{ "/p", NULL, "/p/.venv", ".venv" },
		{ "/", "/", "x/y", "x/y" },
		{ "/p", "/p", "a/../../p/b", "b" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = path_inside(rows[i].root, rows[i].base,
					rows[i].path);

		if (rows[i].want == NULL) {
			CU_ASSERT_PTR_NULL(got);
		} else {
			CU_ASSERT_PTR_NOT_NULL(got);
			if (got != NULL) {
				CU_ASSERT_STRING_EQUAL(got, rows[i].want);
			}
		}
		free(got);
	}
}

static void test_report(void)
{
	struct node_report r;

	memset(&r, 0, sizeof(r));
	r.processes = 4;
	CU_ASSERT_EQUAL(report_exclude(&r, "rsync %s: \x1b[31mred%c", "x",
				       '\n'), 0);
	CU_ASSERT_EQUAL(r.state, NODE_EXCLUDED);
	CU_ASSERT_EQUAL(r.processes, 0);
	/* node text is made safe: no escape reaches the terminal */
	CU_ASSERT_STRING_EQUAL(r.reason, "rsync x: ?[31mred\n");
	CU_ASSERT_EQUAL(report_exclude(&r, "again"), 0); /* replaces */
	CU_ASSERT_STRING_EQUAL(r.reason, "again");
	report_release(&r);
	CU_ASSERT_PTR_NULL(r.reason);
}

static void test_sshopts(void)
{
	static const long rows[][3] = {
		/* keepalive, interval, count: never more than it */
		{ 1, 1, 1 }, { 2, 1, 1 }, { 3, 1, 2 }, { 4, 1, 3 },
		{ 15, 3, 3 }, { 60, 15, 3 },
	};
	struct cloud_config cfg;
	size_t i;
	char *s;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		long interval, count;

		sshopts_alive(rows[i][0], &interval, &count);
		CU_ASSERT_EQUAL(interval, rows[i][1]);
		CU_ASSERT_EQUAL(count, rows[i][2]);
		CU_ASSERT_TRUE(interval * count <= rows[i][0] || rows[i][0] < 2);
	}
	config_init(&cfg);
	cfg.connect_timeout = 7;
	cfg.keepalive = 8;
	s = sshopts_common(&cfg);
	CU_ASSERT_STRING_EQUAL(s, "-o BatchMode=yes -o ConnectTimeout=7 "
			       "-o ServerAliveInterval=2 -o ServerAliveCountMax=3 "
			       "-o StrictHostKeyChecking=yes -o UpdateHostKeys=no");
	free(s);
	config_release(&cfg);
}

/* The table: every row findable by its names, one source per option,
 * the lookups and suggestions, and argv read through it. */
static void test_opts(void)
{
	size_t n;
	size_t i;
	const struct opt_def *t = opts_table(&n);
	char buf[32];
	char err[300];
	const struct opt_def *def;
	const char *value;
	char *argv[] = { "x", "--cloud-nodes=a b", "--dry-run", "-c", "f.ini",
			 "--cloud-keepalive", "5", "--bogus", NULL };
	int k = 1;

	CU_ASSERT_TRUE(n > 30);
	for (i = 0; i < n; i++) {
		CU_ASSERT_PTR_EQUAL(opts_get(t[i].id), &t[i]);
		if (t[i].flag != NULL) {
			CU_ASSERT_PTR_EQUAL(opts_by_flag(t[i].flag), &t[i]);
		}
		if (t[i].ini != NULL) {
			CU_ASSERT_PTR_EQUAL(opts_by_ini(t[i].ini), &t[i]);
		}
		CU_ASSERT_PTR_NOT_NULL(t[i].meaning);
	}
	CU_ASSERT_PTR_NULL(opts_by_flag("--cloud-node="));
	CU_ASSERT_STRING_EQUAL(opts_default_text(opts_get(OPT_KEEPALIVE), buf,
						 sizeof(buf)), "15");
	CU_ASSERT_STRING_EQUAL(opts_default_text(opts_get(OPT_CHDIR), buf,
						 sizeof(buf)),
			       "pytest_<user>_<rootdir name>");
	CU_ASSERT_PTR_NULL(opts_default_text(opts_get(OPT_MAX_PROCESSES), buf,
					     sizeof(buf)));
	CU_ASSERT_TRUE(opts_is_choice(opts_get(OPT_SCHEDULE), "collection"));
	CU_ASSERT_FALSE(opts_is_choice(opts_get(OPT_SCHEDULE), "collect"));
	CU_ASSERT_TRUE(opts_is_choice(opts_get(OPT_COPY_PYTHON), "no"));
	{
		/* an unknown flag: the nearest one suggested, if any is */
		char *near[] = { "x", "--cloud-max-procs=2",
				 "--completely-else", NULL };
		int j = 1;

		CU_ASSERT_EQUAL(opts_parse_arg(3, near, &j, &def, &value, err,
					       sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "'--cloud-max-procs' (did "
					      "you mean "
					      "'--cloud-max-processes'?)"));
		j = 2;
		CU_ASSERT_EQUAL(opts_parse_arg(3, near, &j, &def, &value, err,
					       sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "'--completely-else'"));
		CU_ASSERT_PTR_NULL(strstr(err, "did you mean"));
	}
	CU_ASSERT_STRING_EQUAL(opts_nearest_ini("cloud_node"), "cloud_nodes");

	CU_ASSERT_EQUAL(opts_parse_arg(8, argv, &k, &def, &value, err,
				       sizeof(err)), 0);
	CU_ASSERT_EQUAL(def->id, OPT_NODES);
	CU_ASSERT_STRING_EQUAL(value, "a b");
	CU_ASSERT_EQUAL(opts_parse_arg(8, argv, &k, &def, &value, err,
				       sizeof(err)), 0);
	CU_ASSERT_EQUAL(def->id, OPT_DRY_RUN);
	CU_ASSERT_STRING_EQUAL(value, "");
	CU_ASSERT_EQUAL(opts_parse_arg(8, argv, &k, &def, &value, err,
				       sizeof(err)), 0);
	CU_ASSERT_EQUAL(def->id, OPT_INIFILE); /* pytest's -c */
	CU_ASSERT_STRING_EQUAL(value, "f.ini");
	CU_ASSERT_EQUAL(opts_parse_arg(8, argv, &k, &def, &value, err,
				       sizeof(err)), 0);
	CU_ASSERT_EQUAL(def->id, OPT_KEEPALIVE);
	CU_ASSERT_STRING_EQUAL(value, "5");
	CU_ASSERT_EQUAL(opts_parse_arg(8, argv, &k, &def, &value, err,
				       sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "command line: unknown option '--bogus' "
			       "(see --help)");
	/* init's own rows, through the same parser */
	{
		char *iargv[] = { "init", "--nodes", "a", "--ini=p.toml",
				  "--dry-run=1", "-c", NULL };
		size_t in;
		const struct opt_def *it = opts_init_table(&in);

		k = 1;
		CU_ASSERT_EQUAL(opts_parse_in(it, in, 6, iargv, &k, &def,
					      &value, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(def->id, OPT_INIT_NODES);
		CU_ASSERT_EQUAL(opts_parse_in(it, in, 6, iargv, &k, &def,
					      &value, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(def->id, OPT_INIT_INI);
		CU_ASSERT_STRING_EQUAL(value, "p.toml");
		CU_ASSERT_EQUAL(opts_parse_in(it, in, 6, iargv, &k, &def,
					      &value, err, sizeof(err)), -1);
		CU_ASSERT_STRING_EQUAL(err, "--dry-run: takes no value");
		k = 5;
		CU_ASSERT_EQUAL(opts_parse_in(it, in, 6, iargv, &k, &def,
					      &value, err, sizeof(err)), -1);
		CU_ASSERT_STRING_EQUAL(err, "command line: unexpected argument "
				       "'-c'");
	}
}

/* A suite each, of one test. */
/* base64: OpenSSH's padded form both ways; text that is not it, or
 * does not fit, is -1. */
static void test_b64(void)
{
	const unsigned char data[] = { 0xfb, 0xff, 0x00, 'a', 'b' };
	unsigned char out[8];
	char *text;
	size_t k;

	for (k = 0; k <= sizeof(data); k++) {
		text = b64_encode(data, k);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		if (k == 0) {
			CU_ASSERT_STRING_EQUAL(text, "");
			CU_ASSERT_EQUAL(b64_decode(text, 0, out, sizeof(out)), -1);
		} else {
			CU_ASSERT_EQUAL(b64_decode(text, strlen(text), out,
						   sizeof(out)),
					(int)k);
			CU_ASSERT(memcmp(out, data, k) == 0);
		}
		free(text);
	}
	text = b64_encode(data, 2);
	CU_ASSERT_STRING_EQUAL(text, "+/8=");
	free(text);
	CU_ASSERT_EQUAL(b64_decode("+/8", 3, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(b64_decode("+/8*", 4, out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(b64_decode("AAAAAAAAAAAA", 12, out, 8), -1);
}

/* A node sees the project when it reads the run's token at the mark's
 * path (the probe's part run by sh here); in place only as allowed. */
static void test_inplace(void)
{
	char scratch[] = "/tmp/pytest-cloud-inplace.XXXXXX";
	char *part;
	char *mark;
	char *dir;
	char *cmd = NULL;
	char *out;
	int code = -1;
	struct cloud_config cfg;
	struct interp_choice same = { 0 };
	struct interp_choice other = { 0 };
	char why[200];
	char *py;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(scratch));
	/* a root with a quote and a space: every value is quoted */
	CU_ASSERT_TRUE(asprintf(&cmd, "mkdir -p '%s/it'\\''s here'",
				scratch) > 0);
	out = unit_sh(scratch, NULL, cmd, &code);
	free(out);
	free(cmd);
	cmd = NULL;
	{
		char root[300];

		snprintf(root, sizeof(root), "%s/it's here", scratch);
		part = inplace_probe_part(root, "a1b2");
		mark = inplace_mark_path(root, "a1b2");
		dir = inplace_mark_dir(root);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(part);
	CU_ASSERT_PTR_NOT_NULL(strstr(mark, "/.pytest_cache/pytest-cloud/"
					    "seen-a1b2"));
	out = unit_sh(scratch, NULL, part, &code);
	CU_ASSERT_STRING_EQUAL(out, "inplace no\n");
	CU_ASSERT_EQUAL(inplace_seen(out), 0);
	free(out);
	/* the token's text at the mark: seen */
	{
		char *dq = NULL;

		CU_ASSERT_TRUE(asprintf(&dq, "mkdir -p \"%s\" && printf a1b2 > "
					"\"%s\"", dir, mark) > 0);
		out = unit_sh(scratch, NULL, dq, &code);
		free(out);
		free(dq);
	}
	out = unit_sh(scratch, NULL, part, &code);
	CU_ASSERT_STRING_EQUAL(out, "inplace yes\n");
	CU_ASSERT_EQUAL(inplace_seen(out), 1);
	free(out);
	CU_ASSERT_EQUAL(inplace_seen("os Linux\ninplace yes\r\ncpus 2\n"), 1);
	CU_ASSERT_EQUAL(inplace_seen("inplace yesterday\n"), 0);
	CU_ASSERT_EQUAL(inplace_seen(""), 0);
	/* another run's token there: not seen */
	free(part);
	part = inplace_probe_part("/nowhere", "zz");
	out = unit_sh(scratch, NULL, part, &code);
	CU_ASSERT_STRING_EQUAL(out, "inplace no\n");
	free(out);
	/* in place only where allowed and the virtualenv runs as it is */
	config_init(&cfg);
	cfg.rootdir = strdup("/p");
	cfg.venv_rel = strdup(".venv");
	same.how = INTERP_SAME;
	other.how = INTERP_OTHER;
	CU_ASSERT_EQUAL(inplace_usable(&cfg, &same, why, sizeof(why)), 1);
	CU_ASSERT_EQUAL(inplace_usable(&cfg, &other, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "virtualenv's python is not there"));
	py = inplace_python(&cfg);
	CU_ASSERT_STRING_EQUAL(py, "/p/.venv/bin/python");
	free(py);
	free(cfg.in_place);
	cfg.in_place = strdup("no");
	CU_ASSERT_EQUAL(inplace_usable(&cfg, &same, why, sizeof(why)), 0);
	CU_ASSERT_STRING_EQUAL(why, "cloud_in_place = no");
	free(cfg.venv_rel);
	cfg.venv_rel = NULL;
	py = inplace_python(&cfg);
	CU_ASSERT_STRING_EQUAL(py, "python3");
	free(py);
	config_release(&cfg);
	CU_ASSERT_TRUE(asprintf(&cmd, "rm -rf '%s'", scratch) > 0);
	out = unit_sh(scratch, NULL, cmd, &code);
	free(out);
	free(cmd);
	free(part);
	free(mark);
	free(dir);
}

int suite_small(void)
{
	static const struct {
		const char *name;
		void (*test)(void);
	} suites[] = { { "buf", test_buf },	    { "strvec", test_strvec },
		       { "path", test_path_inside }, { "report", test_report },
		       { "sshopts", test_sshopts }, { "opts", test_opts },
		       { "b64", test_b64 },	    { "inplace", test_inplace } };
	size_t i;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		CU_pSuite s = CU_add_suite(suites[i].name, NULL, NULL);

		if (s == NULL || CU_add_test(s, suites[i].name,
					     suites[i].test) == NULL) {
			return -1;
		}
	}
	return 0;
}
