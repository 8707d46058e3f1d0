/*
 * text: what the helper does with text a node sends.  Pure.
 *
 * A node may send anything, at any rate: a textcap keeps the first and
 * the last bytes of it (memory bounded whatever the node sends) and counts
 * the rest.  text_clean makes node text safe to print and to put in JSON:
 * valid UTF-8 (each byte of an invalid sequence becomes '?') and no control
 * characters but tab and newline (as OpenSSH strips server strings), so no
 * escape sequence reaches the user's terminal.
 */
#ifndef PYTEST_CLOUD_TEXT_H
#define PYTEST_CLOUD_TEXT_H

#include <stddef.h>

#define TEXTCAP_PART 4096 /* bytes kept at each end */

struct textcap {
	char head[TEXTCAP_PART];
	size_t headlen;
	char tail[TEXTCAP_PART]; /* a ring of the last bytes */
	size_t tailpos;          /* where the next byte goes */
	size_t taillen;
	unsigned long long total; /* bytes added in all */
};

/* Empties cap (it holds no pointers: nothing to release). */
void textcap_init(struct textcap *cap);

/* Adds n bytes. */
void textcap_add(struct textcap *cap, const char *data, size_t n);

/*
 * The kept text, NUL-terminated, newly allocated (caller frees), or NULL
 * when out of memory: all of it, or its first and last parts with
 * "\n[... N bytes left out ...]\n" between them.
 */
char *textcap_text(const struct textcap *cap);

/* Makes s valid UTF-8 without control characters (but '\t', '\n'), in
 * place: each byte that does not fit becomes '?'.  Returns s. */
char *text_clean(char *s);

/*
 * The lines of a text, one by one: returns the line at *p (its start, and
 * its length without the '\n' in *len) and moves *p past it; NULL when
 * *p is at the end.  A last line without '\n' counts; a '\n' at the end
 * starts no empty line.  '\r' is the caller's.  The one way the core
 * splits text into lines:
 *
 *	for (line = text_line(&p, &len); line != NULL;
 *	     line = text_line(&p, &len)) {
 */
const char *text_line(const char **p, size_t *len);

/* The first or last non-empty line of text (without "\r\n" or trailing
 * spaces), cut to fit, in buf. */
void text_first_line(const char *text, char *buf, size_t len);
void text_last_line(const char *text, char *buf, size_t len);

/* The one character class of names and values: an ASCII letter or
 * digit, or one of punct. */
int text_char_in(char c, const char *punct);

/* Whether every character of s is in that class. */
int text_only(const char *s, const char *punct);

/* The next whitespace-separated word of *p: skips blanks (space, tab,
 * CR, LF), leaves *p at the word and returns its length, 0 at the end. */
size_t text_word(const char **p);

#endif
