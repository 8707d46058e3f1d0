/*
 * interp: which python runs the project's virtualenv on each node.
 *
 * A virtualenv runs on its base interpreter: pyvenv.cfg's "home" and the
 * links in VENV/bin name it by an absolute path of this machine (a pyenv
 * or uv python under the home, /opt/python3.12, /usr/bin/python3).  The
 * helper knows that interpreter before it contacts a node (venv.h), the
 * probe says what the node has (interp_probe_part), and for each node one
 * choice is made (interp_decide), before anything is copied:
 *
 *   same     the node has the base interpreter at the same path, of the
 *            same major.minor: the copy is used as it is
 *   cached   an earlier run copied this interpreter into the node's cache
 *            (~/.cache/pytest-cloud/python/ID) and it runs: the copy of
 *            the virtualenv is pointed at it
 *   other    the node has pythonX.Y elsewhere (on PATH, or in the usual
 *            places): the copy of the virtualenv is pointed at it
 *   copy     the interpreter travels, once per node, before the project:
 *            into the cache when it runs from any path (uv's builds, a
 *            hand-built /opt/python3.12), else to the same absolute path
 *            (an interpreter under the home, when the node's home has the
 *            same path and nothing is there yet: a pyenv build finds its
 *            libpython by that path); only what an interpreter needs (no
 *            test suite, no caches); it must run there before the project
 *            is copied; the next run finds it (cached, or same)
 *   refused  none of these (another architecture or libc, copying
 *            forbidden with cloud_copy_python = no, a system interpreter
 *            that cannot travel): the node is left out saying what it
 *            needs, what it has and what to do
 *
 * "Pointed at" means, after the copy: pyvenv.cfg rewritten (home and the
 * base-* keys) and the links of VENV/bin that leave bin made again to the
 * node's interpreter.  rsync neither sends nor deletes those files on
 * such a node (interp_keep), so the next run's copy does not undo it.
 *
 * A copy on a node, and what makes it usable:
 *
 *   source    what travels is named by its manifest: each entry the copy
 *             takes (interp_copy_skips says which), by its path under
 *             the prefix, type, size, mtime, mode and link target, hashed
 *             (interp_manifest_*: rsync's own quick check, no content
 *             read) into b->source; b->files counts the entries that are
 *             not folders.  The cache's name ends in b->source, so a
 *             changed stdlib or site-packages, or a virtualenv that
 *             includes the system site-packages, makes another copy.
 *   placed    rsync sends it to DEST.partial-TOKEN, whose marker says
 *             until when the run may still be writing it (a later copy
 *             removes a partial copy past that time); with --chmod=go-w,
 *             so nothing on the node is writable by group or others.
 *             Then its files are counted (they must be b->files), its
 *             marker written (source, files, token, origin), and it is
 *             renamed to DEST with mv -T (no nesting: a rename either
 *             takes the free name or fails).  A copy already at DEST
 *             that is checked and names the same source is used instead;
 *             one of pytest-cloud's that names another source, or was
 *             never checked, is put aside and removed.
 *   checked   it runs ("import sys, os, json, encodings") and its marker
 *             gets a last line "checked" (written whole, then renamed).
 *             A copy that fails its check is removed by the run that
 *             placed it, and never used: the probe takes a copy only
 *             when its marker is checked, names b->source and b->files,
 *             and that many files are there (one find, __pycache__ left
 *             out: the workers write bytecode there).
 *
 * The probe runs no python that another user could have written: the
 * path and every folder above it, each link followed, must belong to
 * root or the login and be writable by neither group (but root's) nor
 * others (but a sticky folder, /tmp); one ls -ldn for the lot.  A python
 * that is not run is said ("py unsafe").
 * Pure: text in, text out.
 */
#ifndef PYTEST_CLOUD_INTERP_H
#define PYTEST_CLOUD_INTERP_H

#include <stddef.h>

#include "strvec.h"

/* Where a node's interpreters copied by pytest-cloud live, from the
 * home; and the file that marks such a copy. */
#define INTERP_CACHE ".cache/pytest-cloud/python"
#define INTERP_MARK ".pytest-cloud-python"

/* The virtualenv's base interpreter, as this machine knows it (venv.h
 * fills it; interp_base_release frees). */
struct interp_base {
	char *exe;        /* what VENV/bin links to: "/usr/bin/python3" */
	char *real;       /* its real path: "/usr/bin/python3.11" */
	char *prefix;     /* the prefix of its own it lives in, or NULL (a
			   * system interpreter, or unknown): what travels */
	char version[32]; /* pyvenv.cfg's: "3.12.1" */
	char minor[16];   /* "3.12" */
	int system_site;  /* include-system-site-packages = true */
	int relocatable;  /* runs from any path (no absolute RUNPATH into
			   * its prefix) */
	char *home;       /* this machine's home */
	char arch[32];    /* uname -m */
	char libc[64];    /* "glibc 2.36", "musl", "" unknown */
	int has_ext;      /* compiled extensions in the virtualenv */
	char *cfg_text;   /* pyvenv.cfg */
	struct strvec links; /* names in VENV/bin whose link leaves bin */
	char source[17];  /* the copy's manifest hashed (16 hex digits) */
	long long files;  /* the entries the copy holds, folders aside */
	char id[128];     /* its name in the nodes' cache */
};

void interp_base_release(struct interp_base *b);

/* Reads pyvenv.cfg's text: version (version, or version_info's first
 * three parts) into b->version and b->minor, include-system-site-packages
 * into b->system_site.  Returns 0, or -1 with why when it names no
 * version. */
int interp_parse_cfg(const char *text, struct interp_base *b, char *why,
		     size_t len);

