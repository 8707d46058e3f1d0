/*
 * claim: keeps every write of the run inside CHDIR, and CHDIR inside the
 * login's home on the node.
 *
 * rsync --delete empties whatever folder CHDIR names on the node.  A
 * CHDIR that is a symbolic link (say to "." or to /srv/data), or whose
 * real path leaves the home through a linked parent, would make it empty
 * a folder that is not ours.  So the node checks, in its own shell:
 *
 *   CHDIR is a symbolic link                       -> "chdir symlink"
 *   CHDIR exists and is not a folder               -> "chdir notdir"
 *   CHDIR, or its nearest existing parent, has a
 *   real path (pwd -P) outside the login's home,
 *   or CHDIR's real path is the home itself        -> "chdir outside REAL"
 *   CHDIR is a folder the login may not write      -> "chdir readonly"
 *   CHDIR is a folder                              -> "chdir dir"
 *   CHDIR does not exist (its parent is safe)      -> "chdir absent"
 *
 * The probe runs the check and writes nothing.  Before the copy, the claim
 * command runs it again, creates CHDIR with its parents (rsync creates
 * only the last component), and checks once more: it prints the final
 * state, which must be "chdir dir" for the copy to go ahead.  Pure: builds
 * shell text (every value through shquote) and reads its output.
 */
#ifndef PYTEST_CLOUD_CLAIM_H
#define PYTEST_CLOUD_CLAIM_H

#include <stddef.h>

enum chdir_state {
	CHDIR_UNKNOWN = 0, /* the node did not say */
	CHDIR_ABSENT,
	CHDIR_DIR,
	CHDIR_NOTDIR,
	CHDIR_READONLY,
	CHDIR_SYMLINK,
	CHDIR_OUTSIDE
};

/* The shell function "cloud_chk DIR", which prints one "chdir ..." line
 * as above.  Static storage. */
const char *claim_check_function(void);

/*
 * The claim command for chdir ("exec /bin/sh -c '...'"), newly
 * allocated; NULL when out of memory.  It prints the final "chdir ..."
 * line; it exits 0 unless mkdir failed (its stderr says why).
 */
char *claim_command(const char *chdir);

/*
 * Reads the last "chdir ..." line of text.  Returns its state
 * (CHDIR_UNKNOWN when there is none); for CHDIR_OUTSIDE the real path,
 * cut to fit, goes to real (always NUL-terminated when reallen > 0).
 */
enum chdir_state claim_parse(const char *text, char *real, size_t reallen);

/*
 * Why a node whose CHDIR is in state s cannot receive the project, in
 * buf; NULL when s lets the copy go ahead (dir, absent).  chdir is the
 * option's value, real what claim_parse gave for CHDIR_OUTSIDE.
 */
const char *claim_refusal(enum chdir_state s, const char *chdir,
			  const char *real, char *buf, size_t len);

#endif
