/* claim: CHDIR checked, owned and made on the node (see claim.h). */
#define _GNU_SOURCE
#include "claim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shquote.h"

/* The marker's first line: fixed, so that markers compare as a whole. */
#define MARKER_HEAD \
	"# pytest-cloud: a copy of the project below; its runs replace " \
	"everything in this folder"

/* What an earlier release (0.2 and before) wrote in its lock file. */
#define EARLIER_LOCK "pytest-cloud pid "

/* How recent that lock file must be for its folder to be taken over. */
#define STR(x) #x
#define XSTR(x) STR(x)
#define EARLIER_DAYS XSTR(CLAIM_EARLIER_DAYS)

/*
 * cloud_chk DIR: a subshell that starts in the home.  h: the home's real
 * path ("" for "/").  p walks up from DIR to the nearest path that exists
 * ("." is the home); r is its real path.  An existing DIR must lie
 * strictly inside the home, a parent may be the home itself.
 *
 * cloud_old DIR: true when the lock file beside DIR is an earlier
 * release's, written in the last CLAIM_EARLIER_DAYS days (its runs
 * rewrote it each time); cloud_old DIR stale: such a lock file of any
 * age.
 *
 * cloud_mk FILE: a marker's text on one line (tabs for newlines).
 *
 * cloud_own DIR MARKER EARLIER: whose DIR is (claim.h); EARLIER is 1 when
 * cloud_old DIR was true before this run wrote its own lock text.
 */
static const char check_function[] =
	"cloud_chk() ( "
	"cd || exit; h=$(pwd -P) || { echo 'chdir outside ?'; exit; }; "
	"[ \"$h\" = / ] && h=; "
	"if [ -L \"$1\" ]; then echo 'chdir symlink'; exit; fi; "
	"if [ -e \"$1\" ] && [ ! -d \"$1\" ]; then echo 'chdir notdir'; "
	"exit; fi; "
	"p=$1; while [ ! -e \"$p\" ]; do case $p in */*) p=${p%/*};; "
	"*) p=.;; esac; done; "
	"[ -d \"$p\" ] || { echo 'chdir notdir'; exit; }; "
	"r=$(cd -- \"$p\" && pwd -P) || { echo 'chdir outside ?'; exit; }; "
	"if [ \"$p\" = \"$1\" ]; then "
	"case $r in \"$h\"/?*) ;; *) echo \"chdir outside $r\"; exit;; "
	"esac; "
	"if [ -w \"$1\" ]; then echo 'chdir dir'; "
	"else echo 'chdir readonly'; fi; "
	"else case $r in \"$h\"|\"$h\"/*) echo 'chdir absent';; "
	"*) echo \"chdir outside $r\";; esac; fi ); "
	"cloud_old() { cloud_k=${2-}; case $1 in */*) "
	"set -- \"${1%/*}/.${1##*/}\";; "
	"*) set -- \".$1\";; esac; "
	"[ -f \"$1.pytest-cloud-lock\" ] && "
	"[ \"$(head -c 17 -- \"$1.pytest-cloud-lock\" 2>/dev/null)\" = "
	"'" EARLIER_LOCK "' ] && { [ \"$cloud_k\" = stale ] || "
	"[ -n \"$(find \"$1.pytest-cloud-lock\" -prune -mtime -" EARLIER_DAYS
	" 2>/dev/null)\" ]; }; }; "
	"cloud_mk() { head -c 500 -- \"$1\" 2>/dev/null | tr '\\n\\r' "
	"'\\t\\t'; }; "
	"cloud_own() ( cd || exit; m=$1/" CLAIM_MARKER "; a=$1; "
	"while :; do case $a in */*) a=${a%/*};; *) break;; esac; "
	"if [ -f \"$a/" CLAIM_MARKER "\" ]; then "
	"printf 'owner inside %s\\t%s\\n' \"$a\" "
	"\"$(cloud_mk \"$a/" CLAIM_MARKER "\")\"; exit; fi; "
	"if cloud_old \"$a\"; then printf 'owner inside %s\\t\\n' \"$a\"; "
	"exit; fi; done; "
	"if [ ! -d \"$1\" ]; then echo 'owner none'; exit; fi; "
	"if [ -L \"$m\" ] || { [ -e \"$m\" ] && [ ! -f \"$m\" ]; }; then "
	"echo 'owner badmarker'; exit; fi; "
	"cmp_mk() { if [ \"$(cat -- \"$m\")\" = \"$2\" ]; then "
	"echo 'owner ours'; else printf 'owner other %s\\n' "
	"\"$(cloud_mk \"$m\")\"; fi; exit; }; "
	"if [ -f \"$m\" ]; then cmp_mk \"$@\"; fi; "
	"if [ -z \"$(ls -A -- \"$1\" 2>/dev/null | head -n 1)\" ]; then "
	"echo 'owner empty'; exit; fi; "
	/* a marker that appeared meanwhile (written whole, by rename) */
	"if [ -f \"$m\" ] && [ ! -L \"$m\" ]; then cmp_mk \"$@\"; fi; "
	"if [ \"$3\" = 1 ]; then echo 'owner earlier'; exit; fi; "
	"if cloud_old \"$1\" stale; then echo 'owner stale'; exit; fi; "
	"n=$(find \"$1\" -mindepth 2 -maxdepth 6 -name " CLAIM_MARKER
	" -type f 2>/dev/null | head -n 1); "
	"if [ -n \"$n\" ]; then printf 'owner contains %s\\t%s\\n' "
	"\"${n%/" CLAIM_MARKER "}\" \"$(cloud_mk \"$n\")\"; exit; fi; "
	"echo 'owner foreign' ); ";

