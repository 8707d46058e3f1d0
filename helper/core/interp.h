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
};

/*
 * The probe's part (shell text) for base b: prints "home", "arch",
 * "libc" and "py ..." lines.  Newly allocated; NULL when out of memory.
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

/* rsync's filters for copying the interpreter's prefix: no test suite,
 * no caches, no headers or static library; the base's site-packages
 * only when the virtualenv uses them.  Appended to out; 0 or -1. */
int interp_copy_filters(const struct interp_base *b, struct strvec *out);

/*
 * The node's commands around the interpreter's copy (each "exec /bin/sh
 * -c '...'"), newly allocated; NULL when out of memory:
 *   before: makes the folder that holds dest (nothing else is made);
 *   after:  moves the copy (sent to dest.partial-TOKEN) into place unless
 *           another run put it there first, marks it as pytest-cloud's,
 *           and checks that it runs (exit 1 with its error when not).
 */
char *interp_before_copy(const char *dest);
char *interp_after_copy(const char *dest, const char *token,
			const char *minor, const char *origin);

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
