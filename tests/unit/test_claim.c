/* claim: the CHDIR guard, run by a real sh against a scratch home that
 * holds the links a careless or hostile node may have. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claim.h"
#include "spawn.h"
#include "suites.h"

static char scratch[] = "/tmp/pytest-cloud-claim.XXXXXX";

/* Runs script with HOME set to scratch/home; returns its output (owned)
 * or NULL. */
static char *run_sh(const char *script, int *code)
{
	char *sh = spawn_find_program("sh");
	char *full = NULL;
	char *argv[] = { "sh", "-c", NULL, NULL };
	struct spawn_result res;
	char why[128];
	char *out = NULL;

	if (sh == NULL ||
	    asprintf(&full, "HOME=%s/home; export HOME; cd /; %s", scratch,
		     script) < 0) {
		free(sh);
		return NULL;
	}
	argv[2] = full;
	if (spawn_run(sh, argv, &res, why, sizeof(why)) == 0) {
		*code = res.exited ? res.code : -1;
		out = res.output;
		res.output = NULL;
		spawn_result_release(&res);
	}
	free(full);
	free(sh);
	return out;
}

static int make_scratch(void)
{
	char cmd[1024];
	int code = -1;
	char *out;

	if (mkdtemp(scratch) == NULL) {
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p home/real outside home/ro && "
		 "echo keep > outside/file && chmod 555 home/ro && "
		 "cd home && ln -s . victim && ln -s ../outside away && "
		 "ln -s real lnk && echo x > afile",
		 scratch);
	out = run_sh(cmd, &code);
	free(out);
	return code == 0 ? 0 : -1;
}

static int drop_scratch(void)
{
	char cmd[600];
	int code = -1;
	char *out;

	snprintf(cmd, sizeof(cmd), "chmod -R u+w %s; rm -rf %s", scratch,
		 scratch);
	out = run_sh(cmd, &code);
	free(out);
	return 0;
}

/* The check's verdict for chdir, as the probe would print it. */
static enum chdir_state check(const char *chdir, char *real, size_t len)
{
	char *script = NULL;
	char *out;
	int code = -1;
	enum chdir_state s = CHDIR_UNKNOWN;

	if (asprintf(&script, "%scloud_chk '%s'", claim_check_function(),
		     chdir) < 0) {
		return CHDIR_UNKNOWN;
	}
	out = run_sh(script, &code);
	if (out != NULL && code == 0) {
		s = claim_parse(out, real, len);
	}
	free(out);
	free(script);
	return s;
}

static void test_check_states(void)
{
	static const struct {
		const char *chdir;
		enum chdir_state state;
		const char *real_end; /* for CHDIR_OUTSIDE */
	} rows[] = {
		{ "victim", CHDIR_SYMLINK, NULL },   /* ln -s . victim */
		{ "away", CHDIR_SYMLINK, NULL },     /* link out of home */
		{ "lnk", CHDIR_SYMLINK, NULL },      /* link inside home */
		{ "away/proj", CHDIR_OUTSIDE, "/outside" },
		{ "away/file", CHDIR_NOTDIR, NULL },
		{ "victim/new", CHDIR_ABSENT, NULL }, /* lands in the home */
		{ "lnk/sub", CHDIR_ABSENT, NULL },
		{ "real", CHDIR_DIR, NULL },
		{ "ro", CHDIR_READONLY, NULL }, /* root may write it */
		{ "afile", CHDIR_NOTDIR, NULL },
		{ "afile/below", CHDIR_NOTDIR, NULL },
		{ "new", CHDIR_ABSENT, NULL },
		{ "new/deeper/still", CHDIR_ABSENT, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char real[256] = "";
		enum chdir_state s = check(rows[i].chdir, real, sizeof(real));
		enum chdir_state want = rows[i].state;

		if (want == CHDIR_READONLY && geteuid() == 0) {
			want = CHDIR_DIR;
		}

		if (s != want) {
			fprintf(stderr, "\n%s: state %d\n", rows[i].chdir,
				(int)s);
		}
		CU_ASSERT_EQUAL(s, want);
		if (rows[i].real_end != NULL) {
			size_t n = strlen(real);
			size_t m = strlen(rows[i].real_end);

			CU_ASSERT_TRUE(n >= m &&
				       strcmp(real + n - m,
					      rows[i].real_end) == 0);
		}
	}
}

/* The claim makes a nested CHDIR and refuses links, writing nothing. */
static void test_claim_command(void)
{
	static const struct {
		const char *chdir;
		enum chdir_state state;
	} rows[] = {
		{ "work/proj", CHDIR_DIR },
		{ "work/proj", CHDIR_DIR },   /* a second claim: still fine */
		{ "victim", CHDIR_SYMLINK },
		{ "away/proj", CHDIR_OUTSIDE },
		{ "afile/x", CHDIR_NOTDIR },  /* below a file */
		{ "afile/x/y", CHDIR_NOTDIR },
	};
	size_t i;
	char path[512];
	struct stat st;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *cmd = claim_command(rows[i].chdir);
		char real[256];
		char *out;
		int code = -1;

		CU_ASSERT_PTR_NOT_NULL_FATAL(cmd);
		out = run_sh(cmd, &code);
		CU_ASSERT_PTR_NOT_NULL_FATAL(out);
		CU_ASSERT_EQUAL(claim_parse(out, real, sizeof(real)),
				rows[i].state);
		free(out);
		free(cmd);
	}
	snprintf(path, sizeof(path), "%s/home/work/proj", scratch);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_TRUE(S_ISDIR(st.st_mode));
	snprintf(path, sizeof(path), "%s/outside/proj", scratch);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
}

