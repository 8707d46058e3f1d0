/*
 * develop: the command each node runs after the sync, built here (pure)
 * and run at the edge over the node's SSH session (sync.c prepare_job).
 */
#define _GNU_SOURCE
#include "develop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shquote.h"

/*
 * The worker check, run by the worker python from CHDIR with the develop
 * eggs as arguments: pytest and xdist import, and so does every top-level
 * package or module of each egg (its root or src/), from the node's copy.
 */
static const char worker_check[] =
	"import os, sys\n"
	"import pytest, xdist\n"
	"root = os.path.realpath(os.getcwd())\n"
	"skip = {'setup.py', 'conftest.py', 'noxfile.py'}\n"
	"for egg in sys.argv[1:]:\n"
	"    base = os.path.realpath(egg)\n"
	"    pkgs, mods = set(), set()\n"
	"    for d in (base, os.path.join(base, 'src')):\n"
	"        if not os.path.isdir(d):\n"
	"            continue\n"
	"        for e in os.listdir(d):\n"
	"            p = os.path.join(d, e)\n"
	"            if os.path.isfile(os.path.join(p, '__init__.py')):\n"
	"                pkgs.add(e)\n"
	"            elif e.endswith('.py') and e not in skip:\n"
	"                mods.add(e[:-3])\n"
	"    names = pkgs or mods\n"
	"    if not names:\n"
	"        sys.exit('develop egg %r: no package or module in it' % egg)\n"
	"    for name in sorted(names):\n"
	"        mod = __import__(name)\n"
	"        where = os.path.realpath(getattr(mod, '__file__', '') or '')\n"
	"        if not where.startswith(base + os.sep):\n"
	"            sys.exit('develop egg %r: %s imports from %r, not from "
	"the node copy' % (egg, name, where))\n";

/* Appends " ARG" (shell-quoted) for each string of list to script. */
static int append_quoted(char **script, const struct strvec *list,
			 const char *prefix)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		char *q = shquote(list->v[i]);
		char *grown = NULL;

		if (q == NULL ||
		    asprintf(&grown, "%s %s./%s", *script, prefix, q) < 0) {
			free(q);
			return -1;
		}
		free(q);
		free(*script);
		*script = grown;
	}
	return 0;
}

/* "exec PYTHON -c CHECK ./EGG..." (the worker check), from CHDIR; every
 * value through shquote.  NULL when out of memory. */
static char *check_part(const struct cloud_config *cfg)
{
	char *py_q = shquote(cfg->worker_python);
	char *check_q = shquote(worker_check);
	char *tail = NULL;

	if (py_q != NULL && check_q != NULL &&
	    asprintf(&tail, "exec %s%s -c %s", cfg->venv_rel ? "\"$home\"/" : "",
		     py_q, check_q) < 0) {
		tail = NULL;
	}
	if (tail != NULL && append_quoted(&tail, &cfg->develop_eggs, "") < 0) {
		free(tail);
		tail = NULL;
	}
	free(py_q);
	free(check_q);
	return tail;
}

/* "PYTHON -m pip install ... -e ./EGG... >&2 || exit N; ", or "" without
 * eggs.  NULL when out of memory. */
static char *eggs_part(const struct cloud_config *cfg)
{
	char *py_q;
	char *pip = NULL;
	char *part = NULL;

	if (cfg->develop_eggs.n == 0) {
		return strdup("");
	}
	py_q = shquote(cfg->worker_python);
	if (py_q != NULL &&
	    asprintf(&pip, "\"$home\"/%s -m pip install --quiet --no-index "
		     "--no-deps --no-build-isolation "
		     "--disable-pip-version-check", py_q) < 0) {
		pip = NULL;
	}
	if (pip != NULL && append_quoted(&pip, &cfg->develop_eggs, "-e ") == 0 &&
	    asprintf(&part, "%s >&2 || exit %d; ", pip, DEVELOP_EXIT_EGGS) < 0) {
		part = NULL;
	}
	free(py_q);
	free(pip);
	return part;
}

/* The script of develop.h's steps, run from the remote home: all of them
 * (whole), or only the worker check (a node that shares another's
 * folder).  Every value passes through shquote. */
static char *prepare_script(const struct cloud_config *cfg, int whole,
			    const char *first)
{
	char *chdir_q = shquote(cfg->chdir);
	char *venv_q = shquote(cfg->venv_rel ? cfg->venv_rel : "");
	char *pip = whole ? eggs_part(cfg) : strdup("");
	char *tail = cfg->gateway_check ? strdup("exit 0") : check_part(cfg);
	char *pyc = NULL;
	char *script = NULL;

	if (chdir_q == NULL || venv_q == NULL || pip == NULL || tail == NULL) {
		goto out;
	}
	if (whole && asprintf(&pyc, "find . -path ./%s -prune -o -name "
			      "'*.pyc' -type f -exec rm -f {} + || exit %d; ",
			      venv_q, DEVELOP_EXIT_PYC) < 0) {
		pyc = NULL;
		goto out;
	}
	if (asprintf(&script, "home=$(pwd); cd %s || exit %d; %s%s%s%s",
		     chdir_q, DEVELOP_EXIT_PYC, first ? first : "",
		     pyc ? pyc : "", pip, tail) < 0) {
		script = NULL;
	}
out:
	free(chdir_q);
	free(venv_q);
	free(pip);
	free(tail);
	free(pyc);
	return script;
}

char *develop_prepare_command(const struct cloud_config *cfg, int whole,
			      const char *first)
{
	char *script = prepare_script(cfg, whole, first);
	char *command = script ? shquote_sh_command(script) : NULL;

	free(script);
	return command;
}

const char *develop_worker_check(void)
{
	return worker_check;
}

int develop_check_args(const struct cloud_config *cfg, struct strvec *out)
{
	size_t i;

	for (i = 0; i < cfg->develop_eggs.n; i++) {
		if (strvec_pushf(out, "./%s", cfg->develop_eggs.v[i]) < 0) {
			return -1;
		}
	}
	return 0;
}

const char *develop_step(const struct cloud_config *cfg, int status,
			 char *buf, size_t len)
{

	if (status == DEVELOP_EXIT_PYTHON) {
		return "pointing the virtualenv at the node's python failed";
	}
	if (status == DEVELOP_EXIT_PYC) {
		return "removing stale *.pyc in CHDIR failed";
	}
	if (status == DEVELOP_EXIT_EGGS) {
		return "installing the develop eggs failed";
	}
	snprintf(buf, len, "worker python '%s' cannot import pytest, "
		 "xdist%s", cfg->worker_python,
		 cfg->develop_eggs.n ? " and the develop eggs" : "");
	return buf;
}

