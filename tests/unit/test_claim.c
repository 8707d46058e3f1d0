/* claim: the CHDIR guard, run by a real sh against a scratch home that
 * holds the links a careless or hostile node may have. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
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

/* The events of a claim's output, and the state it ended in. */
struct claim_run {
	enum chdir_state state;
	int locked, unlocked, timeout, locklink;
	char busy[200];
};

static void read_claim(const char *out, struct claim_run *c)
{
	const char *p = out;

	memset(c, 0, sizeof(*c));
	while (p != NULL && *p != '\0') {
		char line[400];
		char text[300];
		size_t n = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		switch (claim_line(line, &c->state, text, sizeof(text))) {
		case CLAIM_BUSY:
			snprintf(c->busy, sizeof(c->busy), "%s", text);
			break;
		case CLAIM_TIMEOUT:
			c->timeout = 1;
			break;
		case CLAIM_LOCKLINK:
			c->locklink = 1;
			break;
		case CLAIM_LOCKED:
			c->locked = 1;
			break;
		case CLAIM_UNLOCKED:
			c->unlocked = 1;
			break;
		default:
			break;
		}
		p = p[n] == '\n' ? p + n + 1 : NULL;
	}
}

static int claim(const char *chdir, long wait_s, struct claim_run *c)
{
	char *cmd = claim_command(chdir, "run A", wait_s);
	char *out;
	int code = -1;

	if (cmd == NULL) {
		return -1;
	}
	out = run_sh(cmd, &code);
	free(cmd);
	if (out == NULL) {
		return -1;
	}
	read_claim(out, c);
	free(out);
	return code;
}

/* The claim makes a nested CHDIR under its lock, and refuses links,
 * writing nothing. */
static void test_claim_command(void)
{
	static const struct {
		const char *chdir;
		enum chdir_state state;
		int locked;
	} rows[] = {
		{ "work/proj", CHDIR_DIR, 1 },
		{ "work/proj", CHDIR_DIR, 1 },   /* a second claim: still fine */
		{ "victim", CHDIR_SYMLINK, 0 },
		{ "away/proj", CHDIR_OUTSIDE, 0 },
		{ "afile/x", CHDIR_NOTDIR, 0 },  /* below a file */
		{ "afile/x/y", CHDIR_NOTDIR, 0 },
	};
	size_t i;
	char path[512];
	struct stat st;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct claim_run c;

		CU_ASSERT_EQUAL(claim(rows[i].chdir, 1, &c), 0);
		CU_ASSERT_EQUAL(c.state, rows[i].state);
		CU_ASSERT_EQUAL(c.locked, rows[i].locked);
		CU_ASSERT_EQUAL(c.busy[0], '\0');
	}
	snprintf(path, sizeof(path), "%s/home/work/proj", scratch);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_TRUE(S_ISDIR(st.st_mode));
	/* the lock file sits beside CHDIR */
	snprintf(path, sizeof(path), "%s/home/work/.proj.pytest-cloud-lock",
		 scratch);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/outside/proj", scratch);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/outside/.proj.pytest-cloud-lock",
		 scratch);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
}

/* Another run holds the lock: the claim says whose, waits its bound and
 * gives up, making nothing; once the lock is free, the claim takes it. */
static void test_claim_waits_for_a_held_lock(void)
{
	char path[512];
	struct claim_run c;
	int fd;

	snprintf(path, sizeof(path), "%s/home/.held.pytest-cloud-lock", scratch);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "run B on ci7\n", 13), 13);
	CU_ASSERT_EQUAL_FATAL(flock(fd, LOCK_EX), 0);
	CU_ASSERT_EQUAL(claim("held", 1, &c), 0);
	CU_ASSERT_STRING_EQUAL(c.busy, "run B on ci7");
	CU_ASSERT_EQUAL(c.timeout, 1);
	CU_ASSERT_EQUAL(c.locked, 0);
	CU_ASSERT_EQUAL(c.state, CHDIR_UNKNOWN); /* nothing made */
	snprintf(path, sizeof(path), "%s/home/held", scratch);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	/* no wait at all */
	CU_ASSERT_EQUAL(claim("held", 0, &c), 0);
	CU_ASSERT_EQUAL(c.timeout, 1);
	close(fd);
	CU_ASSERT_EQUAL(claim("held", 1, &c), 0);
	CU_ASSERT_EQUAL(c.locked, 1);
	CU_ASSERT_EQUAL(c.state, CHDIR_DIR);
}

static void test_claim_refuses_a_linked_lock_file(void)
{
	char path[512];
	char target[512];
	struct claim_run c;

	snprintf(target, sizeof(target), "%s/outside/file", scratch);
	snprintf(path, sizeof(path), "%s/home/.linked.pytest-cloud-lock",
		 scratch);
	CU_ASSERT_EQUAL_FATAL(symlink(target, path), 0);
	CU_ASSERT_EQUAL(claim("linked", 1, &c), 0);
	CU_ASSERT_EQUAL(c.locklink, 1);
	CU_ASSERT_EQUAL(c.locked, 0);
}

/* Hostile text in CHDIR stays one word (it is refused as bad input before
 * any node sees it; this checks the quoting underneath). */
static void test_claim_quoting(void)
{
	struct claim_run c;
	char path[512];

	CU_ASSERT_EQUAL(claim("x'; touch canary; '", 1, &c), 0);
	snprintf(path, sizeof(path), "%s/home/canary", scratch);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/home/x'; touch canary; '", scratch);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
}

static void test_claim_parse_and_refusal(void)
{
	enum chdir_state st = CHDIR_UNKNOWN;
	char real[8];
	char buf[300];

	CU_ASSERT_EQUAL(claim_parse("", real, sizeof(real)), CHDIR_UNKNOWN);
	CU_ASSERT_EQUAL(claim_parse("chdir\n", real, sizeof(real)),
			CHDIR_UNKNOWN);
	CU_ASSERT_EQUAL(claim_line("busy", &st, real, sizeof(real)),
			CLAIM_BUSY);
	CU_ASSERT_STRING_EQUAL(real, "");
	CU_ASSERT_EQUAL(claim_line("lockedx", &st, real, sizeof(real)),
			CLAIM_OTHER);
	CU_ASSERT_EQUAL(claim_line("chdir outside /x", &st, real,
				   sizeof(real)),
			CLAIM_STATE);
	CU_ASSERT_EQUAL(st, CHDIR_OUTSIDE);
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
		CU_add_test(s, "held lock", test_claim_waits_for_a_held_lock) &&
		CU_add_test(s, "linked lock file",
			    test_claim_refuses_a_linked_lock_file) &&
		CU_add_test(s, "quoting", test_claim_quoting) &&
		CU_add_test(s, "parse and refusal",
			    test_claim_parse_and_refusal))
		       ? 0
		       : -1;
}