/* Hostile text in CHDIR stays one word (it is refused as bad input before
 * any node sees it; this checks the quoting underneath). */
static void test_claim_quoting(void)
{
	char *cmd = claim_command("x'; touch canary; '");
	char path[512];
	char *out;
	int code = -1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cmd);
	out = run_sh(cmd, &code);
	free(out);
	free(cmd);
	snprintf(path, sizeof(path), "%s/home/canary", scratch);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/home/x'; touch canary; '", scratch);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
}

static void test_claim_parse_and_refusal(void)
{
	char real[8];
	char buf[300];

	CU_ASSERT_EQUAL(claim_parse("", real, sizeof(real)), CHDIR_UNKNOWN);
	CU_ASSERT_EQUAL(claim_parse("chdir\n", real, sizeof(real)),
			CHDIR_UNKNOWN);
	CU_ASSERT_EQUAL(claim_parse("chdir dirt\n", real, sizeof(real)),
			CHDIR_UNKNOWN);
	/* the last line counts; the real path is cut to fit */
	CU_ASSERT_EQUAL(claim_parse("chdir absent\nchdir outside /a/long/p\n",
				    real, sizeof(real)),
			CHDIR_OUTSIDE);
	CU_ASSERT_STRING_EQUAL(real, "/a/long");
	CU_ASSERT_PTR_NULL(claim_refusal(CHDIR_DIR, "p", NULL, buf,
					 sizeof(buf)));
	CU_ASSERT_PTR_NULL(claim_refusal(CHDIR_ABSENT, "p", NULL, buf,
					 sizeof(buf)));
	CU_ASSERT_PTR_NOT_NULL(strstr(claim_refusal(CHDIR_SYMLINK, "p", NULL,
						    buf, sizeof(buf)),
				      "'p' on the node is a symbolic link"));
	CU_ASSERT_PTR_NOT_NULL(strstr(claim_refusal(CHDIR_OUTSIDE, "p", "/srv",
						    buf, sizeof(buf)),
				      "resolves to '/srv'"));
	CU_ASSERT_PTR_NOT_NULL(claim_refusal(CHDIR_UNKNOWN, "p", NULL, buf,
					     sizeof(buf)));
}

int suite_claim(void)
{
	CU_pSuite s = CU_add_suite("claim", make_scratch, drop_scratch);

	return (s && CU_add_test(s, "check states", test_check_states) &&
		CU_add_test(s, "claim command", test_claim_command) &&
		CU_add_test(s, "quoting", test_claim_quoting) &&
		CU_add_test(s, "parse and refusal",
			    test_claim_parse_and_refusal))
		       ? 0
		       : -1;
}