char *claim_marker(const char *rootdir, const char *host)
{
	char *s = NULL;

	if (asprintf(&s, "%s\nroot %s\nhost %s", MARKER_HEAD, rootdir,
		     host) < 0) {
		return NULL;
	}
	return s;
}

char *claim_probe_checks(const char *chdir, const char *marker)
{
	char *chdir_q = shquote(chdir);
	char *marker_q = shquote(marker);
	char *s = NULL;

	if (chdir_q != NULL && marker_q != NULL &&
	    asprintf(&s, "%scd || exit 1; d=%s; cloud_chk \"$d\"; e=0; "
		     "cloud_old \"$d\" && "
		     "e=1; cloud_own \"$d\" %s \"$e\"", check_function,
		     chdir_q, marker_q) < 0) {
		s = NULL;
	}
	free(chdir_q);
	free(marker_q);
	return s;
}

char *claim_owner(const char *token, size_t node, const char *who)
{
	char *s = NULL;

	if (asprintf(&s, "pytest-cloud run %s node %zu %s", token, node,
		     who) < 0) {
		return NULL;
	}
	return s;
}

int claim_owner_parse(const char *text, const char *token, size_t *node,
		      char *shown, size_t len)
{
	static const char head[] = "pytest-cloud run ";
	const char *p = text;
	const char *tok;
	size_t toklen;
	char *end = NULL;
	unsigned long long k;

	snprintf(shown, len, "%.300s", text);
	if (strncmp(p, head, sizeof(head) - 1) != 0) {
		return 0;
	}
	tok = p + sizeof(head) - 1;
	toklen = strcspn(tok, " ");
	p = tok + toklen;
	if (strncmp(p, " node ", 6) != 0 || p[6] < '0' || p[6] > '9') {
		return 0;
	}
	k = strtoull(p + 6, &end, 10);
	if (end == NULL || (*end != ' ' && *end != '\0')) {
		return 0;
	}
	snprintf(shown, len, "pytest-cloud %.300s", *end ? end + 1 : "");
	if (toklen == 0 || toklen != strlen(token) ||
	    strncmp(tok, token, toklen) != 0) {
		return 0;
	}
	*node = (size_t)k;
	return 1;
}

/*
 * Under the lock: the checks again, CHDIR made when absent, the marker
 * written when the folder is not ours yet.  Prints "owner ..." and then
 * the last "chdir ..." line; a refusal ends the claim (exit 0).
 */
