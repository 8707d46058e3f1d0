/* interp: the virtualenv's interpreter on each node (see interp.h). */
#define _GNU_SOURCE
#include "interp.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "shquote.h"
#include "text.h"

void interp_base_release(struct interp_base *b)
{
	free(b->exe);
	b->exe = NULL;
	free(b->real);
	b->real = NULL;
	free(b->prefix);
	b->prefix = NULL;
	free(b->home);
	b->home = NULL;
	free(b->cfg_text);
	b->cfg_text = NULL;
	strvec_clear(&b->links);
}

/* "key = value" (or "key=value") at line: 1 with both parts, cut to fit. */
static int cfg_line(const char *line, size_t n, char *key, size_t klen,
		    char *val, size_t vlen)
{
	const char *eq = memchr(line, '=', n);
	const char *k = line;
	const char *ke;
	const char *v;
	const char *ve = line + n;

	if (eq == NULL) {
		return 0;
	}
	while (k < eq && (*k == ' ' || *k == '\t')) {
		k++;
	}
	ke = eq;
	while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t')) {
		ke--;
	}
	v = eq + 1;
	while (v < ve && (*v == ' ' || *v == '\t')) {
		v++;
	}
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r')) {
		ve--;
	}
	snprintf(key, klen, "%.*s", (int)(ke - k), k);
	snprintf(val, vlen, "%.*s", (int)(ve - v), v);
	return ke > k;
}

/* The first n dot-separated parts of v, each all digits, in out. */
static int version_parts(const char *v, int n, char *out, size_t len)
{
	const char *p = v;
	int k;

	for (k = 0; k < n; k++) {
		size_t d = strspn(p, "0123456789");

		if (d == 0) {
			return -1;
		}
		p += d;
		if (k + 1 < n) {
			if (*p != '.') {
				return -1;
			}
			p++;
		}
	}
	snprintf(out, len, "%.*s", (int)(p - v), v);
	return 0;
}

int interp_parse_cfg(const char *text, struct interp_base *b, char *why,
		     size_t len)
{
	const char *p = text;
	const char *line;
	size_t n;
	char found[512] = "";

	b->version[0] = b->minor[0] = '\0';
	b->system_site = 0;
	for (line = text_line(&p, &n); line != NULL;
	     line = text_line(&p, &n)) {
		char key[64];
		char val[512];

		if (cfg_line(line, n, key, sizeof(key), val, sizeof(val))) {
			if (strcmp(key, "version") == 0 ||
			    (strcmp(key, "version_info") == 0 && !found[0])) {
				snprintf(found, sizeof(found), "%s", val);
			} else if (strcmp(key,
					  "include-system-site-packages") == 0) {
				b->system_site = strcmp(val, "true") == 0;
			}
		}
	}
	if (version_parts(found, 2, b->minor, sizeof(b->minor)) < 0) {
		snprintf(why, len, "pyvenv.cfg names no Python version");
		return -1;
	}
	if (version_parts(found, 3, b->version, sizeof(b->version)) < 0) {
		snprintf(b->version, sizeof(b->version), "%s", b->minor);
	}
	return 0;
}

/* The node's cache folder for b, from the home. */
static void cache_dir(const struct interp_base *b, char *buf, size_t len)
{
	snprintf(buf, len, INTERP_CACHE "/%s", b->id);
}

