/* files: reading and replacing the controller's files (see files.h). */
#define _GNU_SOURCE
#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads all of fd, up to max bytes (one more says it is larger).
 * Returns the bytes read, or -1 (errno). */
static ssize_t read_all(int fd, char *buf, size_t max)
{
	size_t n = 0;

	while (n <= max) {
		ssize_t r = read(fd, buf + n, max + 1 - n);

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			return -1;
		}
		if (r == 0) {
			break;
		}
		n += (size_t)r;
	}
	return (ssize_t)n;
}

char *files_read(const char *path, size_t max, int flags, size_t *len,
		 char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC |
				    ((flags & FILES_NOFOLLOW) ? O_NOFOLLOW : 0));
	char *buf = NULL;
	ssize_t n;
	int saved;

	if (fd < 0) {
		saved = errno;
		if (saved == ELOOP && (flags & FILES_NOFOLLOW)) {
			snprintf(err, errlen, "%s: is a symbolic link", path);
		} else {
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(saved));
		}
		errno = saved;
		return NULL;
	}
	buf = malloc(max + 2);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	n = read_all(fd, buf, max);
	if (n < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(errno));
		goto fail;
	}
	if ((size_t)n > max) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		goto fail;
	}
	if ((flags & FILES_TEXT) && memchr(buf, '\0', (size_t)n) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto fail;
	}
	buf[n] = '\0';
	if (len != NULL) {
		*len = (size_t)n;
	}
	close(fd);
	return buf;
fail:
	free(buf);
	close(fd);
	errno = 0;
	return NULL;
}

/* Whether path, read again without following a link, holds exactly
 * expected (and is the file of inode ino). */
static int unchanged(const char *path, const char *expected, ino_t ino)
{
	size_t len = strlen(expected);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf = malloc(len + 2);
	struct stat st;
	ssize_t n = -1;

	if (fd >= 0 && buf != NULL && fstat(fd, &st) == 0 &&
	    st.st_ino == ino) {
		n = read_all(fd, buf, len);
	}
	if (fd >= 0) {
		close(fd);
	}
	n = n == (ssize_t)len && memcmp(buf, expected, len) == 0;
	free(buf);
	return (int)n;
}

/* A new file of a random name beside path; its fd, its name in *tmp. */
static int open_temporary(const char *path, char **tmp)
{
	const char *slash = strrchr(path, '/');
	int tries;

	for (tries = 0; tries < 16; tries++) {
		unsigned char r[6];
		char hex[13];
		size_t i;
		int fd;

		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
			return -1;
		}
		for (i = 0; i < sizeof(r); i++) {
			snprintf(hex + 2 * i, 3, "%02x", r[i]);
		}
		if (asprintf(tmp, "%.*s.%s.pytest-cloud-%s",
			     slash ? (int)(slash - path + 1) : 0, path,
			     slash ? slash + 1 : path, hex) < 0) {
			*tmp = NULL;
			return -1;
		}
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
					O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST) {
			return fd;
		}
		free(*tmp);
		*tmp = NULL;
	}
	errno = EEXIST;
	return -1;
}

/* The old file's mode and owner on fd (a new file: 0666 less the
 * umask).  Returns 0, or -1 with err. */
static int keep_mode_and_owner(int fd, const char *path,
			       const struct stat *old, char *err,
			       size_t errlen)
{
	mode_t mode;

	if (old == NULL) {
		mode_t mask = umask(022);

		umask(mask);
		mode = 0666 & ~mask;
	} else {
		mode = old->st_mode & 07777;
		if ((old->st_uid != geteuid() || old->st_gid != getegid()) &&
		    fchown(fd, old->st_uid, old->st_gid) < 0) {
			snprintf(err, errlen, "%s: cannot keep its owner "
				 "(uid %ld, gid %ld): %s", path,
				 (long)old->st_uid, (long)old->st_gid,
				 strerror(errno));
			return -1;
		}
	}
	if (fchmod(fd, mode) < 0) {
		snprintf(err, errlen, "%s: cannot keep its mode %o: %s", path,
			 (unsigned)mode, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_all(int fd, const char *text)
{
	size_t len = strlen(text);
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return -1;
		}
		done += (size_t)w;
	}
	return fsync(fd);
}

/* The file at path as it must be now: *exists and st filled.  Returns 0,
 * or -1 with err when it is not the file that was read. */
static int still_as_read(const char *path, const char *expected,
			 struct stat *st, int *exists, char *err,
			 size_t errlen)
{
	*exists = lstat(path, st) == 0;
	if (!*exists && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (*exists && S_ISLNK(st->st_mode)) {
		snprintf(err, errlen, "%s: is a symbolic link", path);
		return -1;
	}
	if (*exists && !S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: is not a regular file", path);
		return -1;
	}
	if (*exists != (expected != NULL)) {
		snprintf(err, errlen, "%s: changed since it was read: it was "
			 "%s", path, *exists ? "made" : "removed");
		return -1;
	}
	return 0;
}

/* Moves tmp over path (a new file: never over one that appeared). */
static int put_in_place(const char *tmp, const char *path, int exists)
{
	if (exists) {
		return rename(tmp, path);
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0) {
		return 0;
	}
	if (errno != EINVAL && errno != ENOSYS) {
		return -1;
	}
	/* a file system without RENAME_NOREPLACE: link(2) does not replace */
	if (link(tmp, path) < 0) {
		return -1;
	}
	unlink(tmp);
	return 0;
}

/* fsync of the folder that holds path (the rename is durable). */
static void sync_folder(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	int fd = dir ? open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY |
						       O_CLOEXEC)
		     : -1;

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int files_replace(const char *path, const char *expected, const char *text,
		  char *err, size_t errlen)
{
	struct stat st;
	char *tmp = NULL;
	int exists;
	int fd = -1;
	int rc = -1;

	if (still_as_read(path, expected, &st, &exists, err, errlen) < 0) {
		return -1;
	}
	if (exists && !unchanged(path, expected, st.st_ino)) {
		snprintf(err, errlen, "%s: changed since it was read", path);
		return -1;
	}
	fd = open_temporary(path, &tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot make a file beside it: %s",
			 path, strerror(errno));
		goto out;
	}
	if (keep_mode_and_owner(fd, path, exists ? &st : NULL, err,
				errlen) < 0) {
		goto out;
	}
	if (write_all(fd, text) < 0) {
		snprintf(err, errlen, "%s: cannot write '%s': %s", path, tmp,
			 strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		snprintf(err, errlen, "%s: cannot write '%s': %s", path, tmp,
			 strerror(errno));
		goto out;
	}
	fd = -1;
	/* the last look: a change made while the new text was written */
	if (still_as_read(path, expected, &(struct stat){ 0 }, &exists, err,
			  errlen) < 0) {
		goto out;
	}
	if (exists && !unchanged(path, expected, st.st_ino)) {
		snprintf(err, errlen, "%s: changed since it was read", path);
		goto out;
	}
	if (put_in_place(tmp, path, exists) < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 errno == EEXIST ? "changed since it was read: it was "
					   "made"
					 : strerror(errno));
		goto out;
	}
	sync_folder(path);
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
	}
	if (rc < 0 && tmp != NULL) {
		unlink(tmp);
	}
	free(tmp);
	return rc;
}
