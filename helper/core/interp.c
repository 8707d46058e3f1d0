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

/*
 * Shell functions the node's commands share (POSIX sh; u is the login's
 * uid, M the marker's name, s and n the copy's source and files):
 *   sp PATH  0 when no one but root and the login could have written
 *            PATH (from the home when relative) or a folder above it,
 *            each link followed: each is root's or the login's, and
 *            writable by neither group (but root's) nor others (a
 *            link's modes, and a sticky folder's, do not count); one
 *            find for the lot, then, when one is not, an ls per entry
 *            to name it; else 1 with why
 *   ok       reads ls -ldn's lines: prints why the first entry breaks
 *            those rules; nothing when none does
 *   cnt DIR  f: the entries under DIR that are not folders, __pycache__
 *            and the marker left out
 *   mk DIR   0 when DIR's marker is checked and names s and n, and DIR
 *            holds n entries
 */
#define SH_OK \
	"ok() { while read -r md z ow gr z; do " \
	"case $ow in 0|\"$u\") ;; *) echo \"is owned by uid $ow\"; return;; " \
	"esac; case $md in l*|d????????[tT]*) continue;; esac; " \
	"case $md in ????????w*) echo 'is writable by everyone'; return;; " \
	"esac; case $md in ?????w*) [ \"$gr\" = 0 ] || " \
	"{ echo \"is writable by group $gr\"; return; };; esac; done; }; "
#define SH_SP \
	"sp() { why=; w=$1; r=; k=0; set -- /; case $w in /*) ;; " \
	"*) w=$PWD/$w;; esac; " \
	"while [ -n \"$w\" ]; do case $w in */*) e=${w%%/*}; w=${w#*/};; " \
	"*) e=$w; w=;; esac; case $e in ''|.) continue;; " \
	"..) r=${r%/*}; continue;; esac; set -- \"$@\" \"$r/$e\"; " \
	"if [ -L \"$r/$e\" ]; then k=$((k + 1)); [ $k -lt 40 ] || " \
	"{ why='has too many links'; return 1; }; " \
	"t=$(LC_ALL=C ls -ld -- \"$r/$e\") || { why='cannot be read'; " \
	"return 1; }; t=${t#*\"$r/$e -> \"}; case $t in /*) r=;; esac; " \
	"w=$t${w:+/$w}; else r=$r/$e; fi; done; " \
	"l=$(find \"$@\" -prune \\( \\( ! -user 0 ! -user \"$u\" \\) -o " \
	"\\( ! -type l ! \\( -type d -perm -1000 \\) \\( -perm -0002 -o " \
	"\\( -perm -0020 ! -group 0 \\) \\) \\) \\) -print 2>/dev/null) || " \
	"{ why='cannot be listed'; return 1; }; [ -z \"$l\" ] && return 0; " \
	"for e in \"$@\"; do why=$(LC_ALL=C ls -ldn -- \"$e\" 2>/dev/null | " \
	"ok); [ -z \"$why\" ] || { why=\"'$e' $why\"; return 1; }; done; " \
	"why='could be written by another user'; return 1; }; "
#define SH_CNT \
	"cnt() { f=$(find \"$1\" -name __pycache__ -prune -o ! -type d " \
	"! -name \"$M*\" -print | wc -l); f=$((f)); }; "
#define SH_MK \
	"mk() { [ -f \"$1/$M\" ] || return 1; g=; h=; z=; " \
	"while read -r a b; do case $a in source) g=$b;; files) h=$b;; " \
	"checked) z=1;; esac; done < \"$1/$M\"; [ -n \"$z\" ] && " \
	"[ \"$g\" = \"$s\" ] && [ \"$h\" = \"$n\" ] || return 1; cnt \"$1\"; " \
	"[ \"$f\" = \"$n\" ]; }; "