static const char take_dir[] =
	"s=$(cloud_chk \"$d\"); case $s in 'chdir dir'|'chdir absent') ;; "
	"*) echo \"$s\"; exit 0;; esac; "
	"x=$(cloud_own \"$d\" \"$w\" \"$e\"); echo \"$x\"; "
	"case $x in 'owner none') mkdir -p -- \"$d\" || exit 1;; "
	"'owner ours'|'owner empty'|'owner earlier'|'owner other '*) ;; "
	"*) echo \"$s\"; exit 0;; esac; "
	"if [ \"$x\" != 'owner ours' ]; then "
	"t=${d%/*}; [ \"$t\" = \"$d\" ] && t=.; t=$t/." CLAIM_MARKER ".$$; "
	"printf '%s\\n' \"$w\" > \"$t\" && mv -f -- \"$t\" "
	"\"$d/" CLAIM_MARKER "\" || exit 1; fi; "
	"s=$(cloud_chk \"$d\"); echo \"$s\"; "
	"[ \"$s\" = 'chdir dir' ] || exit 0; ";

/* Waits for the lock on fd 9 ($l), saying whose it is and, every second,
 * that it still waits; at most W seconds (%ld). */
static const char wait_lock[] =
	"n=0; b=; while ! flock -n 9; do "
	"c=$(head -c 300 -- \"$l\" 2>/dev/null | tr -d '\\r\\n'); "
	"if [ \"$c\" != \"$b\" ] || [ $n = 0 ]; then echo \"busy $c\"; "
	"b=$c; else echo wait; fi; "
	"[ $n -ge %ld ] && { echo 'lock timeout'; exit 0; }; "
	"n=$((n+1)); sleep 1; done; echo free || exit 0; ";

/*
 * cloud_hold WORD: says WORD ("locked", or "unlocked" without flock(1))
 * and holds the claim while the helper's heartbeat comes: a line at most
 * every beat_s seconds (coreutils' timeout, on every system with
 * flock(1), stops each wait; neither it nor its head holds the lock's
 * fd), each answered "alive", so the helper hears the node; ends when
 * the lines stop or stdin ends.  Before each answer the lock file must
 * still hold a text of this run (the run's own token, through any of
 * its nodes): where flock does not exclude (NFS without locks), another
 * run's text there is said ("taken TEXT") and the claim ends.
 */
static char *hold_function(const struct claim_spec *spec)
{
	char *mine = NULL;
	char *mine_q;
	char *s = NULL;

	if (asprintf(&mine, "pytest-cloud run %s ", spec->token) < 0) {
		return NULL;
	}
	mine_q = shquote(mine);
	free(mine);
	if (mine_q != NULL &&
	    asprintf(&s,
		     "cloud_ours() { c=$(head -c 300 -- \"$l\" 2>/dev/null | "
		     "tr -d '\\r\\n'); case $c in %s*) return 0;; esac; "
		     "printf 'taken %%s\\n' \"$c\"; return 1; }; "
		     "cloud_hold() { echo \"$1\" || return 0; "
		     "if command -v timeout >/dev/null 2>&1; then "
		     "while y=$(timeout %ld head -n 1 9>&-) && "
		     "[ -n \"$y\" ]; do cloud_ours || return 0; "
		     "echo alive || return 0; done; "
		     "else while IFS= read -r y; do cloud_ours || return 0; "
		     "echo alive || return 0; done; fi; }; ",
		     mine_q, spec->beat_s > 0 ? spec->beat_s : 60) < 0) {
		s = NULL;
	}
	free(mine_q);
	return s;
}

int claim_order(const char *host_a, int port_a, const char *host_b,
		int port_b)
{
	int c = strcmp(host_a, host_b);

	if (c == 0) {
		c = (port_a > port_b) - (port_a < port_b);
	}
	return c;
}

