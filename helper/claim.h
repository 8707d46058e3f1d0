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
 * command runs it again and, when it allows, locks CHDIR for this run,
 * checks once more under the lock and makes CHDIR with its parents (rsync
 * makes only the last part).  It prints one line per event:
 *
 *   chdir STATE [REAL]   CHDIR's state (the copy needs "chdir dir")
 *   busy OWNER           another run holds the lock; OWNER is what that
 *                        run wrote in the lock file; the claim waits
 *   lock timeout         still held after the wait
 *   lockfile symlink     the lock file is a link: refused, nothing written
 *   locked               held until the command's stdin ends
 *   unlocked             the node has no flock(1): copied without a lock
 *
 * The lock is flock(1) on PARENT/.NAME.pytest-cloud-lock beside CHDIR,
 * taken by the claim's shell and kept by the "cat" it becomes, which ends
 * when the helper's SSH channel closes: a run that dies frees its lock
 * with its session.  Pure: builds shell text (every value through
 * shquote) and reads its output.
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
 * The claim command for chdir ("exec /bin/sh -c '...'"), newly allocated;
 * NULL when out of memory.  owner is written into the lock file for other
 * runs to show; wait_s is how long to wait for another run's lock (0: not
 * at all).  It exits 1 when it cannot make a folder (its stderr says why).
 */
char *claim_command(const char *chdir, const char *owner, long wait_s);

enum claim_event {
	CLAIM_OTHER = 0, /* a line of no meaning */
	CLAIM_STATE,     /* "chdir ..." */
	CLAIM_BUSY,      /* "busy OWNER" */
	CLAIM_TIMEOUT,   /* "lock timeout" */
	CLAIM_LOCKLINK,  /* "lockfile symlink" */
	CLAIM_LOCKED,    /* "locked" */
	CLAIM_UNLOCKED   /* "unlocked" */
};

/* Reads one line of the claim's output: for CLAIM_STATE the state goes to
 * *state and any real path to text, for CLAIM_BUSY the owner to text. */
enum claim_event claim_line(const char *line, enum chdir_state *state,
			    char *text, size_t textlen);

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
