/* hostrange: expanding "node[01-16,20]" (see hostrange.h). */
#include "hostrange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTRANGE_DIGITS 9          /* most digits of a number */
#define HOSTRANGE_COUNT_CAP 1000000000000000000ULL /* counted exactly
						       * up to this */

struct hr_range {
	unsigned long lo;
	unsigned long hi;
	int width; /* digits of LO as written: the names' width */
};

/* A piece of the word: literal text, or a group (ranges[first..+n)). */
struct hr_seg {
	const char *text; /* the literal, or the group's '[' */
	size_t len;       /* of the literal, or of the group with brackets */
	int group;
	size_t first;
	size_t n;
};

struct hr_pattern {
	struct hr_seg *segs;
	size_t nsegs;
	struct hr_range *ranges;
	size_t nranges;
};

int hostrange_has(const char *word)
{
	return strpbrk(word, "[]") != NULL;
}

static void pattern_release(struct hr_pattern *p)
{
	free(p->segs);
	p->segs = NULL;
	free(p->ranges);
	p->ranges = NULL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads the number at *p (at least one digit); advances *p.  Returns
 * its digits, or -1 (too wide: why says so). */
static int read_number(const char **p, unsigned long *v, char *why,
		       size_t whylen)
{
	const char *s = *p;
	size_t len = strspn(s, "0123456789");
	size_t i;

	if (len > HOSTRANGE_DIGITS) {
		snprintf(why, whylen,
			 "number '%.*s' is too wide (most %d digits)",
			 len > 40 ? 40 : (int)len, s, HOSTRANGE_DIGITS);
		return -1;
	}
	*v = 0;
	for (i = 0; i < len; i++) {
		*v = *v * 10 + (unsigned long)(s[i] - '0');
	}
	*p = s + len;
	return (int)len;
}

/* Says what is wrong with character c where an item was expected. */
static int bad_char(char c, const char *group, size_t glen, char *why,
		    size_t whylen)
{
	if (c == '\0') {
		snprintf(why, whylen, "'[' is never closed");
	} else if (c == '[') {
		snprintf(why, whylen,
			 "'[' inside a group (groups do not nest)");
	} else if (c == ',' || c == ']' || c == '-') {
		snprintf(why, whylen,
			 "group '%.*s' has an item that is not a number or "
			 "a range LO-HI",
			 (int)glen, group);
	} else if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f) {
		snprintf(why, whylen,
			 "byte 0x%02x in a group (only digits, ',' and '-')",
			 (unsigned char)c);
	} else {
		snprintf(why, whylen, "'%c' in a group (only digits, ',' and "
			 "'-')", c);
	}
	return -1;
}

/* Parses one item, NUMBER or LO-HI, at *p into r; advances *p. */
static int parse_item(const char **p, const char *group, size_t glen,
		      struct hr_range *r, char *why, size_t whylen)
{
	const char *lo_text = *p;
	const char *hi_text;
	int lo_w;
	int hi_w;

	if (!is_digit(**p)) {
		return bad_char(**p, group, glen, why, whylen);
	}
	lo_w = read_number(p, &r->lo, why, whylen);
	if (lo_w < 0) {
		return -1;
	}
	r->hi = r->lo;
	r->width = lo_w;
	if (**p != '-') {
		return 0;
	}
	(*p)++;
	hi_text = *p;
	if (!is_digit(**p)) {
		return bad_char(**p, group, glen, why, whylen);
	}
	hi_w = read_number(p, &r->hi, why, whylen);
	if (hi_w < 0) {
		return -1;
	}
	if (r->hi < r->lo) {
		snprintf(why, whylen, "range '%.*s-%.*s' is reversed", lo_w,
			 lo_text, hi_w, hi_text);
		return -1;
	}
	if (hi_w > 1 && hi_text[0] == '0' && hi_w != lo_w) {
		snprintf(why, whylen,
			 "range '%.*s-%.*s': the bounds are padded to "
			 "different widths",
			 lo_w, lo_text, hi_w, hi_text);
		return -1;
	}
	return 0;
}

/* The group at *p ('[' ... ']') into pat; advances *p past its ']'. */
static int parse_group(const char **p, struct hr_pattern *pat, char *why,
		       size_t whylen)
{
	const char *group = *p;
	const char *close = strchr(group, ']');
	size_t glen = close ? (size_t)(close - group) + 1 : strlen(group);
	struct hr_seg *seg = &pat->segs[pat->nsegs++];

	if (glen > 60) {
		glen = 60; /* for messages */
	}
	seg->text = group;
	seg->group = 1;
	seg->first = pat->nranges;
	seg->n = 0;
	(*p)++;
	if (**p == ']') {
		snprintf(why, whylen, "empty group '[]'");
		return -1;
	}
	for (;;) {
		if (parse_item(p, group, glen, &pat->ranges[pat->nranges],
			       why, whylen) < 0) {
			return -1;
		}
		pat->nranges++;
		seg->n++;
		if (**p == ']') {
			break;
		}
		if (**p != ',') {
			return bad_char(**p, group, glen, why, whylen);
		}
		(*p)++;
	}
	(*p)++;
	seg->len = (size_t)(*p - group);
	return 0;
}