char *claim_command(const struct claim_spec *spec)
{
	char *chdir_q = shquote(spec->chdir);
	char *owner_q = shquote(spec->owner);
	char *marker_q = shquote(spec->marker);
	char *wait = NULL;
	char *hold = NULL;
	char *script = NULL;
	char *command = NULL;

	if (chdir_q == NULL || owner_q == NULL || marker_q == NULL ||
	    asprintf(&wait, wait_lock, spec->wait_s) < 0) {
		wait = NULL;
		goto out;
	}
	hold = hold_function(spec);
	if (hold == NULL) {
		goto out;
	}
	if (asprintf(&script,
		     "%sd=%s; o=%s; w=%s; %scd || exit 1; "
		     "e=0; cloud_old \"$d\" && e=1; "
		     /* before any lock: refuse what is plainly not ours */
		     "s=$(cloud_chk \"$d\"); case $s in 'chdir dir'|"
		     "'chdir absent') ;; *) echo \"$s\"; exit 0;; esac; "
		     "x=$(cloud_own \"$d\" \"$w\" \"$e\"); case $x in "
		     "'owner none'|'owner ours'|'owner empty'|"
		     "'owner earlier'|'owner other '*) ;; *) echo \"$x\"; "
		     "echo \"$s\"; "
		     "exit 0;; esac; "
		     "case $d in */*) p=${d%%/*};; *) p=.;; esac; "
		     "mkdir -p -- \"$p\" || exit 1; "
		     "l=$p/.${d##*/}.pytest-cloud-lock; "
		     "if [ -L \"$l\" ] || [ -L .pytest-cloud.lock ]; then "
		     "echo 'lockfile symlink'; exit 0; fi; "
		     "if ! command -v flock >/dev/null 2>&1; then "
		     "printf '%%s\\n' \"$o\" > \"$l\"; %s"
		     "cloud_hold unlocked; exit 0; fi; "
		     "exec 9>>\"$l\" || exit 1; %s"
		     "e=0; cloud_old \"$d\" && e=1; "
		     "printf '%%s\\n' \"$o\" > \"$l\"; "
		     "exec 8>>.pytest-cloud.lock || exit 1; "
		     "flock -w %ld 8 || { echo 'lock timeout'; exit 0; }; "
		     "echo free || exit 0; %sexec 8>&-; "
		     "cloud_hold locked; exit 0",
		     check_function, chdir_q, owner_q, marker_q, hold,
		     take_dir, wait, spec->wait_s + spec->home_wait_s,
		     take_dir) < 0) {
		script = NULL;
		goto out;
	}
	command = shquote_sh_command(script);
out:
	free(script);
	free(hold);
	free(wait);
	free(chdir_q);
	free(owner_q);
	free(marker_q);
	return command;
}

char *claim_lockfile_command(const char *chdir)
{
	char *chdir_q = shquote(chdir);
	char *script = NULL;
	char *command = NULL;

	if (chdir_q == NULL ||
	    asprintf(&script,
		     "d=%s; cd || exit 1; "
		     "case $d in */*) p=${d%%/*};; *) p=.;; esac; "
		     "head -c 400 -- \"$p/.${d##*/}.pytest-cloud-lock\"",
		     chdir_q) < 0) {
		script = NULL;
	} else {
		command = shquote_sh_command(script);
	}
	free(script);
	free(chdir_q);
	return command;
}

static int starts_with_word(const char *line, const char *word)
{
	size_t n = strlen(word);

	return strncmp(line, word, n) == 0 &&
	       (line[n] == '\0' || line[n] == ' ' || line[n] == '\r');
}

/* "chdir WORD [REAL]" into f. */
static void read_state(const char *line, struct chdir_facts *f)
{
	static const struct {
		const char *word;
		enum chdir_state state;
	} states[] = { { "dir", CHDIR_DIR },
		       { "absent", CHDIR_ABSENT },
		       { "notdir", CHDIR_NOTDIR },
		       { "readonly", CHDIR_READONLY },
		       { "symlink", CHDIR_SYMLINK },
		       { "outside", CHDIR_OUTSIDE } };
	const char *w = line + 5 + (line[5] == ' ');
	size_t wlen = strcspn(w, " \r\n");
	size_t i;

	f->state = CHDIR_UNKNOWN;
	f->real[0] = '\0';
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (wlen == strlen(states[i].word) &&
		    strncmp(w, states[i].word, wlen) == 0) {
			f->state = states[i].state;
		}
	}
	if (f->state == CHDIR_OUTSIDE) {
		const char *r = w + wlen + (w[wlen] == ' ');

		snprintf(f->real, sizeof(f->real), "%.*s",
			 (int)strcspn(r, "\r\n"), r);
	}
}