char *interp_probe_part(const struct interp_base *b)
{
	char cache[300];
	char *exe_q = shquote(b->exe);
	char *minor_q = shquote(b->minor);
	char *cache_q;
	char *prefix_q = shquote(b->prefix ? b->prefix : "");
	char *s = NULL;

	cache_dir(b, cache, sizeof(cache));
	cache_q = shquote(cache);
	if (exe_q == NULL || minor_q == NULL || cache_q == NULL ||
	    prefix_q == NULL) {
		goto out;
	}
	if (asprintf(&s,
		     "cd || exit 1; x=%s; m=%s; c=%s; p=%s; "
		     "echo \"home $(pwd -P)\"; echo \"arch $(uname -m)\"; "
		     "echo \"libc $(getconf GNU_LIBC_VERSION 2>/dev/null || "
		     "ldd --version 2>&1 | head -n 1)\"; "
		     /* pv PY: its version when it is Python $m */
		     "pv() { v=$(\"$1\" -V 2>&1) || return 1; case $v in "
		     "\"Python $m\"|\"Python $m\".*) echo \"${v#Python }\";; "
		     "*) return 1;; esac; }; "
		     "if [ -x \"$x\" ] && v=$(pv \"$x\"); then "
		     "echo \"py same $v\"; fi; "
		     "if [ -x \"$c/bin/python$m\" ] && v=$(pv \"$c/bin/python$m\"); "
		     "then echo \"py cached $v\"; fi; "
		     "if [ -n \"$p\" ] && [ -e \"$p\" ]; then echo 'py taken'; fi; "
		     "for y in \"$(command -v python$m 2>/dev/null)\" "
		     "/usr/local/bin/python$m /usr/bin/python$m "
		     "/opt/python$m/bin/python$m "
		     "\"$HOME\"/.pyenv/versions/$m*/bin/python$m "
		     "\"$HOME\"/.local/share/uv/python/cpython-$m*/bin/python$m "
		     "/opt/conda/bin/python$m; do "
		     "if [ -n \"$y\" ] && [ -x \"$y\" ] && [ \"$y\" != \"$x\" ] && "
		     "v=$(pv \"$y\"); then echo \"py other $v $y\"; break; fi; "
		     "done; "
		     "y=$(command -v python3 2>/dev/null) && v=$(\"$y\" -V 2>&1) && "
		     "echo \"py has ${v#Python } $y\"; true",
		     exe_q, minor_q, cache_q, prefix_q) < 0) {
		s = NULL;
	}
out:
	free(exe_q);
	free(minor_q);
	free(cache_q);
	free(prefix_q);
	return s;
}

/* Copies the value of "KEY value" at line into buf when line is one. */
static int take(const char *line, size_t n, const char *key, char *buf,
		size_t len)
{
	size_t k = strlen(key);

	if (n > k && strncmp(line, key, k) == 0 && line[k] == ' ') {
		snprintf(buf, len, "%.*s", (int)(n - k - 1), line + k + 1);
		return 1;
	}
	return 0;
}

void interp_parse_probe(const char *text, struct interp_node *n)
{
	const char *p = text;
	const char *line;
	size_t len;

	memset(n, 0, sizeof(*n));
	for (line = text_line(&p, &len); line != NULL;
	     line = text_line(&p, &len)) {
		char other[300];

		while (len > 0 && line[len - 1] == '\r') {
			len--;
		}
		if (take(line, len, "home", n->home, sizeof(n->home)) ||
		    take(line, len, "arch", n->arch, sizeof(n->arch)) ||
		    take(line, len, "libc", n->libc, sizeof(n->libc)) ||
		    take(line, len, "py same", n->same, sizeof(n->same)) ||
		    take(line, len, "py cached", n->cached,
			 sizeof(n->cached)) ||
		    take(line, len, "py has", n->has, sizeof(n->has))) {
			/* taken */
		} else if (len == 8 && strncmp(line, "py taken", 8) == 0) {
			n->taken = 1;
		} else if (!n->other[0] &&
			   take(line, len, "py other", other, sizeof(other))) {
			size_t v = strcspn(other, " ");

			if (other[v] == ' ' && other[v + 1] == '/') {
				snprintf(n->other_version,
					 sizeof(n->other_version), "%.*s",
					 (int)v, other);
				snprintf(n->other, sizeof(n->other), "%s",
					 other + v + 1);
			}
		}
	}
}

/* "glibc" of "glibc 2.36"; the first word. */
static size_t family_len(const char *libc)
{
	return strcspn(libc, " ");
}

/* Compares dotted versions ("2.31" < "2.36"). */
static int version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		long x = strtol(a, (char **)&a, 10);
		long y = strtol(b, (char **)&b, 10);

		if (x != y) {
			return x < y ? -1 : 1;
		}
		a += *a == '.';
		b += *b == '.';
		if ((*a && (*a < '0' || *a > '9')) ||
		    (*b && (*b < '0' || *b > '9'))) {
			break;
		}
	}
	return 0;
}

