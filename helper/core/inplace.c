/* inplace: a node that sees the project runs it there (see inplace.h). */
#define _GNU_SOURCE
#include "inplace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shquote.h"

#define MARK_DIR ".pytest_cache/pytest-cloud"

char *inplace_mark_dir(const char *rootdir)
{
	char *s = NULL;

	if (asprintf(&s, "%s/" MARK_DIR, rootdir) < 0) {
		return NULL;
	}
	return s;
}

char *inplace_mark_path(const char *rootdir, const char *token)
{
	char *s = NULL;

	if (asprintf(&s, "%s/" MARK_DIR "/seen-%s", rootdir, token) < 0) {
		return NULL;
	}
	return s;
}

char *inplace_probe_part(const char *rootdir, const char *token)
{
	char *path = inplace_mark_path(rootdir, token);
	char *path_q = path ? shquote(path) : NULL;
	char *token_q = shquote(token);
	char *s = NULL;

	if (path_q != NULL && token_q != NULL &&
	    asprintf(&s, "if [ -f %s ] && [ ! -L %s ] && "
		     "[ \"$(head -c 100 %s 2>/dev/null)\" = %s ]; then "
		     "echo 'inplace yes'; else echo 'inplace no'; fi",
		     path_q, path_q, path_q, token_q) < 0) {
		s = NULL;
	}
	free(path);
	free(path_q);
	free(token_q);
	return s;
}

int inplace_seen(const char *probe_out)
{
	const char *p = probe_out;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, "inplace yes", 11) == 0 &&
		    (p[11] == '\n' || p[11] == '\r' || p[11] == '\0')) {
			return 1;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return 0;
}

int inplace_usable(const struct cloud_config *cfg,
		   const struct interp_choice *interp, char *why,
		   size_t whylen)
{
	if (strcmp(cfg->in_place, "no") == 0) {
		snprintf(why, whylen, "cloud_in_place = no");
		return 0;
	}
	if (cfg->venv_rel != NULL && interp->how != INTERP_SAME &&
	    interp->how != INTERP_NONE) {
		snprintf(why, whylen, "the node sees the project at its path, "
			 "but the virtualenv's python is not there as it is "
			 "here: copied");
		return 0;
	}
	return 1;
}

char *inplace_python(const struct cloud_config *cfg)
{
	char *s = NULL;

	if (cfg->venv_rel == NULL) {
		return strdup(cfg->python);
	}
	if (asprintf(&s, "%s/%s/bin/python", cfg->rootdir, cfg->venv_rel) < 0) {
		return NULL;
	}
	return s;
}
