/*
 * claim: keeps every write of the run inside CHDIR, CHDIR inside the
 * login's home on the node, and rsync --delete out of any folder that
 * pytest-cloud did not make.
 *
 * Where CHDIR may be: rsync --delete empties whatever folder CHDIR names.
 * A CHDIR that is a symbolic link (say to "." or to /srv/data), or whose
 * real path leaves the home through a linked parent, would make it empty a
 * folder that is not ours.  So the node checks, in its own shell
 * (cloud_chk), and prints one line:
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
 * Whose CHDIR is: a folder is ours only if we made it.  The first copy
 * leaves a marker, CHDIR/.pytest-cloud-project, naming the project (its
 * root path and the controller's host: claim_marker).  The node checks
 * (cloud_own) and prints one line:
 *
 *   an ancestor of CHDIR (below the home) holds a
 *   marker, or is an earlier release's folder      -> "owner inside A\tM"
 *   CHDIR does not exist                           -> "owner none"
 *   the marker is a link or not a regular file     -> "owner badmarker"
 *   the marker is this project's                   -> "owner ours"
 *   the marker is another project's                -> "owner other M"
 *   CHDIR is an empty folder                       -> "owner empty"
 *   no marker, but the lock file of an earlier
 *   release (0.2 and before) is beside it,
 *   written in the last CLAIM_EARLIER_DAYS days     -> "owner earlier"
 *   the same, older                                -> "owner stale"
 *   no marker, another project's copy inside it    -> "owner contains P\tM"
 *   no marker, not empty                           -> "owner foreign"
 *
 * (M: the other marker's text, newlines made tabs; "" for an earlier
 * release's folder.)  The copy may go ahead only for none, ours, other,
 * empty and earlier.  A marker says pytest-cloud made the folder: it is
 * a copy that can be made again, whichever project and host made it, so
 * "other" is replaced under the lock (the helper says so); the lock is
 * what keeps two runs apart.  "earlier" is the migration rule: a folder
 * an earlier release locked was already emptied by its --delete; after
 * CLAIM_EARLIER_DAYS without such a run, the folder may have become
 * someone's, and it is refused as any folder without a marker.
 *
 * The probe runs both checks and writes nothing.  Before the copy, the
 * claim command runs them again; when they allow, it locks CHDIR for this
 * run, checks once more under the lock (and under a brief lock of the
 * whole home, .pytest-cloud.lock, so that two claims whose CHDIRs nest
 * cannot both pass), makes CHDIR with its parents and writes the marker.
 * It prints one line per event:
 *
 *   chdir STATE [REAL], owner ...   as above (the copy needs "chdir dir")
 *   busy OWNER    another process holds the lock; OWNER is what its run
 *                 wrote in the lock file (again whenever that changes)
 *   wait          still held: printed every second while it waits
 *   lock timeout  still held after the wait
 *   free          a lock was got (said before anything is written under
 *                 it): a helper that has let the claim go (its node
 *                 shares another's folder, or its deadline passed) has
 *                 closed the channel, so the line cannot be written and
 *                 the claim ends there, writing nothing
 *   lockfile symlink  a lock file is a link: refused, nothing written
 *   locked        held until the command's stdin ends, or until no line
 *                 came for beat_s seconds (the helper's heartbeat)
 *   unlocked      the node has no flock(1): copied without a lock, and
 *                 held (not locked) as "locked" is
 *   alive         the answer to each heartbeat line
 *   taken TEXT    the lock file holds TEXT, another run's (flock does not
 *                 exclude there): the claim ends
 *
 * The lock is flock(1) on PARENT/.NAME.pytest-cloud-lock beside CHDIR,
 * taken by the claim's shell and kept while it reads its stdin: it ends
 * when the helper's channel closes, and also when no line came for
 * beat_s seconds: the helper's heartbeat (hold.h) sends one every few
 * seconds from the moment the lock is held, through the copy and the
 * steps after it and the whole run, so a helper stopped or cut off at
 * any point (a partition, a NAT, whose TCP connection the node would
 * take hours to give up) holds the folder no longer than that; each wait
 * is bounded by coreutils' timeout, which every system with flock(1)
 * has: without it, only the channel's end ends the lock.  Each line is
 * answered "alive" (the helper hears the node by it), after a look at
 * the lock file: where flock does not exclude (NFS mounted without
 * locking, a node without flock(1)), two runs can both hold the claim,
 * and the one whose text is no longer in the lock file ends its claim
 * ("taken TEXT"), so its node is lost to it and its tests go elsewhere.  Under the lock the claim writes the run's owner text
 * (claim_owner) into the lock file, which names the run by a random token
 * and the node it came through.  Nodes that share a home (NFS) see one
 * lock file: a node that finds the lock held by its own run, or reads its
 * own run's token written through another node, shares that node's folder
 * (claim_owner_parse).  Pure: builds shell text (every value through
 * shquote) and reads its output.
 */
#ifndef PYTEST_CLOUD_CLAIM_H
#define PYTEST_CLOUD_CLAIM_H

#include <stddef.h>

/* The marker's name inside CHDIR (rsync neither copies nor deletes it). */
#define CLAIM_MARKER ".pytest-cloud-project"