/* Leaves the node out for a platform that differs; 0 when it fits. */
static int platform_fits(const struct interp_base *b,
			 const struct interp_node *n, char *why, size_t len)
{
	size_t fa = family_len(b->libc);
	size_t fn = family_len(n->libc);

	if (b->arch[0] && n->arch[0] && strcmp(b->arch, n->arch) != 0) {
		snprintf(why, len, "the node is %s and this machine %s: the "
			 "virtualenv's interpreter and compiled packages are "
			 "built for %s (use nodes of that kind, or set "
			 "cloud_python and run without a virtualenv)",
			 n->arch, b->arch, b->arch);
		return -1;
	}
	if (b->libc[0] && n->libc[0] &&
	    (fa != fn || strncmp(b->libc, n->libc, fa) != 0)) {
		snprintf(why, len, "the node's C library is '%s', this "
			 "machine's '%s': the virtualenv's interpreter and "
			 "compiled packages may not run there (use nodes like "
			 "this machine, or set cloud_python and run without a "
			 "virtualenv)", n->libc, b->libc);
		return -1;
	}
	if (b->has_ext && fa == 5 && strncmp(b->libc, "glibc", 5) == 0 &&
	    fn == 5 && strncmp(n->libc, "glibc", 5) == 0 &&
	    version_cmp(n->libc + 6, b->libc + 6) < 0) {
		snprintf(why, len, "the node has %s and this machine %s: the "
			 "virtualenv's compiled packages may need the newer "
			 "one (build the virtualenv where glibc is as old as "
			 "the fleet's oldest, or set cloud_python and run "
			 "without a virtualenv)", n->libc, b->libc);
		return -1;
	}
	return 0;
}

/* "the virtualenv needs Python 3.12 (its base: 'EXE'); the node has
 * Python 3.11.2 ('/usr/bin/python3')", the start of a refusal. */
static void needs(const struct interp_base *b, const struct interp_node *n,
		  char *buf, size_t len)
{
	size_t v = strcspn(n->has, " ");

	if (n->has[0] && n->has[v] == ' ') {
		snprintf(buf, len, "the virtualenv needs Python %s (its base: "
			 "'%s'); the node has Python %.*s ('%s')", b->minor,
			 b->exe, (int)v, n->has, n->has + v + 1);
	} else {
		snprintf(buf, len, "the virtualenv needs Python %s (its base: "
			 "'%s'); the node has no python3 on its PATH",
			 b->minor, b->exe);
	}
}

int interp_decide(const struct interp_base *b, const struct interp_node *n,
		  int copy_allowed, struct interp_choice *c, char *why,
		  size_t len)
{
	const char *home = b->home;
	size_t hl = home ? strlen(home) : 0;
	int under_home = b->prefix && home && hl > 1 &&
			 strncmp(b->prefix, home, hl) == 0 &&
			 b->prefix[hl] == '/';
	char need[800];

	memset(c, 0, sizeof(*c));
	needs(b, n, need, sizeof(need));
	if (platform_fits(b, n, why, len) < 0) {
		return -1;
	}
	snprintf(c->version, sizeof(c->version), "%s", b->version);
	if (n->same[0]) {
		c->how = INTERP_SAME;
		snprintf(c->path, sizeof(c->path), "%s", b->exe);
		snprintf(c->version, sizeof(c->version), "%s", n->same);
		return 0;
	}
	if (n->cached[0]) {
		c->how = INTERP_CACHED;
		snprintf(c->path, sizeof(c->path), "%s/" INTERP_CACHE
			 "/%s/bin/python%s", n->home, b->id, b->minor);
		snprintf(c->version, sizeof(c->version), "%s", n->cached);
		return 0;
	}
	if (n->other[0]) {
		c->how = INTERP_OTHER;
		snprintf(c->path, sizeof(c->path), "%s", n->other);
		snprintf(c->version, sizeof(c->version), "%s",
			 n->other_version);
		return 0;
	}
	if (!copy_allowed) {
		snprintf(why, len, "%s, and copying it is off "
			 "(cloud_copy_python = no): install Python %s there, or "
			 "set cloud_python and run without a virtualenv", need,
			 b->minor);
		return -1;
	}
	if (b->prefix == NULL) {
		snprintf(why, len, "%s; the base is a system interpreter, "
			 "which does not travel: install Python %s there, or set "
			 "cloud_python and run without a virtualenv", need,
			 b->minor);
		return -1;
	}
	if (b->relocatable) {
		c->how = INTERP_COPY_CACHE;
		snprintf(c->path, sizeof(c->path), "%s/" INTERP_CACHE
			 "/%s/bin/python%s", n->home, b->id, b->minor);
		return 0;
	}
	if (under_home && strcmp(n->home, home) == 0 && !n->taken) {
		c->how = INTERP_COPY_HERE;
		snprintf(c->path, sizeof(c->path), "%s", b->exe);
		return 0;
	}
	snprintf(why, len, "%s; '%s' runs only at its own path (it finds its "
		 "libpython there), which the node cannot give it (%s): install "
		 "Python %s there, or set cloud_python and run without a "
		 "virtualenv", need, b->prefix,
		 !under_home ? "it is outside this machine's home"
		 : n->taken ? "that path exists on the node"
			    : "the node's home is another path",
		 b->minor);
	return -1;
}

