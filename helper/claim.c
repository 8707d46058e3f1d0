/* claim: CHDIR checked and made on the node (see claim.h). */
#define _GNU_SOURCE
#include "claim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shquote.h"

/*
 * A subshell that starts in the home.  h: the home's real path ("" for
 * "/").  p walks up from CHDIR to the
 * nearest path that exists ("." is the home); r is its real path.  An
 * existing CHDIR must lie strictly inside the home, a parent may be the
 * home itself.
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
	"*) echo \"chdir outside $r\";; esac; fi ); ";

const char *claim_check_function(void)
{
	return check_function;
}

/* Makes CHDIR when absent and prints its state; the refused states end
 * the claim (no lock file, nothing made). */
static const char make_dir[] =
	"s=$(cloud_chk \"$d\"); case $s in 'chdir absent') "
	"mkdir -p -- \"$d\" || exit 1; s=$(cloud_chk \"$d\");; esac; "
	"echo \"$s\"; [ \"$s\" = 'chdir dir' ] || exit 0; ";

char *claim_command(const char *chdir, const char *owner, long wait_s)
{
	char *chdir_q = shquote(chdir);
	char *owner_q = shquote(owner);
	char *script = NULL;
	char *command = NULL;
	char wait[64];

	if (chdir_q == NULL || owner_q == NULL) {
		goto out;
	}
	if (wait_s > 0) {
		snprintf(wait, sizeof(wait), "flock -w %ld 9 || ", wait_s);
	} else {
		wait[0] = '\0';
	}
	if (asprintf(&script,
		     "%sd=%s; o=%s; cd || exit 1; "
		     "s=$(cloud_chk \"$d\"); case $s in 'chdir dir'|"
		     "'chdir absent') ;; *) echo \"$s\"; exit 0;; esac; "
		     "case $d in */*) p=${d%%/*};; *) p=.;; esac; "
		     "mkdir -p -- \"$p\" || exit 1; "
		     "if ! command -v flock >/dev/null 2>&1; then %s"
		     "echo unlocked; exit 0; fi; "
		     "l=$p/.${d##*/}.pytest-cloud-lock; "
		     "if [ -L \"$l\" ]; then echo 'lockfile symlink'; exit 0; fi; "
		     "exec 9>>\"$l\" || exit 1; "
		     "if ! flock -n 9; then "
		     "echo \"busy $(head -c 300 \"$l\" | tr -d '\\r\\n')\"; "
		     "%s{ echo 'lock timeout'; exit 0; }; fi; "
		     "printf '%%s\\n' \"$o\" > \"$l\"; %s"
		     "echo locked; exec cat >/dev/null",
		     check_function, chdir_q, owner_q, make_dir, wait,
		     make_dir) < 0) {
		script = NULL;
		goto out;
	}
	command = shquote_sh_command(script);
out:
	free(script);
	free(chdir_q);
	free(owner_q);
	return command;
}

static int starts_with_word(const char *line, const char *word)
{
	size_t n = strlen(word);

	return strncmp(line, word, n) == 0 &&
	       (line[n] == '\0' || line[n] == ' ' || line[n] == '\r');
}

enum claim_event claim_line(const char *line, enum chdir_state *state,
			    char *text, size_t textlen)
{
	if (textlen > 0) {
		text[0] = '\0';
	}
	if (starts_with_word(line, "chdir")) {
		*state = claim_parse(line, text, textlen);
		return CLAIM_STATE;
	}
	if (starts_with_word(line, "busy")) {
		const char *who = line + 4 + (line[4] == ' ');

		snprintf(text, textlen, "%.*s", (int)strcspn(who, "\r"), who);
		return CLAIM_BUSY;
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

enum chdir_state claim_parse(const char *text, char *real, size_t reallen)
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
	enum chdir_state found = CHDIR_UNKNOWN;
	const char *p = text;

	if (reallen > 0) {
		real[0] = '\0';
	}
	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, "\n");
		size_t i;

		if (len > 6 && strncmp(p, "chdir ", 6) == 0) {
			const char *w = p + 6;
			size_t wlen = strcspn(w, " \r\n");

			for (i = 0; i < sizeof(states) / sizeof(states[0]);
			     i++) {
				if (wlen == strlen(states[i].word) &&
				    strncmp(w, states[i].word, wlen) == 0) {
					found = states[i].state;
				}
			}
			if (found == CHDIR_OUTSIDE && reallen > 0) {
				const char *r = w + wlen + (w[wlen] == ' ');
				size_t rlen = strcspn(r, "\r\n");

				snprintf(real, reallen, "%.*s", (int)rlen, r);
			}
		}
		p = p[len] == '\n' ? p + len + 1 : NULL;
	}
	return found;
}

const char *claim_refusal(enum chdir_state s, const char *chdir,
			  const char *real, char *buf, size_t len)
{
	switch (s) {
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
			 chdir, real && real[0] ? real : "?");
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
