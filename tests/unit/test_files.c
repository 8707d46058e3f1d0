/* files: reading with a cap, and replacing safely, on a scratch folder
 * that holds the links and the races a hostile repository may bring. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "suites.h"

static char dir[] = "/tmp/pytest-cloud-files.XXXXXX";

static char *at(const char *name)
{
	static char path[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
	return path[k];
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* What the file holds now (owned), or NULL. */
static char *get(const char *name)
{
	char err[200];

	return files_read(at(name), 1 << 20, 0, NULL, err, sizeof(err));
}

static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	}
	if (d != NULL) {
		closedir(d);
	}
	return n;
}

static int setup(void)
{
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_read(void)
{
	char err[300];
	size_t len = 0;
	char *t;

	put("a", "hello\n");
	t = files_read(at("a"), 6, FILES_TEXT, &len, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(t, "hello\n");
	CU_ASSERT_EQUAL(len, 6);
	free(t);
	/* one byte over the cap: said, not cut */
	CU_ASSERT_PTR_NULL(files_read(at("a"), 5, 0, &len, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "larger than 5 bytes"));
	CU_ASSERT_PTR_NULL(files_read(at("none"), 5, 0, NULL, err,
				      sizeof(err)));
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ": cannot read: No such file"));
	CU_ASSERT_EQUAL(symlink("a", at("link")), 0);
	t = files_read(at("link"), 100, 0, NULL, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(t, "hello\n");
	free(t);
	CU_ASSERT_PTR_NULL(files_read(at("link"), 100, FILES_NOFOLLOW, NULL,
				      err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ": is a symbolic link"));
	CU_ASSERT_NOT_EQUAL(errno, ENOENT);
	{
		int fd = open(at("nul"), O_WRONLY | O_CREAT, 0644);

		CU_ASSERT_EQUAL(write(fd, "a\0b", 3), 3);
		close(fd);
	}
	CU_ASSERT_PTR_NULL(files_read(at("nul"), 100, FILES_TEXT, NULL, err,
				      sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "contains a NUL byte"));
	t = files_read(at("nul"), 100, 0, &len, err, sizeof(err));
	CU_ASSERT_EQUAL(len, 3);
	free(t);
}

static void test_replace(void)
{
	char err[400];
	struct stat st;
	char *t;
	int before;

	put("cfg", "old\n");
	CU_ASSERT_EQUAL(chmod(at("cfg"), 0640), 0);
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(chown(at("cfg"), 1234, 4321), 0);
	}
	before = entries();
	CU_ASSERT_EQUAL(files_replace(at("cfg"), "old\n", "new\n", err,
				      sizeof(err)), 0);
	t = get("cfg");
	CU_ASSERT_STRING_EQUAL(t, "new\n");
	free(t);
	CU_ASSERT_EQUAL(stat(at("cfg"), &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(st.st_uid, 1234);
		CU_ASSERT_EQUAL(st.st_gid, 4321);
	}
	CU_ASSERT_EQUAL(entries(), before); /* no file left beside it */

	/* changed since it was read: nothing replaced */
	CU_ASSERT_EQUAL(files_replace(at("cfg"), "old\n", "newer\n", err,
				      sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "changed since it was read"));
	t = get("cfg");
	CU_ASSERT_STRING_EQUAL(t, "new\n");
	free(t);
	CU_ASSERT_EQUAL(entries(), before);

	/* a new file, and one that appeared since */
	CU_ASSERT_EQUAL(files_replace(at("fresh"), NULL, "x\n", err,
				      sizeof(err)), 0);
	t = get("fresh");
	CU_ASSERT_STRING_EQUAL(t, "x\n");
	free(t);
	CU_ASSERT_EQUAL(files_replace(at("fresh"), NULL, "y\n", err,
				      sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "it was made"));
	CU_ASSERT_EQUAL(files_replace(at("gone"), "was here\n", "y\n", err,
				      sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "it was removed"));
	CU_ASSERT_NOT_EQUAL(access(at("gone"), F_OK), 0);
}

/* Links a hostile repository plants: the target is a link (refused,
 * the file it points to untouched), or a link stands where the old fixed
 * temporary name was (never followed). */
static void test_replace_never_follows_links(void)
{
	char err[400];
	char *t;

	put("victim", "secret\n");
	CU_ASSERT_EQUAL(symlink("victim", at("pytest.ini")), 0);
	CU_ASSERT_EQUAL(files_replace(at("pytest.ini"), "secret\n", "[x]\n",
				      err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is a symbolic link"));
	t = get("victim");
	CU_ASSERT_STRING_EQUAL(t, "secret\n");
	free(t);
	CU_ASSERT_EQUAL(symlink("victim", at("setup.cfg.pytest-cloud-init")),
			0);
	put("setup.cfg", "[a]\n");
	CU_ASSERT_EQUAL(files_replace(at("setup.cfg"), "[a]\n", "[b]\n", err,
				      sizeof(err)), 0);
	t = get("victim");
	CU_ASSERT_STRING_EQUAL(t, "secret\n");
	free(t);
	t = get("setup.cfg");
	CU_ASSERT_STRING_EQUAL(t, "[b]\n");
	free(t);
	/* a folder where the file should be */
	CU_ASSERT_EQUAL(mkdir(at("tox.ini"), 0755), 0);
	CU_ASSERT_EQUAL(files_replace(at("tox.ini"), "", "[b]\n", err,
				      sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not a regular file"));
}

int suite_files(void)
{
	CU_pSuite s = CU_add_suite("files", setup, teardown);

	return (s && CU_add_test(s, "read", test_read) &&
		CU_add_test(s, "replace", test_replace) &&
		CU_add_test(s, "links", test_replace_never_follows_links))
		       ? 0
		       : -1;
}