const char *interp_how_name(enum interp_how how)
{
	switch (how) {
	case INTERP_SAME:
		return "same";
	case INTERP_CACHED:
		return "cached";
	case INTERP_OTHER:
		return "other";
	case INTERP_COPY_HERE:
	case INTERP_COPY_CACHE:
		return "copied";
	case INTERP_NONE:
		break;
	}
	return "none";
}

const char *interp_describe(const struct interp_choice *c, char *buf,
			    size_t len)
{
	static const char *words[] = {
		[INTERP_SAME] = "as here",
		[INTERP_CACHED] = "copied by an earlier run",
		[INTERP_OTHER] = "the node's own",
		[INTERP_COPY_HERE] = "copied now",
		[INTERP_COPY_CACHE] = "copied now",
	};

	if (c->how == INTERP_NONE) {
		buf[0] = '\0';
		return buf;
	}
	snprintf(buf, len, "python %s (%s, %s)", c->path, c->version,
		 words[c->how]);
	return buf;
}

char *interp_copy_dest(const struct interp_base *b,
		       const struct interp_choice *c)
{
	char buf[400];

	if (c->how == INTERP_COPY_HERE) {
		return strdup(b->prefix);
	}
	cache_dir(b, buf, sizeof(buf));
	return strdup(buf);
}

int interp_copy_filters(const struct interp_base *b, struct strvec *out)
{
	static const char *lib_skip[] = { "test", "idlelib", "tkinter",
					  "turtledemo", "ensurepip",
					  "lib2to3/tests" };
	size_t i;
	int rc = 0;

	rc |= strvec_push(out, "--exclude=__pycache__");
	rc |= strvec_push(out, "--exclude=*.pyc");
	rc |= strvec_push(out, "--exclude=*.a");
	rc |= strvec_push(out, "--exclude=/share/");
	rc |= strvec_push(out, "--exclude=/" INTERP_MARK);
	for (i = 0; i < sizeof(lib_skip) / sizeof(lib_skip[0]); i++) {
		rc |= strvec_pushf(out, "--exclude=/lib/python%s/%s/", b->minor,
				   lib_skip[i]);
	}
	if (!b->system_site) {
		rc |= strvec_pushf(out, "--exclude=/lib/python%s/site-packages/*",
				   b->minor);
	}
	return rc ? -1 : 0;
}

char *interp_before_copy(const char *dest)
{
	char *d = shquote(dest);
	char *script = NULL;
	char *cmd = NULL;

	if (d != NULL && asprintf(&script, "cd || exit 1; d=%s; "
				  "case $d in */*) mkdir -p -- \"${d%%/*}\";; "
				  "esac", d) >= 0) {
		cmd = shquote_sh_command(script);
	}
	free(d);
	free(script);
	return cmd;
}

char *interp_partial(const char *dest, const char *token)
{
	char *s = NULL;

	if (asprintf(&s, "%s.partial-%s", dest, token) < 0) {
		return NULL;
	}
	return s;
}