/* What the probe found on a node (interp_parse_probe). */
struct interp_node {
	char home[256];          /* the login's home (pwd -P) */
	char arch[32];
	char libc[64];
	char same[32];           /* the base's path runs, this version; "" */
	char cached[32];         /* the cache copy runs, this version; "" */
	int taken;               /* the base's prefix exists on the node */
	char other[256];         /* pythonX.Y elsewhere, or "" */
	char other_version[32];
	char has[300];           /* its python3: "3.11.2 /usr/bin/python3" */
	int stale;               /* the base's prefix is a copy of
				  * pytest-cloud's that is not usable */
	char unsafe[400];        /* the first python not run: "PATH: WHY" */
};

enum interp_how {
	INTERP_NONE = 0,  /* no virtualenv: cloud_python */
	INTERP_SAME,
	INTERP_CACHED,
	INTERP_OTHER,
	INTERP_COPY_HERE, /* copied to the same absolute path */
	INTERP_COPY_CACHE /* copied into the cache */
};

struct interp_choice {
	enum interp_how how;
	char path[512];   /* the interpreter the node's virtualenv runs on */
	char version[32]; /* its version as the node said, or the base's */
	char note[480];   /* a python the probe did not run, or "" */
};

/*
 * The probe's part (shell text) for base b: prints "home", "arch",
 * "libc" and "py ..." lines; the later choices are not looked for once
 * an earlier one is found (no "py other" after "py same" or "py
 * cached", no "py has" after any).  Newly allocated; NULL when out of
 * memory.
 */
char *interp_probe_part(const struct interp_base *b);

/* Reads those lines of the probe's output into n (zeroed first). */
void interp_parse_probe(const char *text, struct interp_node *n);

/*
 * The choice for a node.  copy_allowed: cloud_copy_python.  Returns 0
 * with c filled, or -1 with why (the version needed, what the node has,
 * what to do).
 */
int interp_decide(const struct interp_base *b, const struct interp_node *n,
		  int copy_allowed, struct interp_choice *c, char *why,
		  size_t len);

/* The choice in words for the table ("python /usr/bin/python3.11
 * (3.11.2, the node's own)"), in buf. */
const char *interp_describe(const struct interp_choice *c, char *buf,
			    size_t len);

/* The word of c->how for the JSON ("same", "cached", "other", "copied"). */
const char *interp_how_name(enum interp_how how);

/* Where the copy goes on the node, for INTERP_COPY_*: an absolute path
 * (HERE) or one relative to the home (CACHE).  Newly allocated. */
char *interp_copy_dest(const struct interp_base *b,
		       const struct interp_choice *c);

/* rsync's filters and options for copying the interpreter's prefix:
 * no test suite, no caches, no static library, no man pages; the base's
 * site-packages only when the virtualenv uses them; modes without group
 * or others' write.  Appended to out; 0 or -1. */
int interp_copy_filters(const struct interp_base *b, struct strvec *out);

/* Whether the copy leaves out rel (a path under the prefix, "lib/x",
 * no leading slash; dir: it is a folder): the same as those filters. */
int interp_copy_skips(const struct interp_base *b, const char *rel,
		      int dir);

/* The manifest of a copy, an entry at a time in any order. */
struct interp_manifest {
	unsigned long long sum; /* the entries' hashes, added */
	long long files;        /* entries that are not folders */
};

/* Adds one entry the copy takes: type 'f' file, 'd' folder, 'l' link
 * (link: its target), 'o' other; mode without the file type. */
void interp_manifest_add(struct interp_manifest *m, const char *rel,
			 char type, long long size, long long mtime,
			 unsigned mode, const char *link);

/* Fills b->source, b->files and b->id (from b->version, b->arch and
 * b->system_site too) from m. */
void interp_manifest_finish(const struct interp_manifest *m,
			    struct interp_base *b);

/*
 * The node's commands around the interpreter's copy (each "exec /bin/sh
 * -c '...'"), newly allocated; NULL when out of memory:
 *   before:  makes the folder that holds dest (0700 when new), removes
 *            the partial copies there whose run is past its deadline
 *            and those put aside, and makes this run's partial copy
 *            (interp_partial) with a marker saying it may be written
 *            for bound more seconds;
 *   after:   counts the partial copy's files, marks it, puts it in place
 *            (see the top of this file) and checks that it runs: exit 0,
 *            or 1 with why (the copy removed when it was this run's);
 *   discard: removes this run's partial copy (after a failed rsync).
 */
char *interp_before_copy(const char *dest, const char *token, long bound);
char *interp_after_copy(const struct interp_base *b, const char *dest,
			const char *token, const char *origin);
char *interp_discard_copy(const char *dest, const char *token);

/* The name the copy is sent to (dest.partial-TOKEN).  Newly allocated. */
char *interp_partial(const char *dest, const char *token);

/*
 * For a node whose virtualenv is pointed at another interpreter: the
 * paths rsync must keep as they are (relative to the project root:
 * VENV/pyvenv.cfg and VENV/bin/LINK), appended to out; nothing for the
 * other choices.  Returns 0 or -1.
 */
int interp_keep(const struct interp_base *b, const struct interp_choice *c,
		const char *venv_rel, struct strvec *out);

/*
 * The shell text, run in CHDIR after the copy, that points VENV at c's
 * interpreter (pyvenv.cfg written, the links made again; exit 96 when
 * that fails); "" when the copy is used as it is.  Newly allocated; NULL
 * when out of memory.
 */
char *interp_repoint(const struct interp_base *b,
		     const struct interp_choice *c, const char *venv_rel);

/* pyvenv.cfg's text with home, executable and the base-* keys naming
 * exe (its folder, its prefix) instead.  Newly allocated. */
char *interp_cfg_for(const char *text, const char *exe);

#endif