/* "owner WORD [TEXT]" into f. */
static void read_owner(const char *line, struct chdir_facts *f)
{
	static const struct {
		const char *word;
		enum chdir_owner owner;
	} owners[] = { { "none", OWNER_NONE },
		       { "ours", OWNER_OURS },
		       { "empty", OWNER_EMPTY },
		       { "earlier", OWNER_EARLIER },
		       { "other", OWNER_OTHER },
		       { "foreign", OWNER_FOREIGN },
		       { "contains", OWNER_CONTAINS },
		       { "inside", OWNER_INSIDE },
		       { "badmarker", OWNER_BADMARKER },
		       { "stale", OWNER_STALE } };
	const char *w = line + 5 + (line[5] == ' ');
	size_t wlen = strcspn(w, " \r\n");
	const char *rest = w + wlen + (w[wlen] == ' ');
	size_t restlen = strcspn(rest, "\r\n");
	size_t i;

	f->owner = OWNER_UNKNOWN;
	f->where[0] = '\0';
	f->marker[0] = '\0';
	for (i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		if (wlen == strlen(owners[i].word) &&
		    strncmp(w, owners[i].word, wlen) == 0) {
			f->owner = owners[i].owner;
		}
	}
	if (f->owner == OWNER_OTHER) {
		snprintf(f->marker, sizeof(f->marker), "%.*s", (int)restlen,
			 rest);
	} else if (f->owner == OWNER_CONTAINS || f->owner == OWNER_INSIDE) {
		size_t plen = strcspn(rest, "\t\r\n");

		snprintf(f->where, sizeof(f->where), "%.*s", (int)plen, rest);
		if (rest[plen] == '\t') {
			snprintf(f->marker, sizeof(f->marker), "%.*s",
				 (int)(restlen - plen - 1), rest + plen + 1);
		}
	}
}

enum claim_event claim_line(const char *line, struct chdir_facts *f,
			    char *text, size_t textlen)
{
	if (textlen > 0) {
		text[0] = '\0';
	}
	if (starts_with_word(line, "chdir")) {
		read_state(line, f);
		return CLAIM_STATE;
	}
	if (starts_with_word(line, "owner")) {
		read_owner(line, f);
		return CLAIM_OWNER;
	}
	if (starts_with_word(line, "busy")) {
		const char *who = line + 4 + (line[4] == ' ');

		snprintf(text, textlen, "%.*s", (int)strcspn(who, "\r"), who);
		return CLAIM_BUSY;
	}
	if (strcmp(line, "wait") == 0) {
		return CLAIM_WAIT;
	}
	if (strcmp(line, "lock timeout") == 0) {
		return CLAIM_TIMEOUT;
	}
	if (strcmp(line, "lockfile symlink") == 0) {
		return CLAIM_LOCKLINK;
	}
	if (strcmp(line, "locked") == 0) {
		return CLAIM_LOCKED;
	}
	if (strcmp(line, "unlocked") == 0) {
		return CLAIM_UNLOCKED;
	}
	return CLAIM_OTHER;
}

void claim_parse(const char *text, struct chdir_facts *f)
{
	const char *p = text;

	memset(f, 0, sizeof(*f));
	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, "\n");
		char line[1024];

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if (starts_with_word(line, "chdir")) {
			read_state(line, f);
		} else if (starts_with_word(line, "owner")) {
			read_owner(line, f);
		}
		p = p[len] == '\n' ? p + len + 1 : NULL;
	}
}

