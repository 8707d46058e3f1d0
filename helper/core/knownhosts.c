/* knownhosts: revoked keys (see knownhosts.h). */
#include "knownhosts.h"

#include <string.h>

/* The next whitespace-separated word of *p: its start, its length in
 * *len (0 at the end of the line). */
static const char *word(const char **p, size_t *len)
{
	const char *w = *p + strspn(*p, " \t");

	*len = strcspn(w, " \t\r\n");
	*p = w + *len;
	return w;
}

static int is(const char *w, size_t len, const char *s)
{
	return len > 0 && len == strlen(s) && strncmp(w, s, len) == 0;
}

int knownhosts_revoked(const char *text, const char *keytype,
		       const char *b64)
{
	const char *line = text;

	while (line != NULL && *line != '\0') {
		const char *p = line;
		const char *w;
		size_t len;

		w = word(&p, &len);
		if (is(w, len, "@revoked")) {
			word(&p, &len); /* host patterns: any */
			w = word(&p, &len);
			if (is(w, len, keytype)) {
				w = word(&p, &len);
				if (is(w, len, b64)) {
					return 1;
				}
			}
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return 0;
}
