/* text: bounded and cleaned node text. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "text.h"

static void test_textcap_small(void)
{
	struct textcap cap;
	char *t;

	textcap_init(&cap);
	t = textcap_text(&cap);
	CU_ASSERT_STRING_EQUAL(t, "");
	free(t);
	textcap_add(&cap, "abc", 3);
	textcap_add(&cap, "def\n", 4);
	t = textcap_text(&cap);
	CU_ASSERT_STRING_EQUAL(t, "abcdef\n");
	free(t);
}

/* A flood keeps its first and last parts, whatever its size, and the
 * count of what went. */
static void test_textcap_flood(void)
{
	struct textcap cap;
	char chunk[1000];
	char *t;
	size_t i;

	textcap_init(&cap);
	textcap_add(&cap, "first line\n", 11);
	memset(chunk, 'y', sizeof(chunk));
	for (i = 0; i < 10000; i++) { /* 10 MB */
		textcap_add(&cap, chunk, sizeof(chunk));
	}
	textcap_add(&cap, "\nlast line\n", 11);
	t = textcap_text(&cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_TRUE(strlen(t) < 2 * TEXTCAP_PART + 80);
	CU_ASSERT_EQUAL(strncmp(t, "first line\nyyy", 14), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "\n[... 9991830 bytes left out ...]\n"));
	CU_ASSERT_STRING_EQUAL(t + strlen(t) - 16, "yyyyy\nlast line\n");
	CU_ASSERT_EQUAL(cap.total, 11 + 10000000 + 11);
	free(t);
	/* one add larger than both parts together */
	textcap_init(&cap);
	{
		size_t n = 3 * TEXTCAP_PART;
		char *big = malloc(n);

		CU_ASSERT_PTR_NOT_NULL_FATAL(big);
		for (i = 0; i < n; i++) {
			big[i] = (char)('a' + (i / TEXTCAP_PART));
		}
		textcap_add(&cap, big, n);
		free(big);
	}
	t = textcap_text(&cap);
	CU_ASSERT_EQUAL(t[0], 'a');
	CU_ASSERT_EQUAL(t[strlen(t) - 1], 'c');
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "[... 4096 bytes left out ...]"));
	free(t);
}

static void test_clean(void)
{
	static const struct {
		const char *in;
		const char *out;
	} rows[] = {
		{ "plain text\tand tab\nline", "plain text\tand tab\nline" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d", /* UTF-8 kept */
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d" },
		{ "\xff\x80x", "??x" },                 /* invalid bytes */
		{ "cut \xe2\x82", "cut ??" },           /* a cut character */
		{ "\xc0\xaf", "??" },                   /* overlong */
		{ "\xed\xa0\x80", "???" },              /* a surrogate */
		{ "\xf4\x90\x80\x80", "????" },         /* past U+10FFFF */
		{ "\x1b]0;owned\x07\x1b[2J", "?]0;owned??[2J" }, /* escapes */
		{ "\xc2\x9b" "31m", "??31m" },          /* C1 CSI */
		{ "cr\r\x7f", "cr??" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *s = strdup(rows[i].in);

		CU_ASSERT_STRING_EQUAL(text_clean(s), rows[i].out);
		free(s);
	}
}

static void test_lines(void)
{
	char buf[16];

	text_first_line("\n\n  first one  \nsecond\n", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "first one");
	text_last_line("one\ntwo  \r\n\n", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "two");
	text_last_line("", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "");
	text_first_line("a line longer than the buffer", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "a line longer t");
}

/* text_line: each row's text split into lines, joined with '|'. */
static void test_text_line(void)
{
	static const struct {
		const char *text;
		const char *want;
		int lines;
	} rows[] = {
		{ "", "", 0 },
		{ "a", "a", 1 },
		{ "a\n", "a", 1 },            /* no empty line after the last */
		{ "a\nb", "a|b", 2 },         /* a last line without newline */
		{ "\n", "", 1 },              /* one empty line */
		{ "\n\na\n\n", "||a|", 4 },
		{ "a\r\nb\r\n", "a\r|b\r", 2 }, /* '\r' is the caller's */
		{ " x y \n\tz", " x y |\tz", 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *p = rows[i].text;
		const char *line;
		size_t len = 99;
		char got[64] = "";
		size_t at = 0;
		int lines = 0;

		for (line = text_line(&p, &len); line != NULL;
		     line = text_line(&p, &len)) {
			CU_ASSERT_PTR_NULL(memchr(line, '\n', len));
			at += (size_t)snprintf(got + at, sizeof(got) - at,
					       "%s%.*s", lines ? "|" : "",
					       (int)len, line);
			lines++;
		}
		CU_ASSERT_STRING_EQUAL(got, rows[i].want);
		CU_ASSERT_EQUAL(lines, rows[i].lines);
		CU_ASSERT_EQUAL(*p, '\0'); /* at the end, and stays there */
		CU_ASSERT_PTR_NULL(text_line(&p, &len));
	}
}

int suite_text(void)
{
	CU_pSuite s = CU_add_suite("text", NULL, NULL);

	return (s && CU_add_test(s, "textcap small", test_textcap_small) &&
		CU_add_test(s, "textcap flood", test_textcap_flood) &&
		CU_add_test(s, "clean", test_clean) &&
		CU_add_test(s, "lines", test_lines) &&
		CU_add_test(s, "text_line", test_text_line))
		       ? 0
		       : -1;
}