/* The value of the marker line "KEY value" in m (tabs for newlines). */
static int marker_field(const char *m, const char *key, char *buf,
			size_t len)
{
	size_t klen = strlen(key);
	const char *p = m;

	while (p != NULL && *p != '\0') {
		size_t n = strcspn(p, "\t");

		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == ' ') {
			snprintf(buf, len, "%.*s", (int)(n - klen - 1),
				 p + klen + 1);
			return 1;
		}
		p = p[n] == '\t' ? p + n + 1 : NULL;
	}
	return 0;
}

const char *claim_describe_marker(const char *m, char *buf, size_t len)
{
	char root[300];
	char host[200];

	if (m[0] == '\0') {
		snprintf(buf, len, "a folder of an earlier pytest-cloud "
			 "release");
	} else if (marker_field(m, "root", root, sizeof(root)) &&
		   marker_field(m, "host", host, sizeof(host))) {
		snprintf(buf, len, "the copy of project '%s' from host '%s'",
			 root, host);
	} else {
		snprintf(buf, len, "a folder whose marker reads '%.200s'", m);
	}
	return buf;
}

static const char *state_refusal(const struct chdir_facts *f,
				 const char *chdir, char *buf, size_t len)
{
	switch (f->state) {
	case CHDIR_NOTDIR:
		snprintf(buf, len, "'%s' exists on the node and is not a "
			 "folder (left as it is)", chdir);
		return buf;
	case CHDIR_READONLY:
		snprintf(buf, len, "'%s' on the node is not writable", chdir);
		return buf;
	case CHDIR_SYMLINK:
		snprintf(buf, len, "'%s' on the node is a symbolic link (left "
			 "as it is: rsync --delete would empty what it points "
			 "to)", chdir);
		return buf;
	case CHDIR_OUTSIDE:
		snprintf(buf, len, "'%s' on the node resolves to '%s', which "
			 "is not inside the login's home (left as it is)",
			 chdir, f->real[0] ? f->real : "?");
		return buf;
	case CHDIR_UNKNOWN:
		snprintf(buf, len, "the node did not say what '%s' is", chdir);
		return buf;
	case CHDIR_DIR:
	case CHDIR_ABSENT:
		break;
	}
	return NULL;
}

const char *claim_refusal(const struct chdir_facts *f, const char *chdir,
			  char *buf, size_t len)
{
	char other[600];

	if (state_refusal(f, chdir, buf, len) != NULL) {
		return buf;
	}
	switch (f->owner) {
	case OWNER_NONE:
	case OWNER_OURS:
	case OWNER_EMPTY:
	case OWNER_EARLIER:
	case OWNER_OTHER: /* a copy pytest-cloud made: made again */
		return NULL;
	case OWNER_UNKNOWN:
		snprintf(buf, len, "the node did not say whose '%s' is",
			 chdir);
		break;
	case OWNER_STALE:
		snprintf(buf, len, "'%s' on the node was last used by an "
			 "earlier pytest-cloud release (0.2) over "
			 EARLIER_DAYS " days ago, and may hold files of "
			 "someone's since: choose another cloud_chdir, or empty "
			 "that folder on the node (left as it is)", chdir);
		break;
	case OWNER_FOREIGN:
		snprintf(buf, len, "'%s' on the node is a folder that "
			 "pytest-cloud did not make (not empty, no "
			 CLAIM_MARKER " in it): choose another cloud_chdir, or "
			 "empty that folder on the node (left as it is)",
			 chdir);
		break;
	case OWNER_CONTAINS:
		snprintf(buf, len, "'%s' on the node contains '%s', %s: choose "
			 "another cloud_chdir (left as it is)", chdir,
			 f->where, claim_describe_marker(f->marker, other,
							 sizeof(other)));
		break;
	case OWNER_INSIDE:
		snprintf(buf, len, "'%s' on the node is inside '%s', %s: "
			 "choose another cloud_chdir (left as it is)", chdir,
			 f->where, claim_describe_marker(f->marker, other,
							 sizeof(other)));
		break;
	case OWNER_BADMARKER:
		snprintf(buf, len, "'%s/" CLAIM_MARKER "' on the node is a "
			 "link or not a regular file (left as it is)", chdir);
		break;
	}
	return buf;
}
