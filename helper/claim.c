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

char *claim_command(const char *chdir)
{
	char *q = shquote(chdir);
	char *script = NULL;
	char *command = NULL;

	if (q == NULL) {
		return NULL;
	}
	/* made only when the check allows it; checked again once made */
	if (asprintf(&script,
		     "%sd=%s; s=$(cloud_chk \"$d\"); "
		     "case $s in 'chdir absent') "
		     "(cd && mkdir -p -- \"$d\") || exit 1; "
		     "s=$(cloud_chk \"$d\");; esac; echo \"$s\"",
		     check_function, q) < 0) {
		script = NULL;
	}
	free(q);
	if (script != NULL) {
		command = shquote_sh_command(script);
		free(script);
	}
	return command;
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