/* Splits word into literals and groups. */
static int parse(const char *word, struct hr_pattern *pat, char *why,
		 size_t whylen)
{
	size_t len = strlen(word);
	const char *p = word;

	pat->nsegs = 0;
	pat->nranges = 0;
	pat->segs = calloc(len + 1, sizeof(*pat->segs));
	pat->ranges = calloc(len + 1, sizeof(*pat->ranges));
	if (pat->segs == NULL || pat->ranges == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	while (*p != '\0') {
		size_t lit = strcspn(p, "[]");

		if (lit > 0) {
			struct hr_seg *seg = &pat->segs[pat->nsegs++];

			seg->text = p;
			seg->len = lit;
			p += lit;
			continue;
		}
		if (*p == ']') {
			snprintf(why, whylen, "']' without '['");
			return -1;
		}
		if (parse_group(&p, pat, why, whylen) < 0) {
			return -1;
		}
	}
	return 0;
}

/* How many names pat gives; *exact is 0 when more than
 * HOSTRANGE_COUNT_CAP (and then the count is that cap). */
static unsigned long long count_names(const struct hr_pattern *pat,
				      int *exact)
{
	unsigned long long total = 1;
	size_t i;
	size_t j;

	*exact = 1;
	for (i = 0; i < pat->nsegs; i++) {
		unsigned long long group = 0;

		if (!pat->segs[i].group) {
			continue;
		}
		for (j = 0; j < pat->segs[i].n; j++) {
			const struct hr_range *r =
				&pat->ranges[pat->segs[i].first + j];

			group += (unsigned long long)(r->hi - r->lo) + 1;
		}
		/* group <= 1024 ranges of 10^9: no overflow */
		if (group > HOSTRANGE_COUNT_CAP / total) {
			*exact = 0;
			return HOSTRANGE_COUNT_CAP;
		}
		total *= group;
	}
	return total;
}

/* The name for the current value of each group (cur[seg]). */
static void build_name(const struct hr_pattern *pat,
		       const unsigned long *cur, const size_t *ri, char *name)
{
	char *o = name;
	size_t i;

	for (i = 0; i < pat->nsegs; i++) {
		const struct hr_seg *s = &pat->segs[i];

		if (s->group) {
			int w = pat->ranges[s->first + ri[i]].width;

			o += sprintf(o, "%0*lu", w, cur[i]);
		} else {
			memcpy(o, s->text, s->len);
			o += s->len;
		}
	}
	*o = '\0';
}

/* Moves the groups' values on by one, the last group fastest; returns 0
 * after the last name. */
static int advance(const struct hr_pattern *pat, unsigned long *cur,
		   size_t *ri)
{
	size_t i = pat->nsegs;

	while (i-- > 0) {
		const struct hr_seg *s = &pat->segs[i];

		if (!s->group) {
			continue;
		}
		if (cur[i] < pat->ranges[s->first + ri[i]].hi) {
			cur[i]++;
			return 1;
		}
		if (ri[i] + 1 < s->n) {
			ri[i]++;
			cur[i] = pat->ranges[s->first + ri[i]].lo;
			return 1;
		}
		ri[i] = 0;
		cur[i] = pat->ranges[s->first].lo;
	}
	return 0;
}

/* Appends every name of pat to out; on failure out is cut back. */
static int expand(const struct hr_pattern *pat, const char *word,
		  struct strvec *out, char *why, size_t whylen)
{
	size_t before = out->n;
	unsigned long *cur = calloc(pat->nsegs + 1, sizeof(*cur));
	size_t *ri = calloc(pat->nsegs + 1, sizeof(*ri));
	/* a number's text is never longer than its group's */
	char *name = malloc(strlen(word) + 1);
	size_t i;
	int rc = -1;

	if (cur == NULL || ri == NULL || name == NULL) {
		goto out;
	}
	for (i = 0; i < pat->nsegs; i++) {
		if (pat->segs[i].group) {
			cur[i] = pat->ranges[pat->segs[i].first].lo;
		}
	}
	do {
		build_name(pat, cur, ri, name);
		if (strvec_push(out, name) < 0) {
			goto out;
		}
	} while (advance(pat, cur, ri));
	rc = 0;
out:
	if (rc < 0) {
		while (out->n > before) {
			free(out->v[--out->n]);
			out->v[out->n] = NULL;
		}
		snprintf(why, whylen, "out of memory");
	}
	free(name);
	free(ri);
	free(cur);
	return rc;
}

int hostrange_expand(const char *word, size_t max, struct strvec *out,
		     char *why, size_t whylen)
{
	struct hr_pattern pat = { NULL, 0, NULL, 0 };
	unsigned long long n;
	int exact;
	int rc = -1;

	if (!hostrange_has(word)) {
		if (strvec_push(out, word) < 0) {
			snprintf(why, whylen, "out of memory");
			return -1;
		}
		return 0;
	}
	if (strlen(word) > HOSTRANGE_MAX_WORD) {
		snprintf(why, whylen, "longer than %d characters",
			 HOSTRANGE_MAX_WORD);
		return -1;
	}
	if (parse(word, &pat, why, whylen) < 0) {
		goto out;
	}
	n = count_names(&pat, &exact);
	if (n > max) {
		snprintf(why, whylen, "expands to %s%llu names (most %zu)",
			 exact ? "" : "more than ", n, max);
		goto out;
	}
	rc = expand(&pat, word, out, why, whylen);
out:
	pattern_release(&pat);
	return rc;
}
