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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "spawn.h"
#include "suites.h"

static char scratch[] = "/tmp/pytest-cloud-claim.XXXXXX";

/* Markers as the shell writes them (claim_marker), in printf form. */
#define MARKER_US "# pytest-cloud: a copy of the project below; its runs " \
	"replace everything in this folder\\nroot /p/us\\nhost ctl"
#define MARKER_THEM "# pytest-cloud: a copy of the project below; its runs " \
	"replace everything in this folder\\nroot /p/them\\nhost ci7"

/* Runs script with HOME set to scratch/home; returns its output (owned)
 * or NULL. */
static char *run_sh(const char *script, int *code)
{
	return unit_sh(scratch, NULL, script, code);
}

/* Writes text as the whole file at path; 0, or -1. */
static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL) {
		return -1;
	}
	rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) == 0 ? rc : -1;
}

/* 1 when the file at path holds exactly text. */
static int file_is(const char *path, const char *text)
{
	char buf[1024];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		return 0;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strcmp(buf, text) == 0;
}

static int make_scratch(void)
{
	char cmd[4096];
	int code = -1;
	char *out;

	if (mkdtemp(scratch) == NULL) {
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p home/real outside home/ro && "
		 "echo keep > outside/file && chmod 555 home/ro && "
		 "cd home && ln -s . victim && ln -s ../outside away && "
		 "ln -s real lnk && echo x > afile && "
		 /* whose: a user's folder, an empty one, ours, another
		  * project's, an earlier release's, nested copies */
		 "mkdir -p thesis/ch1 empty mine theirs oldrun outer/x stale "
		 "holder/deep/proj badm && echo tex > thesis/ch1/a.tex && "
		 "printf '" MARKER_US "\n' > mine/" CLAIM_MARKER " && "
		 "echo data > mine/f && "
		 "printf '" MARKER_THEM "\n' > theirs/" CLAIM_MARKER " && "
		 "echo data > theirs/f && "
		 "echo old > oldrun/f && "
		 "echo 'pytest-cloud pid 7 by me on ci since x' > "
		 ".oldrun.pytest-cloud-lock && "
		 /* an earlier release's, not used for a long time */
		 "echo mine > stale/f && "
		 "echo 'pytest-cloud pid 8 by me on ci since x' > "
		 ".stale.pytest-cloud-lock && "
		 "touch -d '100 days ago' .stale.pytest-cloud-lock && "
		 "printf '" MARKER_THEM "\n' > outer/" CLAIM_MARKER " && "
		 "printf '" MARKER_THEM "\n' > holder/deep/proj/" CLAIM_MARKER
		 " && echo x > holder/deep/proj/f && "
		 "ln -s ../afile badm/" CLAIM_MARKER,
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

/* This project's marker in the scratch home (see make_scratch). */
static char *marker_us(void)
{
	return claim_marker("/p/us", "ctl");
}

/* The checks' verdict on chdir, as the probe prints it. */
static void check_facts(const char *chdir, struct chdir_facts *f)
{
	char *marker = marker_us();
	char *script = marker ? claim_probe_checks(chdir, marker) : NULL;
	char *out = script ? run_sh(script, &(int){ 0 }) : NULL;

	claim_parse(out ? out : "", f);
	free(out);
	free(script);
	free(marker);
}

static enum chdir_state check(const char *chdir, char *real, size_t len)
{
	struct chdir_facts f;

	check_facts(chdir, &f);
	snprintf(real, len, "%s", f.real);
	return f.state;
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

/* Whose each folder is, as the probe says (the claim says the same). */
static void test_owner_verdicts(void)
{
	static const struct {
		const char *chdir;
		enum chdir_owner owner;
		const char *where;
		const char *marker_has;
	} rows[] = {
		{ "new", OWNER_NONE, "", "" },
		{ "new/deeper", OWNER_NONE, "", "" },
		{ "mine", OWNER_OURS, "", "" },
		{ "empty", OWNER_EMPTY, "", "" },
		{ "theirs", OWNER_OTHER, "", "root /p/them\thost ci7" },
		{ "thesis", OWNER_FOREIGN, "", "" },
		{ "real", OWNER_EMPTY, "", "" },
		{ "oldrun", OWNER_EARLIER, "", "" },
		{ "stale", OWNER_STALE, "", "" },
		{ "outer/x", OWNER_INSIDE, "outer", "root /p/them" },
		{ "outer/new", OWNER_INSIDE, "outer", "root /p/them" },
		{ "oldrun/sub", OWNER_INSIDE, "oldrun", "" },
		{ "holder", OWNER_CONTAINS, "holder/deep/proj", "root /p/them" },
		{ "badm", OWNER_BADMARKER, "", "" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct chdir_facts f;

		check_facts(rows[i].chdir, &f);
		if (f.owner != rows[i].owner) {
			fprintf(stderr, "\n%s: owner %d\n", rows[i].chdir,
				(int)f.owner);
		}
		CU_ASSERT_EQUAL(f.owner, rows[i].owner);
		CU_ASSERT_STRING_EQUAL(f.where, rows[i].where);
		CU_ASSERT_PTR_NOT_NULL(strstr(f.marker, rows[i].marker_has));
	}
}

/* The events of a claim's output, and the state it ended in. */
struct claim_run {
	struct chdir_facts f;
	int locked, unlocked, timeout, locklink, waits;
	char busy[300];
};

static void read_claim(const char *out, struct claim_run *c)
{
	const char *p = out;

	memset(c, 0, sizeof(*c));
	while (p != NULL && *p != '\0') {
		char line[1200];
		char text[300];
		size_t n = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		switch (claim_line(line, &c->f, text, sizeof(text))) {
		case CLAIM_BUSY:
			snprintf(c->busy, sizeof(c->busy), "%s", text);
			break;
		case CLAIM_WAIT:
			c->waits++;
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
	char *marker = marker_us();
	struct claim_spec spec = { chdir, marker, "run A", "tok", wait_s, 1,
				   0 };
	char *cmd = marker ? claim_command(&spec) : NULL;
	char *out;
	int code = -1;

	free(marker);
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
		CU_ASSERT_EQUAL(c.f.state, rows[i].state);
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
	CU_ASSERT_EQUAL(c.waits, 1); /* a line a second while it waits */
	CU_ASSERT_EQUAL(c.timeout, 1);
	CU_ASSERT_EQUAL(c.locked, 0);
	CU_ASSERT_EQUAL(c.f.state, CHDIR_UNKNOWN); /* nothing made */
	snprintf(path, sizeof(path), "%s/home/held", scratch);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	/* no wait at all */
	CU_ASSERT_EQUAL(claim("held", 0, &c), 0);
	CU_ASSERT_EQUAL(c.timeout, 1);
	CU_ASSERT_EQUAL(c.waits, 0);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	close(fd);
	CU_ASSERT_EQUAL(claim("held", 1, &c), 0);
	CU_ASSERT_EQUAL(c.locked, 1);
	CU_ASSERT_EQUAL(c.f.state, CHDIR_DIR);
	CU_ASSERT_EQUAL(c.f.owner, OWNER_NONE);
	/* the run's owner text is in the lock file now */
	snprintf(path, sizeof(path), "%s/home/.held.pytest-cloud-lock", scratch);
	CU_ASSERT_EQUAL(file_is(path, "run A\n"), 1);
}

/* A folder that is not ours keeps every byte; one that is (empty, made
 * by an earlier release) gets the marker, which the next claim knows. */
static void test_claim_owns_only_its_own(void)
{
	static const struct {
		const char *chdir;
		enum chdir_owner owner;
		int locked;
	} rows[] = {
		{ "thesis", OWNER_FOREIGN, 0 },
		{ "theirs", OWNER_OTHER, 1 }, /* made by pytest-cloud: taken */
		{ "theirs", OWNER_OURS, 1 },
		{ "stale", OWNER_STALE, 0 },
		{ "outer/x", OWNER_INSIDE, 0 },
		{ "holder", OWNER_CONTAINS, 0 },
		{ "badm", OWNER_BADMARKER, 0 },
		{ "empty", OWNER_EMPTY, 1 },
		{ "empty", OWNER_OURS, 1 },
		{ "oldrun", OWNER_EARLIER, 1 },
		{ "oldrun", OWNER_OURS, 1 },
		{ "fresh/one", OWNER_NONE, 1 },
		{ "fresh/one", OWNER_OURS, 1 },
		{ "fresh", OWNER_CONTAINS, 0 }, /* holds fresh/one's copy */
	};
	char path[512];
	char *marker = marker_us();
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct claim_run c;

		CU_ASSERT_EQUAL(claim(rows[i].chdir, 1, &c), 0);
		if (c.f.owner != rows[i].owner) {
			fprintf(stderr, "\n%s: owner %d\n", rows[i].chdir,
				(int)c.f.owner);
		}
		CU_ASSERT_EQUAL(c.f.owner, rows[i].owner);
		CU_ASSERT_EQUAL(c.locked, rows[i].locked);
		snprintf(path, sizeof(path), "%s/home/%s/" CLAIM_MARKER,
			 scratch, rows[i].chdir);
		if (rows[i].locked) {
			char *want = NULL;

			CU_ASSERT_TRUE(asprintf(&want, "%s\n", marker) > 0);
			CU_ASSERT_EQUAL(file_is(path, want), 1);
			free(want);
		}
	}
	/* the user's folder: one file, as it was; no marker, no lock */
	snprintf(path, sizeof(path), "%s/home/thesis/ch1/a.tex", scratch);
	CU_ASSERT_EQUAL(file_is(path, "tex\n"), 1);
	snprintf(path, sizeof(path), "%s/home/thesis/" CLAIM_MARKER, scratch);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/home/.thesis.pytest-cloud-lock",
		 scratch);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/home/outer/.x.pytest-cloud-lock",
		 scratch);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/home/badm/" CLAIM_MARKER, scratch);
	CU_ASSERT_EQUAL(readlink(path, (char[8]){ 0 }, 8), 8); /* ../afile */
	free(marker);
}

/*
 * A claim the helper lets go while it waits (its node shares another's
 * folder, or the deadline passed) closes the channel; once the lock is
 * free, the claim must not take the folder: it writes nothing, neither
 * the lock file's owner text nor CHDIR.  Here the channel is a pipe whose
 * reader goes away after the "busy" line.
 */
static void test_claim_let_go_writes_nothing(void)
{
	char path[512];
	char *marker = marker_us();
	struct claim_spec spec = { "letgo", marker, "run A", "tok", 5, 1, 0 };
	char *cmd = marker ? claim_command(&spec) : NULL;
	char *full = NULL;
	char line[400] = "";
	int out[2];
	int fd;
	int status = 0;
	pid_t pid;
	FILE *from;

	CU_ASSERT_FATAL(cmd != NULL);
	CU_ASSERT_FATAL(asprintf(&full, "HOME=%s/home; export HOME; cd /; %s",
				 scratch, cmd) > 0);
	snprintf(path, sizeof(path), "%s/home/.letgo.pytest-cloud-lock",
		 scratch);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "run B on ci7\n", 13), 13);
	CU_ASSERT_EQUAL_FATAL(flock(fd, LOCK_EX), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(out), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		close(fd);
		dup2(null, 0);
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execl("/bin/sh", "sh", "-c", full, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	from = fdopen(out[0], "r");
	CU_ASSERT_FATAL(from != NULL);
	while (fgets(line, sizeof(line), from) != NULL &&
	       strncmp(line, "busy ", 5) != 0) {
	}
	CU_ASSERT_STRING_EQUAL(line, "busy run B on ci7\n");
	fclose(from);    /* the helper lets the claim go */
	close(fd);       /* and the other run ends */
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_EQUAL(file_is(path, "run B on ci7\n"), 1);
	snprintf(path, sizeof(path), "%s/home/letgo", scratch);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	free(full);
	free(cmd);
	free(marker);
}

/* The claim command full, run by sh with pipes for its stdin (*to) and
 * stdout (*from), read up to its "locked" line; its pid. */
static pid_t start_held_claim(const char *full, FILE **from, FILE **to)
{
	char line[400] = "";
	int in[2];
	int out[2];
	pid_t pid;

	if (pipe(in) < 0 || pipe(out) < 0) {
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execl("/bin/sh", "sh", "-c", full, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*from = fdopen(out[0], "r");
	*to = fdopen(in[1], "w");
	while (*from != NULL && fgets(line, sizeof(line), *from) != NULL &&
	       strcmp(line, "locked\n") != 0) {
	}
	CU_ASSERT_STRING_EQUAL(line, "locked\n");
	return pid;
}

/* A heartbeat line to the claim, and the line it answers. */
static void beat(FILE *to, FILE *from, const char *answer)
{
	char line[400] = "";

	fputs("beat\n", to);
	fflush(to);
	CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof(line), from));
	CU_ASSERT_STRING_EQUAL(line, answer);
}

/*
 * A held claim answers each heartbeat line "alive"; where flock does not
 * keep runs apart, another run's text in the lock file ends it ("taken
 * TEXT"); a text of its own run written through another node does not.
 * Lines that stop for beat_s seconds end it too.
 */
static void test_claim_heartbeat(void)
{
	char path[512];
	char *marker = marker_us();
	char *owner = claim_owner("t0k", 0, "pid 1 by me on ci since now");
	struct claim_spec spec = { "beaten", marker, owner, "t0k", 1, 1, 2 };
	char *cmd = marker && owner ? claim_command(&spec) : NULL;
	char *full = NULL;
	char line[400] = "";
	int status = 0;
	double t0;
	pid_t pid;
	FILE *from = NULL;
	FILE *to = NULL;

	CU_ASSERT_FATAL(cmd != NULL);
	CU_ASSERT_FATAL(asprintf(&full, "HOME=%s/home; export HOME; cd /; %s",
				 scratch, cmd) > 0);
	pid = start_held_claim(full, &from, &to);
	CU_ASSERT_FATAL(pid > 0 && from != NULL && to != NULL);
	beat(to, from, "alive\n");
	/* this run's text through another node (a shared home): still ours */
	snprintf(path, sizeof(path), "%s/home/.beaten.pytest-cloud-lock",
		 scratch);
	CU_ASSERT_EQUAL(write_file(path, "pytest-cloud run t0k node 3 x\n"), 0);
	beat(to, from, "alive\n");
	/* another run's: taken, and the claim ends */
	CU_ASSERT_EQUAL(write_file(path, "pytest-cloud run zzz node 0 y\n"), 0);
	beat(to, from, "taken pytest-cloud run zzz node 0 y\n");
	CU_ASSERT_PTR_NULL(fgets(line, sizeof(line), from));
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	fclose(from);
	fclose(to);
	/* no line for beat_s (2 s): the claim lets the lock go by itself */
	pid = start_held_claim(full, &from, &to);
	CU_ASSERT_FATAL(pid > 0 && from != NULL && to != NULL);
	t0 = (double)time(NULL);
	CU_ASSERT_PTR_NULL(fgets(line, sizeof(line), from));
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE((double)time(NULL) - t0 <= 4);
	fclose(from);
	fclose(to);
	free(full);
	free(cmd);
	free(owner);
	free(marker);
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

/* The refusal for facts f, or NULL. */
static const char *refusal(enum chdir_state st, enum chdir_owner ow,
			   const char *where, const char *marker, char *buf,
			   size_t len)
{
	struct chdir_facts f;

	memset(&f, 0, sizeof(f));
	f.state = st;
	f.owner = ow;
	snprintf(f.where, sizeof(f.where), "%s", where);
	snprintf(f.marker, sizeof(f.marker), "%s", marker);
	snprintf(f.real, sizeof(f.real), "/srv");
	return claim_refusal(&f, "p", buf, len);
}

static void test_claim_parse_and_refusal(void)
{
	struct chdir_facts f;
	char text[8];
	char buf[600];
	static const char them[] = "# pytest-cloud: x\troot /p/them\thost ci7";

	memset(&f, 0, sizeof(f));
	claim_parse("", &f);
	CU_ASSERT_EQUAL(f.state, CHDIR_UNKNOWN);
	CU_ASSERT_EQUAL(f.owner, OWNER_UNKNOWN);
	claim_parse("chdir\n", &f);
	CU_ASSERT_EQUAL(f.state, CHDIR_UNKNOWN);
	CU_ASSERT_EQUAL(claim_line("busy", &f, text, sizeof(text)),
			CLAIM_BUSY);
	CU_ASSERT_STRING_EQUAL(text, "");
	CU_ASSERT_EQUAL(claim_line("lockedx", &f, text, sizeof(text)),
			CLAIM_OTHER);
	CU_ASSERT_EQUAL(claim_line("waiting", &f, text, sizeof(text)),
			CLAIM_OTHER);
	CU_ASSERT_EQUAL(claim_line("chdir outside /x", &f, text,
				   sizeof(text)),
			CLAIM_STATE);
	CU_ASSERT_EQUAL(f.state, CHDIR_OUTSIDE);
	CU_ASSERT_EQUAL(claim_line("owner inside a b\tM x", &f, text,
				   sizeof(text)),
			CLAIM_OWNER);
	CU_ASSERT_EQUAL(f.owner, OWNER_INSIDE);
	CU_ASSERT_STRING_EQUAL(f.where, "a b");
	CU_ASSERT_STRING_EQUAL(f.marker, "M x");
	CU_ASSERT_EQUAL(claim_line("owner oursx", &f, text, sizeof(text)),
			CLAIM_OWNER);
	CU_ASSERT_EQUAL(f.owner, OWNER_UNKNOWN);
	claim_parse("chdir dirt\n", &f);
	CU_ASSERT_EQUAL(f.state, CHDIR_UNKNOWN);
	/* the last lines count */
	claim_parse("chdir absent\nowner none\nchdir outside /a/long/p\n"
		    "owner other # x\troot /r\thost h\n", &f);
	CU_ASSERT_EQUAL(f.state, CHDIR_OUTSIDE);
	CU_ASSERT_STRING_EQUAL(f.real, "/a/long/p");
	CU_ASSERT_EQUAL(f.owner, OWNER_OTHER);
	CU_ASSERT_STRING_EQUAL(f.marker, "# x\troot /r\thost h");

	/* the copy goes ahead only into a folder of ours */
	CU_ASSERT_PTR_NULL(refusal(CHDIR_DIR, OWNER_OURS, "", "", buf,
				   sizeof(buf)));
	CU_ASSERT_PTR_NULL(refusal(CHDIR_ABSENT, OWNER_NONE, "", "", buf,
				   sizeof(buf)));
	CU_ASSERT_PTR_NULL(refusal(CHDIR_DIR, OWNER_EMPTY, "", "", buf,
				   sizeof(buf)));
	CU_ASSERT_PTR_NULL(refusal(CHDIR_DIR, OWNER_EARLIER, "", "", buf,
				   sizeof(buf)));
	CU_ASSERT_PTR_NOT_NULL(strstr(refusal(CHDIR_SYMLINK, OWNER_OURS, "",
					      "", buf, sizeof(buf)),
				      "'p' on the node is a symbolic link"));
	CU_ASSERT_PTR_NOT_NULL(strstr(refusal(CHDIR_OUTSIDE, OWNER_NONE, "",
					      "", buf, sizeof(buf)),
				      "resolves to '/srv'"));
	CU_ASSERT_PTR_NOT_NULL(refusal(CHDIR_UNKNOWN, OWNER_NONE, "", "", buf,
				       sizeof(buf)));
	CU_ASSERT_PTR_NOT_NULL(strstr(refusal(CHDIR_DIR, OWNER_UNKNOWN, "", "",
					      buf, sizeof(buf)),
				      "did not say whose 'p' is"));
	/* another project's or host's copy is made again */
	CU_ASSERT_PTR_NULL(refusal(CHDIR_DIR, OWNER_OTHER, "", them, buf,
				   sizeof(buf)));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		refusal(CHDIR_DIR, OWNER_STALE, "", "", buf, sizeof(buf)),
		"'p' on the node was last used by an earlier pytest-cloud "
		"release (0.2) over 90 days ago"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		refusal(CHDIR_DIR, OWNER_FOREIGN, "", "", buf, sizeof(buf)),
		"pytest-cloud did not make"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		refusal(CHDIR_DIR, OWNER_CONTAINS, "p/q", them, buf,
			sizeof(buf)),
		"'p' on the node contains 'p/q', the copy of project '/p/them' "
		"from host 'ci7'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		refusal(CHDIR_ABSENT, OWNER_INSIDE, "w", "", buf, sizeof(buf)),
		"is inside 'w', a folder of an earlier pytest-cloud release"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		refusal(CHDIR_DIR, OWNER_BADMARKER, "", "", buf, sizeof(buf)),
		"link or not a regular file"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
		refusal(CHDIR_DIR, OWNER_INSIDE, "w", "odd\ttext", buf,
			sizeof(buf)),
		"a folder whose marker reads 'odd\ttext'"));
}

/* Lock file texts: this run's (through which node), another's. */
static void test_owner_text(void)
{
	char *t = claim_owner("abc123", 4, "pid 9 by me on ctl since now");
	char shown[100];
	size_t node = 99;

	CU_ASSERT_STRING_EQUAL(t, "pytest-cloud run abc123 node 4 pid 9 by me "
			       "on ctl since now");
	CU_ASSERT_EQUAL(claim_owner_parse(t, "abc123", &node, shown,
					  sizeof(shown)), 1);
	CU_ASSERT_EQUAL(node, 4);
	CU_ASSERT_STRING_EQUAL(shown, "pytest-cloud pid 9 by me on ctl since "
			       "now");
	node = 99;
	CU_ASSERT_EQUAL(claim_owner_parse(t, "abc12", &node, shown,
					  sizeof(shown)), 0);
	CU_ASSERT_EQUAL(claim_owner_parse(t, "abc1234", &node, shown,
					  sizeof(shown)), 0);
	CU_ASSERT_EQUAL(node, 99);
	CU_ASSERT_STRING_EQUAL(shown, "pytest-cloud pid 9 by me on ctl since "
			       "now");
	CU_ASSERT_EQUAL(claim_owner_parse("pytest-cloud pid 7 by x", "abc123",
					  &node, shown, sizeof(shown)), 0);
	CU_ASSERT_STRING_EQUAL(shown, "pytest-cloud pid 7 by x");
	CU_ASSERT_EQUAL(claim_owner_parse("pytest-cloud run abc123 node x",
					  "abc123", &node, shown,
					  sizeof(shown)), 0);
	CU_ASSERT_EQUAL(claim_owner_parse("pytest-cloud run abc123 node 3x",
					  "abc123", &node, shown,
					  sizeof(shown)), 0);
	CU_ASSERT_EQUAL(claim_owner_parse("pytest-cloud run abc123 node 3",
					  "abc123", &node, shown,
					  sizeof(shown)), 1);
	CU_ASSERT_EQUAL(node, 3);
	free(t);
}

/* The order a waiting run takes its locks in: host, then port; a total
 * order, the same whichever side is asked. */
static void test_claim_order(void)
{
	static const struct {
		const char *ha;
		int pa;
		const char *hb;
		int pb;
		int sign;
	} rows[] = {
		{ "10.0.0.1", 22, "10.0.0.2", 22, -1 },
		{ "10.0.0.10", 22, "10.0.0.2", 22, -1 }, /* bytes, not numbers */
		{ "node1", 2222, "node1", 22, 1 },
		{ "node1", 22, "node1", 22, 0 },
		{ "b", 1, "a", 65535, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int c = claim_order(rows[i].ha, rows[i].pa, rows[i].hb,
				    rows[i].pb);
		int back = claim_order(rows[i].hb, rows[i].pb, rows[i].ha,
				       rows[i].pa);

		CU_ASSERT_EQUAL((c > 0) - (c < 0), rows[i].sign);
		CU_ASSERT_EQUAL((back > 0) - (back < 0), -rows[i].sign);
	}
}

int suite_claim(void)
{
	CU_pSuite s = CU_add_suite("claim", make_scratch, drop_scratch);

	return (s && CU_add_test(s, "check states", test_check_states) &&
		CU_add_test(s, "order", test_claim_order) &&
		CU_add_test(s, "owner verdicts", test_owner_verdicts) &&
		CU_add_test(s, "claim command", test_claim_command) &&
		CU_add_test(s, "owns only its own", test_claim_owns_only_its_own) &&
		CU_add_test(s, "owner text", test_owner_text) &&
		CU_add_test(s, "held lock", test_claim_waits_for_a_held_lock) &&
		CU_add_test(s, "let go while waiting",
			    test_claim_let_go_writes_nothing) &&
		CU_add_test(s, "linked lock file",
			    test_claim_refuses_a_linked_lock_file) &&
		CU_add_test(s, "quoting", test_claim_quoting) &&
		CU_add_test(s, "heartbeat", test_claim_heartbeat) &&
		CU_add_test(s, "parse and refusal",
			    test_claim_parse_and_refusal))
		       ? 0
		       : -1;
}
