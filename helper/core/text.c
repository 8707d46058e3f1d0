/* text: bounded and cleaned node text (see text.h). */
#define _GNU_SOURCE
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void textcap_init(struct textcap *cap)
{
	memset(cap, 0, sizeof(*cap));
}

void textcap_add(struct textcap *cap, const char *data, size_t n)
{
	size_t take = TEXTCAP_PART - cap->headlen;

	cap->total += n;
	if (take > n) {
		take = n;
	}
	memcpy(cap->head + cap->headlen, data, take);
	cap->headlen += take;
	data += take;
	n -= take;
	if (n > TEXTCAP_PART) { /* only the last part can be kept */
		data += n - TEXTCAP_PART;
		n = TEXTCAP_PART;
	}
	while (n > 0) {
		size_t room = TEXTCAP_PART - cap->tailpos;
		size_t k = n < room ? n : room;

		memcpy(cap->tail + cap->tailpos, data, k);
		cap->tailpos = (cap->tailpos + k) % TEXTCAP_PART;
		cap->taillen += k;
		if (cap->taillen > TEXTCAP_PART) {
			cap->taillen = TEXTCAP_PART;
		}
		data += k;
		n -= k;
	}
}

char *textcap_text(const struct textcap *cap)
{
	unsigned long long left_out =
		cap->total - cap->headlen - cap->taillen;
	char gap[80] = "";
	size_t start = (cap->tailpos + TEXTCAP_PART - cap->taillen) %
		       TEXTCAP_PART;
	size_t first = TEXTCAP_PART - start;
	char *out;
	size_t n;

	if (left_out > 0) {
		snprintf(gap, sizeof(gap), "\n[... %llu bytes left out ...]\n",
			 left_out);
	}
	out = malloc(cap->headlen + strlen(gap) + cap->taillen + 1);
	if (out == NULL) {
		return NULL;
	}
	memcpy(out, cap->head, cap->headlen);
	n = cap->headlen;
	memcpy(out + n, gap, strlen(gap));
	n += strlen(gap);
	if (first > cap->taillen) {
		first = cap->taillen;
	}
	memcpy(out + n, cap->tail + start, first);
	memcpy(out + n + first, cap->tail, cap->taillen - first);
	n += cap->taillen;
	out[n] = '\0';
	return out;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
static size_t utf8_length(const unsigned char *p)
{
	size_t n;
	unsigned int min;
	unsigned int v;
	size_t i;

	if (p[0] < 0x80) {
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2, min = 0x80, v = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3, min = 0x800, v = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4, min = 0x10000, v = p[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return 0; /* also stops at the NUL */
		}
		v = (v << 6) | (p[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
		return 0;
	}
	return n;
}

char *text_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p != '\0') {
		size_t n = utf8_length(p);

		if (n == 0 || (*p < 0x20 && *p != '\t' && *p != '\n') ||
		    *p == 0x7f) {
			*p++ = '?';
			continue;
		}
		if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			p[0] = p[1] = '?'; /* C1 controls: CSI and the like */
		}
		p += n;
	}
	return s;
}

const char *text_line(const char **p, size_t *len)
{
	const char *line = *p;

	if (line == NULL || *line == '\0') {
		return NULL;
	}
	*len = strcspn(line, "\n");
	*p = line + *len + (line[*len] == '\n');
	return line;
}

void text_first_line(const char *text, char *buf, size_t len)
{
	const char *p = text + strspn(text, "\r\n ");
	size_t n = strcspn(p, "\r\n");

	while (n > 0 && p[n - 1] == ' ') {
		n--;
	}
	snprintf(buf, len, "%.*s", (int)n, p);
}

void text_last_line(const char *text, char *buf, size_t len)
{
	const char *end = text + strlen(text);
	const char *start;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' ||
			      end[-1] == ' ')) {
		end--;
	}
	start = end;
	while (start > text && start[-1] != '\n') {
		start--;
	}
	snprintf(buf, len, "%.*s", (int)(end - start), start);
}

size_t text_word(const char **p)
{
	*p += strspn(*p, " \t\r\n");
	return strcspn(*p, " \t\r\n");
}

int text_char_in(char c, const char *punct)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr(punct, c) != NULL);
}

int text_only(const char *s, const char *punct)
{
	for (; *s != '\0'; s++) {
		if (!text_char_in(*s, punct)) {
			return 0;
		}
	}
	return 1;
}