char *interp_after_copy(const char *dest, const char *token,
			const char *minor, const char *origin)
{
	char *d = shquote(dest);
	char *t = NULL;
	char *tq = NULL;
	char *m = shquote(minor);
	char *o = shquote(origin);
	char *script = NULL;
	char *cmd = NULL;

	t = interp_partial(dest, token);
	tq = t ? shquote(t) : NULL;
	if (d == NULL || tq == NULL || m == NULL || o == NULL) {
		goto out;
	}
	/* another run may have put it in place first: its copy is used */
	if (asprintf(&script,
		     "cd || exit 1; d=%s; t=%s; m=%s; "
		     "if [ -e \"$d\" ]; then rm -rf -- \"$t\"; else "
		     "mv -- \"$t\" \"$d\" || exit 1; "
		     "printf '%%s\\n' %s > \"$d/" INTERP_MARK "\"; fi; "
		     "\"$d/bin/python$m\" -I -c 'import sys, os, json, "
		     "encodings' 2>&1 | tail -n 3 >&2; "
		     "\"$d/bin/python$m\" -I -c 'import sys, os, json, "
		     "encodings'",
		     d, tq, m, o) >= 0) {
		cmd = shquote_sh_command(script);
	}
out:
	free(d);
	free(t);
	free(tq);
	free(m);
	free(o);
	free(script);
	return cmd;
}

/* Whether c points the virtualenv at another interpreter than its own
 * links name. */
static int repointed(const struct interp_choice *c)
{
	return c->how == INTERP_OTHER || c->how == INTERP_CACHED ||
	       c->how == INTERP_COPY_CACHE;
}

int interp_keep(const struct interp_base *b, const struct interp_choice *c,
		const char *venv_rel, struct strvec *out)
{
	size_t i;
	int rc = 0;

	if (!repointed(c)) {
		return 0;
	}
	rc |= strvec_pushf(out, "%s/pyvenv.cfg", venv_rel);
	for (i = 0; i < b->links.n; i++) {
		rc |= strvec_pushf(out, "%s/bin/%s", venv_rel, b->links.v[i]);
	}
	return rc ? -1 : 0;
}

/* The folder of path (without its last part), into buf. */
static void dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL || slash == path) {
		snprintf(buf, len, "/");
	} else {
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
	}
}

char *interp_cfg_for(const char *text, const char *exe)
{
	struct buf out = BUF_INIT;
	char bin[512];
	char prefix[512];
	const char *p = text;
	const char *line;
	size_t n;

	dir_of(exe, bin, sizeof(bin));
	dir_of(bin, prefix, sizeof(prefix));
	for (line = text_line(&p, &n); line != NULL;
	     line = text_line(&p, &n)) {
		char key[64];
		char val[512];
		const char *now = NULL;

		if (cfg_line(line, n, key, sizeof(key), val, sizeof(val))) {
			if (strcmp(key, "home") == 0) {
				now = bin;
			} else if (strcmp(key, "executable") == 0 ||
				   strcmp(key, "base-executable") == 0) {
				now = exe;
			} else if (strcmp(key, "base-prefix") == 0 ||
				   strcmp(key, "base-exec-prefix") == 0) {
				now = prefix;
			}
		}
		if (now != NULL) {
			buf_printf(&out, "%s = %s\n", key, now);
		} else {
			buf_printf(&out, "%.*s\n", (int)n, line);
		}
	}
	return buf_take(&out);
}

char *interp_repoint(const struct interp_base *b,
		     const struct interp_choice *c, const char *venv_rel)
{
	struct buf s = BUF_INIT;
	char *cfg;
	char *cfg_q;
	char *exe_q = shquote(c->path);
	char *venv_q = shquote(venv_rel);
	size_t i;

	if (!repointed(c)) {
		free(exe_q);
		free(venv_q);
		return strdup("");
	}
	cfg = interp_cfg_for(b->cfg_text, c->path);
	cfg_q = cfg ? shquote(cfg) : NULL;
	if (cfg_q == NULL || exe_q == NULL || venv_q == NULL) {
		free(cfg);
		free(cfg_q);
		free(exe_q);
		free(venv_q);
		return NULL;
	}
	buf_printf(&s, "v=%s; printf '%%s' %s > \"$v/pyvenv.cfg.pytest-cloud\" "
		   "&& mv -f -- \"$v/pyvenv.cfg.pytest-cloud\" "
		   "\"$v/pyvenv.cfg\" || exit 96; ", venv_q, cfg_q);
	for (i = 0; i < b->links.n; i++) {
		char *link_q = shquote(b->links.v[i]);

		if (link_q == NULL) {
			break;
		}
		buf_printf(&s, "rm -f -- \"$v/bin/\"%s && ln -s -- %s "
			   "\"$v/bin/\"%s || exit 96; ", link_q, exe_q, link_q);
		free(link_q);
	}
	free(cfg);
	free(cfg_q);
	free(exe_q);
	free(venv_q);
	return buf_take(&s);
}
