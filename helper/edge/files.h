/*
 * files: the controller's own files, read and replaced in one place (the
 * config files, the ssh config and known_hosts, a project's conftest).
 *
 * Reading takes the whole file up to a cap and says when it is larger:
 * nothing is cut silently.  Replacing (pytest-cloud init) never writes
 * through a link and never loses a change made meanwhile:
 *
 *   1. the file must still be the one that was read: a regular file (not
 *      a symbolic link), with exactly the text read (or still absent);
 *   2. the new text goes to a temporary file of a random name in the same
 *      folder, opened O_CREAT|O_EXCL|O_NOFOLLOW (a planted link or file
 *      of that name is never followed or reused), with the old file's
 *      mode and owner;
 *   3. just before the rename the old file is read again: changed since
 *      it was read, the temporary file goes and nothing is replaced;
 *   4. rename(2) over it (a new file: renameat2 RENAME_NOREPLACE, so a
 *      file that appeared meanwhile is kept), then the folder is synced.
 */
#ifndef PYTEST_CLOUD_FILES_H
#define PYTEST_CLOUD_FILES_H

#include <stddef.h>

enum {
	FILES_TEXT = 1,    /* refuse a NUL byte: it is a text file */
	FILES_NOFOLLOW = 2 /* refuse a symbolic link (lstat) */
};

/*
 * The whole file at path, NUL-terminated, its length in *len (may be
 * NULL); or NULL with err ("PATH: cannot read: why", "PATH: larger than
 * N bytes", "PATH: contains a NUL byte", "PATH: is a symbolic link").  A
 * missing file leaves errno ENOENT.
 */
char *files_read(const char *path, size_t max, int flags, size_t *len,
		 char *err, size_t errlen);

/*
 * Replaces the file at path with text as above.  expected is the text it
 * was read with, NULL when it did not exist.  Returns 0, or -1 with err
 * ("PATH: changed since it was read: ...", "PATH: is a symbolic link",
 * "PATH: cannot keep its owner ...") and nothing replaced.
 */
int files_replace(const char *path, const char *expected, const char *text,
		  char *err, size_t errlen);

#endif