/* An earlier release's folder is taken over when its lock file was
 * written within this many days. */
#define CLAIM_EARLIER_DAYS 90

enum chdir_state {
	CHDIR_UNKNOWN = 0, /* the node did not say */
	CHDIR_ABSENT,
	CHDIR_DIR,
	CHDIR_NOTDIR,
	CHDIR_READONLY,
	CHDIR_SYMLINK,
	CHDIR_OUTSIDE
};

enum chdir_owner {
	OWNER_UNKNOWN = 0, /* the node did not say */
	OWNER_NONE,
	OWNER_OURS,
	OWNER_EMPTY,
	OWNER_EARLIER,
	OWNER_OTHER,
	OWNER_FOREIGN,
	OWNER_CONTAINS,
	OWNER_INSIDE,
	OWNER_BADMARKER,
	OWNER_STALE
};

/* What the node said of CHDIR. */
struct chdir_facts {
	enum chdir_state state;
	char real[256];       /* CHDIR_OUTSIDE: its real path */
	enum chdir_owner owner;
	char where[256];      /* OWNER_CONTAINS, OWNER_INSIDE: that folder */
	char marker[512];     /* OWNER_OTHER, _CONTAINS, _INSIDE: its marker
			       * text, newlines as tabs ("" for an earlier
			       * release's folder) */
};

/*
 * The marker text naming a project: its root path on the controller and
 * the controller's host name.  Newly allocated; NULL when out of memory.
 */
char *claim_marker(const char *rootdir, const char *host);

/*
 * The probe's part: both checks of chdir against marker, as shell text
 * (the functions included), newly allocated; NULL when out of memory.
 */
char *claim_probe_checks(const char *chdir, const char *marker);

/*
 * The lock file's text for this run: "pytest-cloud run TOKEN node NODE
 * WHO", where token names the run (letters and digits), node is the
 * node's index in the run and who says who runs it ("pid 12 by me on
 * ci7 since ...").  Newly allocated; NULL when out of memory.
 */
char *claim_owner(const char *token, size_t node, const char *who);

/*
 * Reads a lock file's text.  Returns 1 when it is run token's (the node
 * index that wrote it in *node), else 0.  shown gets what to show people:
 * "pytest-cloud WHO" for a run of this release, the text itself (cut)
 * otherwise.
 */
int claim_owner_parse(const char *text, const char *token, size_t *node,
		      char *shown, size_t len);

/*
 * The order in which a run that must wait takes its nodes' locks (sync.h):
 * by the host ssh connects to (byte order), then the port; <0, 0 or >0 as
 * strcmp.  Every run that reaches the nodes alike orders them alike, so
 * runs that wait in this order never wait for each other in a ring.
 */
int claim_order(const char *host_a, int port_a, const char *host_b,
		int port_b);

struct claim_spec {
	const char *chdir;
	const char *marker; /* claim_marker */
	const char *owner;  /* claim_owner */
	const char *token;  /* the run's (claim_owner's TOKEN) */
	long wait_s;        /* how long to wait for another run's lock (0:
			     * not at all) */
	long home_wait_s;   /* and for the brief lock of the home, which a
			     * claim holds while it checks and makes */
	long beat_s;        /* the lock ends when no line came on its stdin
			     * for this long (the helper's heartbeat) */
};

/*
 * The claim command ("exec /bin/sh -c '...'"), newly allocated; NULL when
 * out of memory.  It exits 1 when it cannot make a folder or write the
 * marker (its stderr says why).
 */
char *claim_command(const struct claim_spec *spec);

/* The command that prints the lock file beside chdir (what the run that
 * holds it wrote there).  Newly allocated; NULL when out of memory. */
char *claim_lockfile_command(const char *chdir);

enum claim_event {
	CLAIM_OTHER = 0, /* a line of no meaning */
	CLAIM_STATE,     /* "chdir ..." */
	CLAIM_OWNER,     /* "owner ..." */
	CLAIM_BUSY,      /* "busy OWNER" */
	CLAIM_WAIT,      /* "wait" */
	CLAIM_TIMEOUT,   /* "lock timeout" */
	CLAIM_LOCKLINK,  /* "lockfile symlink" */
	CLAIM_LOCKED,    /* "locked" */
	CLAIM_UNLOCKED   /* "unlocked" */
};

/* Reads one line of the claim's output into f (a "chdir" or "owner"
 * line); for CLAIM_BUSY the lock file's text goes to text. */
enum claim_event claim_line(const char *line, struct chdir_facts *f,
			    char *text, size_t textlen);

/* Reads the last "chdir" and "owner" lines of text (a probe's output)
 * into f, which is zeroed first. */
void claim_parse(const char *text, struct chdir_facts *f);

/*
 * Why a node whose CHDIR is as f says cannot receive the project, in buf;
 * NULL when the copy may go ahead (state dir or absent, owner none, ours,
 * other, empty or earlier).  chdir is the option's value.
 */
const char *claim_refusal(const struct chdir_facts *f, const char *chdir,
			  char *buf, size_t len);

/* Marker text m (tabs for newlines) in words: "project '/p' of host
 * 'h'", or "a folder of an earlier pytest-cloud release" for "". */
const char *claim_describe_marker(const char *m, char *buf, size_t len);

#endif