char *interp_probe_part(const struct interp_base *b)
{
	char cache[300];
	char files[32];
	char *exe_q = shquote(b->exe);
	char *minor_q = shquote(b->minor);
	char *cache_q;
	char *prefix_q = shquote(b->prefix ? b->prefix : "");
	char *source_q = shquote(b->source);
	struct buf s = BUF_INIT;
	char *text = NULL;

	cache_dir(b, cache, sizeof(cache));
	cache_q = shquote(cache);
	snprintf(files, sizeof(files), "%lld", b->files);
	if (exe_q == NULL || minor_q == NULL || cache_q == NULL ||
	    prefix_q == NULL || source_q == NULL) {
		goto out;
	}
	buf_printf(&s, "cd || exit 1; x=%s; m=%s; c=%s; p=%s; s=%s; n=%s; "
		   "M=" INTERP_MARK "; u=$(id -u); ",
		   exe_q, minor_q, cache_q, prefix_q, source_q, files);
	buf_printf(&s, "%s",
		   "echo \"home $(pwd -P)\"; echo \"arch $(uname -m)\"; "
		   "echo \"libc $(getconf GNU_LIBC_VERSION 2>/dev/null || "
		   "ldd --version 2>&1 | head -n 1)\"; "
		   SH_OK SH_SP SH_CNT SH_MK
		   /* pv PY: v, its version, when it is Python $m */
		   "pv() { v=$(\"$1\" -V 2>&1) || return 1; case $v in "
		   "\"Python $m\"|\"Python $m\".*) v=${v#Python };; "
		   "*) return 1;; esac; }; "
		   /* try PY: pv, when it is there and safe to run */
		   "try() { [ -x \"$1\" ] || return 1; sp \"$1\" || "
		   "{ echo \"py unsafe $1: $why\"; return 1; }; pv \"$1\"; }; "
		   /* the base's path: a copy of pytest-cloud's is used only
		    * whole and checked; then the cache's; each found one
		    * (hit) makes the later, less preferred ones moot
		    * (interp_decide) */
		   "hit=; if [ -n \"$p\" ] && [ -f \"$p/$M\" ]; then "
		   "if mk \"$p\" && try \"$x\"; then echo \"py same $v\"; hit=1; "
		   "else echo 'py stale'; fi; "
		   "elif try \"$x\"; then echo \"py same $v\"; hit=1; fi; "
		   "if [ -z \"$hit\" ] && mk \"$c\" && "
		   "try \"$c/bin/python$m\"; then echo \"py cached $v\"; hit=1; fi; "
		   "if [ -n \"$p\" ] && [ ! -f \"$p/$M\" ] && "
		   "{ [ -e \"$p\" ] || [ -L \"$p\" ]; }; then "
		   "echo 'py taken'; fi; "
		   "[ -n \"$hit\" ] || for y in "
		   "\"$(command -v python$m 2>/dev/null)\" "
		   "/usr/local/bin/python$m /usr/bin/python$m "
		   "/opt/python$m/bin/python$m "
		   "\"$HOME\"/.pyenv/versions/$m*/bin/python$m "
		   "\"$HOME\"/.local/share/uv/python/cpython-$m*/bin/python$m "
		   "/opt/conda/bin/python$m; do "
		   "if [ -n \"$y\" ] && [ \"$y\" != \"$x\" ] && "
		   "try \"$y\"; then echo \"py other $v $y\"; hit=1; break; fi; "
		   "done; "
		   /* its python3, for a refusal's words */
		   "[ -z \"$hit\" ] && y=$(command -v python3 2>/dev/null) && "
		   "[ -x \"$y\" ] && "
		   "{ sp \"$y\" || { echo \"py unsafe $y: $why\"; false; }; } "
		   "&& v=$(\"$y\" -V 2>&1) && "
		   "echo \"py has ${v#Python } $y\"; true");
	text = buf_take(&s);
out:
	free(exe_q);
	free(minor_q);
	free(cache_q);
	free(prefix_q);
	free(source_q);
	return text;
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
		} else if (len == 8 && strncmp(line, "py stale", 8) == 0) {
			n->stale = 1;
		} else if (!n->unsafe[0] &&
			   take(line, len, "py unsafe", n->unsafe,
				sizeof(n->unsafe))) {
			/* the first one */
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

/* "not run: 'PATH', which another user could have written (WHY)" of
 * the probe's first python not run, or "". */
static void unsafe_note(const struct interp_node *n, char *buf, size_t len)
{
	const char *sep = strstr(n->unsafe, ": ");
	int path = sep ? (int)(sep - n->unsafe) : (int)strlen(n->unsafe);

	if (!n->unsafe[0]) {
		buf[0] = '\0';
	} else if (sep == NULL || sep[2] == '\0') {
		snprintf(buf, len, "not run: '%.*s', which another user could "
			 "have written", path, n->unsafe);
	} else {
		snprintf(buf, len, "not run: '%.*s', which another user could "
			 "have written (%s)", path, n->unsafe, sep + 2);
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
	char need[1300];

	memset(c, 0, sizeof(*c));
	needs(b, n, need, sizeof(need));
	if (platform_fits(b, n, why, len) < 0) {
		return -1;
	}
	unsafe_note(n, c->note, sizeof(c->note));
	if (c->note[0]) {
		size_t used = strlen(need);

		snprintf(need + used, sizeof(need) - used, "; %s", c->note);
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
	if (under_home && strcmp(n->home, home) == 0 &&
	    (!n->taken || n->stale)) {
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
	snprintf(buf, len, "python %s (%s, %s%s%s)", c->path, c->version,
		 words[c->how], c->note[0] ? "; " : "", c->note);
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

/* What of lib/pythonX.Y never travels. */
static const char *const lib_skip[] = { "test", "idlelib", "tkinter",
					"turtledemo", "ensurepip",
					"lib2to3/tests" };
#define LIB_SKIPS (sizeof(lib_skip) / sizeof(lib_skip[0]))

int interp_copy_filters(const struct interp_base *b, struct strvec *out)
{
	size_t i;
	int rc = 0;

	/* keep interp_copy_skips the same */
	rc |= strvec_push(out, "--exclude=__pycache__");
	rc |= strvec_push(out, "--exclude=*.pyc");
	rc |= strvec_push(out, "--exclude=*.a");
	rc |= strvec_push(out, "--exclude=/share/");
	rc |= strvec_push(out, "--exclude=/" INTERP_MARK);
	for (i = 0; i < LIB_SKIPS; i++) {
		rc |= strvec_pushf(out, "--exclude=/lib/python%s/%s/", b->minor,
				   lib_skip[i]);
	}
	if (!b->system_site) {
		rc |= strvec_pushf(out, "--exclude=/lib/python%s/site-packages/*",
				   b->minor);
	}
	/* a group-writable prefix here is not one on the node */
	rc |= strvec_push(out, "--chmod=go-w");
	return rc ? -1 : 0;
}

static int ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s);
	size_t t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

int interp_copy_skips(const struct interp_base *b, const char *rel, int dir)
{
	const char *name = strrchr(rel, '/');
	char lib[64];
	size_t ll;
	size_t i;

	name = name ? name + 1 : rel;
	if (strcmp(name, "__pycache__") == 0 || ends_with(name, ".pyc") ||
	    ends_with(name, ".a") || strcmp(rel, INTERP_MARK) == 0 ||
	    (dir && strcmp(rel, "share") == 0)) {
		return 1;
	}
	snprintf(lib, sizeof(lib), "lib/python%s/", b->minor);
	ll = strlen(lib);
	if (strncmp(rel, lib, ll) != 0) {
		return 0;
	}
	for (i = 0; dir && i < LIB_SKIPS; i++) {
		if (strcmp(rel + ll, lib_skip[i]) == 0) {
			return 1;
		}
	}
	return !b->system_site &&
	       strncmp(rel + ll, "site-packages/", 14) == 0 &&
	       rel[ll + 14] != '\0';
}

/* FNV-1a, 64 bits, of n bytes, from h. */
static unsigned long long fnv(unsigned long long h, const void *data,
			      size_t n)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < n; i++) {
		h = (h ^ p[i]) * 1099511628211ull;
	}
	return h;
}

#define FNV_START 1469598103934665603ull

void interp_manifest_add(struct interp_manifest *m, const char *rel,
			 char type, long long size, long long mtime,
			 unsigned mode, const char *link)
{
	char fields[96];
	unsigned long long h = fnv(FNV_START, rel, strlen(rel) + 1);

	/* a folder by its name alone: its size and time change with what
	 * is in it (a __pycache__ made here) */
	if (type == 'd') {
		snprintf(fields, sizeof(fields), "d %o", mode & 07755u);
	} else {
		snprintf(fields, sizeof(fields), "%c %lld %lld %o", type, size,
			 mtime, mode & 07755u);
		m->files++;
	}
	h = fnv(h, fields, strlen(fields) + 1);
	if (link != NULL) {
		h = fnv(h, link, strlen(link) + 1);
	}
	m->sum += h; /* in any order */
}

void interp_manifest_finish(const struct interp_manifest *m,
			    struct interp_base *b)
{
	char text[96];
	unsigned long long h;

	snprintf(text, sizeof(text), "%llx %lld %d", m->sum, m->files,
		 b->system_site);
	h = fnv(FNV_START, text, strlen(text));
	snprintf(b->source, sizeof(b->source), "%016llx", h);
	b->files = m->files;
	snprintf(b->id, sizeof(b->id), "cpython-%s-%s-%s", b->version,
		 b->arch[0] ? b->arch : "unknown", b->source);
}

char *interp_partial(const char *dest, const char *token)
{
	char *s = NULL;

	if (asprintf(&s, "%s.partial-%s", dest, token) < 0) {
		return NULL;
	}
	return s;
}

char *interp_before_copy(const char *dest, const char *token, long bound)
{
	char *d = shquote(dest);
	char *t = interp_partial(dest, token);
	char *tq = t ? shquote(t) : NULL;
	char *script = NULL;
	char *cmd = NULL;

	/* a partial copy's marker: "until" the node's time (date +%s) after
	 * which no run writes it any more; one put aside (.old) is removed
	 * at once (removing it twice is harmless) */
	if (d != NULL && tq != NULL &&
	    asprintf(&script,
		     "cd || exit 1; umask 077; d=%s; t=%s; w=%ld; "
		     "M=" INTERP_MARK "; q=${d%%/*}; [ -n \"$q\" ] || q=/; "
		     "mkdir -p -- \"$q\" || exit 1; "
		     "now=$(date +%%s 2>/dev/null); case $now in "
		     "''|*[!0-9]*) now=;; esac; "
		     "for f in \"$q\"/*.partial-*; do "
		     "[ -f \"$f/$M\" ] || continue; case $f in *.old) "
		     "rm -rf -- \"$f\"; continue;; esac; e=; "
		     "while read -r a b; do [ \"$a\" = until ] && e=$b; "
		     "done < \"$f/$M\"; case $e in ''|*[!0-9]*) continue;; "
		     "esac; if [ -n \"$now\" ] && [ \"$e\" -lt \"$now\" ]; "
		     "then rm -rf -- \"$f\"; fi; done; "
		     "mkdir -- \"$t\" || exit 1; "
		     "printf 'pytest-cloud partial copy\\nuntil %%s\\n' "
		     "\"${now:+$((now + w))}\" > \"$t/$M\"",
		     d, tq, bound) >= 0) {
		cmd = shquote_sh_command(script);
	}
	free(d);
	free(t);
	free(tq);
	free(script);
	return cmd;
}

char *interp_discard_copy(const char *dest, const char *token)
{
	char *t = interp_partial(dest, token);
	char *tq = t ? shquote(t) : NULL;
	char *script = NULL;
	char *cmd = NULL;

	if (tq != NULL &&
	    asprintf(&script, "cd || exit 1; rm -rf -- %s", tq) >= 0) {
		cmd = shquote_sh_command(script);
	}
	free(t);
	free(tq);
	free(script);
	return cmd;
}

char *interp_after_copy(const struct interp_base *b, const char *dest,
			const char *token, const char *origin)
{
	char files[32];
	char *d = shquote(dest);
	char *t = interp_partial(dest, token);
	char *tq = t ? shquote(t) : NULL;
	char *m = shquote(b->minor);
	char *sq = shquote(b->source);
	char *k = shquote(token);
	char *o = shquote(origin);
	char *script = NULL;
	char *cmd = NULL;

	snprintf(files, sizeof(files), "%lld", b->files);
	if (d == NULL || tq == NULL || m == NULL || sq == NULL || k == NULL ||
	    o == NULL) {
		goto out;
	}
	if (asprintf(&script,
		     "cd || exit 1; umask 022; d=%s; t=%s; m=%s; s=%s; n=%s; "
		     "k=%s; o=%s; a=%d; M=" INTERP_MARK "; "
		     SH_CNT
		     /* src DIR: g its source, h its token, z when checked */
		     "src() { g=; h=; z=; [ -f \"$1/$M\" ] || return 0; "
		     "while read -r q1 q2; do case $q1 in source) g=$q2;; "
		     "token) h=$q2;; checked) z=1;; esac; done < \"$1/$M\"; }; "
		     "gone() { rm -rf -- \"$t\" \"$t.old\"; }; "
		     /* whole: the files the manifest counted */
		     "cnt \"$t\"; if [ \"$f\" != \"$n\" ]; then gone; "
		     "echo \"the copy holds $f files, not $n\" >&2; exit 1; "
		     "fi; printf 'pytest-cloud python copy\\nsource %%s\\n"
		     "files %%s\\ntoken %%s\\norigin %%s\\n' "
		     "\"$s\" \"$n\" \"$k\" \"$o\" > "
		     "\"$t/$M.tmp\" && mv -f -- \"$t/$M.tmp\" \"$t/$M\" || "
		     "{ gone; exit 1; }; "
		     /* in place: the free name, or a copy there already */
		     "if e=$(mv -T -- \"$t\" \"$d\" 2>&1); then :; "
		     "elif [ ! -e \"$d\" ] && [ ! -L \"$d\" ]; then gone; "
		     "echo \"moving the copy to '$d': $e\" >&2; exit 1; "
		     "else src \"$d\"; "
		     "if [ -n \"$z\" ] && [ \"$g\" = \"$s\" ] && cnt \"$d\" && "
		     "[ \"$f\" = \"$n\" ]; then gone; "
		     "elif [ -f \"$d/$M\" ] || [ \"$a\" = 1 ]; then "
		     "if mv -T -- \"$d\" \"$t.old\" && mv -T -- \"$t\" \"$d\"; "
		     "then rm -rf -- \"$t.old\"; else gone; echo \"the copy at "
		     "'$d' could not be replaced\" >&2; exit 1; fi; "
		     "else gone; "
		     "echo \"'$d' is there and is not pytest-cloud's\" >&2; "
		     "exit 1; fi; fi; "
		     /* checked: it runs; else this run's copy goes */
		     "if e=$(\"$d/bin/python$m\" -I -c "
		     "'import sys, os, json, encodings' 2>&1); then "
		     "src \"$d\"; if [ -z \"$z\" ]; then "
		     "{ cat -- \"$d/$M\" && echo checked; } > \"$d/$M.tmp-$k\" "
		     "&& mv -f -- \"$d/$M.tmp-$k\" \"$d/$M\" || exit 1; fi; "
		     "else printf '%%s\\n' \"$e\" | tail -n 3 >&2; "
		     "src \"$d\"; if [ \"$h\" = \"$k\" ]; then "
		     "mv -T -- \"$d\" \"$t.old\" && rm -rf -- \"$t.old\"; fi; "
		     "exit 1; fi",
		     d, tq, m, sq, files, k, o, dest[0] != '/') >= 0) {
		cmd = shquote_sh_command(script);
	}
out:
	free(d);
	free(t);
	free(tq);
	free(m);
	free(sq);
	free(k);
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
