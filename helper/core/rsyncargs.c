/* rsyncargs: rsync's argv and its output, built and read (see
 * rsyncargs.h). */
#define _GNU_SOURCE
#include "rsyncargs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "adopt.h"
#include "buf.h"
#include "claim.h"
#include "copyset.h"
#include "shquote.h"
#include "sshmux.h"
#include "sshopts.h"

int rsync_rsh_quote(const char *arg, const char *prefix, char *buf,
		    size_t len)
{
	size_t n = strlen(prefix);
	const char *p;

	if (n + 3 > len) {
		return -1;
	}
	memcpy(buf, prefix, n);
	buf[n++] = '\'';
	for (p = arg; *p != '\0'; p++) {
		size_t need = *p == '\'' ? 2 : 1;

		if (n + need + 2 > len) {
			return -1;
		}
		buf[n++] = *p;
		if (*p == '\'') {
			buf[n++] = '\''; /* rsync: '' inside '...' is one ' */
		}
	}
	buf[n++] = '\'';
	buf[n] = '\0';
	return 0;
}

static int build_rsh(const struct cloud_config *cfg,
		     const struct node_report *r, char **out, char *err,
		     size_t errlen)
{
	char *s = NULL;
	char *common = sshopts_common(cfg);
	char *pin = sshg_pin(&r->ssh);
	char *mux = sshmux_client_opts(r);
	char cfgpart[4200] = "";
	char portpart[32] = "";
	char client[4200] = "";
	char sock[200] = "";

	if (common == NULL || pin == NULL || mux == NULL) {
		snprintf(err, errlen, "out of memory");
		free(common);
		free(pin);
		free(mux);
		return -1;
	}

	if (cfg->ssh_config != NULL &&
	    rsync_rsh_quote(cfg->ssh_config, " -F ", cfgpart,
			    sizeof(cfgpart)) < 0) {
		snprintf(err, errlen, "ssh config path too long");
		free(common);
		free(pin);
		free(mux);
		return -1;
	}
	/* with a master of ours, the mux client runs rsync's session
	 * through it without starting ssh (and runs this ssh when it
	 * cannot: muxmain.c) */
	if (mux != NULL && mux[0] != '\0' && r->mux_client != NULL &&
	    (rsync_rsh_quote(r->mux_client, "", client, sizeof(client)) < 0 ||
	     rsync_rsh_quote(r->mux_path, " ", sock, sizeof(sock) - 1) < 0)) {
		snprintf(err, errlen, "mux client path too long");
		free(common);
		free(pin);
		free(mux);
		return -1;
	}
	if (sock[0] != '\0') {
		strcat(sock, " ");
	}
	if (r->addr.port != 0) {
		snprintf(portpart, sizeof(portpart), " -p %d", r->addr.port);
	}
	/* pinned where the probe went (sshg.h), through the node's master
	 * (sshmux.h; its words are plain: the path needs no quotes) */
	if (asprintf(&s, "%s%sssh %s%s%s -o Compression=no -c %s%s%s%s%s",
		     client, sock, common, pin[0] ? " " : "", pin,
		     cfg->rsync_cipher, mux[0] ? " " : "", mux, cfgpart,
		     portpart) < 0) {
		snprintf(err, errlen, "out of memory");
		free(common);
		free(pin);
		free(mux);
		return -1;
	}
	free(common);
	free(pin);
	free(mux);
	*out = s;
	return 0;
}

/* rsync's I/O timeout, which counts from its start: its ssh may take
 * the connect timeout to set up (ConnectTimeout bounds it), and after
 * that a node silent for the keepalive fails the copy (ssh's
 * ServerAlive* notice a dead link; this, a remote rsync that stops).  A
 * busy controller's handshakes no longer eat into the copy's bound. */
static long rsync_io_timeout(const struct cloud_config *cfg)
{
	return cfg->connect_timeout + cfg->keepalive;
}

/* rsync and the options every copy has. */
static int push_head(const struct cloud_config *cfg, struct strvec *out,
		     int mirror)
{
	int rc = 0;

	rc |= strvec_push(out, "rsync");
	rc |= strvec_push(out, "--archive");
	rc |= strvec_push(out, "--hard-links");
	if (mirror) {
		rc |= strvec_push(out, "--delete");
	}
	rc |= strvec_push(out, "--stats");
	rc |= strvec_pushf(out, "--timeout=%ld", rsync_io_timeout(cfg));
	return rc;
}

/* The bandwidth limit, the ssh command, then src/ and HOST:dest/. */
static int push_tail(const struct cloud_config *cfg,
		     const struct node_report *r, const char *src,
		     const char *dest, struct strvec *out, char *err,
		     size_t errlen)
{
	char *rsh = NULL;
	int rc = 0;

	if (build_rsh(cfg, r, &rsh, err, errlen) < 0) {
		return -1;
	}
	if (cfg->rsync_bandwidth_limit > 0) {
		rc |= strvec_pushf(out, "--bwlimit=%ld",
				   cfg->rsync_bandwidth_limit);
	}
	rc |= strvec_pushf(out, "--rsh=%s", rsh);
	rc |= strvec_push(out, "--");
	rc |= strvec_pushf(out, "%s/", src);
	rc |= strvec_pushf(out, "%s%s%s:%s/", r->addr.user ? r->addr.user : "",
			   r->addr.user ? "@" : "", r->addr.host, dest);
	free(rsh);
	if (rc != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* The filter rules of the project copy: caches, CHDIR's marker, the kept
 * paths, then copyset_filters. */
static int push_project_filters(const struct cloud_config *cfg,
				const struct strvec *keep, struct strvec *out)
{
	size_t i;
	int rc = 0;

	rc |= strvec_push(out, "--exclude=__pycache__");
	rc |= strvec_push(out, "--exclude=*.pyc");
	rc |= strvec_push(out, "--exclude=.pytest_cache");
	/* CHDIR's marker (claim.h): neither copied nor deleted */
	rc |= strvec_push(out, "--exclude=/" CLAIM_MARKER);
	for (i = 0; keep != NULL && i < keep->n; i++) {
		rc |= strvec_pushf(out, "--exclude=/%s", keep->v[i]);
	}
	rc |= copyset_filters(cfg, cfg->git_needed_by != NULL, out);
	return rc;
}

int rsync_build_argv(const struct cloud_config *cfg,
		     const struct node_report *r, const struct strvec *keep,
		     struct strvec *out, char *err, size_t errlen)
{
	int rc = push_head(cfg, out, 1);

	rc |= push_project_filters(cfg, keep, out);
	if (rc != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return push_tail(cfg, r, cfg->rootdir, cfg->chdir, out, err, errlen);
}

int rsync_build_check_argv(const struct cloud_config *cfg,
			   const struct strvec *keep, const char *dir,
			   struct strvec *out)
{
	int rc = 0;

	rc |= strvec_push(out, "rsync");
	rc |= strvec_push(out, "--archive");
	rc |= strvec_push(out, "--hard-links");
	rc |= strvec_push(out, "--list-only");
	rc |= strvec_push(out, "--no-human-readable");
	rc |= push_project_filters(cfg, keep, out);
	rc |= strvec_push(out, "--");
	/* a relative path with a ':' ("a:b") would be rsync's host "a" */
	rc |= strvec_pushf(out, "%s%s/", dir[0] == '/' ? "" : "./", dir);
	return rc ? -1 : 0;
}

int rsync_build_list_argv(const struct cloud_config *cfg, struct strvec *out)
{
	return rsync_build_check_argv(cfg, NULL, cfg->rootdir, out);
}

const char *const rsync_check_env[] = { "LC_ALL=C", "TZ=UTC0", NULL };

/* The node's half of the unchanged check (rsyncargs.h), as shell text:
 * the listing's words quoted, its status after it, the same reading as
 * rsync_check_digest's, then SHA-256. */
static const char check_tail[] =
	" 2>/dev/null; echo \"rsync $?\"; } | "
	"LC_ALL=C awk 'NR > 1 { if (/^d/) sub(/ +[0-9]+ [0-9]+\\/[0-9]+\\/"
	"[0-9]+ [0-9]+:[0-9]+:[0-9]+ /, \" \"); print }' | "
	"{ sha256sum 2>/dev/null || shasum -a 256 2>/dev/null; }";

char *rsync_check_command(const struct cloud_config *cfg,
			  const struct strvec *keep)
{
	struct strvec argv = STRVEC_INIT;
	struct buf b = BUF_INIT;
	char *script = NULL;
	char *command = NULL;
	size_t i;
	int failed = rsync_build_check_argv(cfg, keep, cfg->chdir, &argv);

	buf_printf(&b, "{");
	for (i = 0; rsync_check_env[i] != NULL; i++) {
		buf_printf(&b, " %s", rsync_check_env[i]);
	}
	for (i = 0; !failed && i < argv.n; i++) {
		char *q = shquote(argv.v[i]);

		if (q == NULL) {
			failed = 1;
		} else {
			buf_printf(&b, " %s", q);
		}
		free(q);
	}
	buf_printf(&b, "%s", check_tail);
	script = buf_take(&b);
	if (!failed && script != NULL) {
		command = shquote_sh_command(script);
	}
	free(script);
	strvec_clear(&argv);
	return command;
}

/* Past at least one digit from k, then the character sep; where the
 * scan ends, or 0 when that is not there. */
static size_t digits_then(const char *s, size_t len, size_t k, char sep)
{
	size_t d = k;

	while (d < len && s[d] >= '0' && s[d] <= '9') {
		d++;
	}
	if (d == k || d == len || s[d] != sep) {
		return 0;
	}
	return d + 1;
}

/* The end of " +SIZE Y/M/D H:M:S " at i (the node's awk regular
 * expression), or 0 when it does not start there. */
static size_t folder_fields_end(const char *s, size_t len, size_t i)
{
	static const char seps[] = " // :: "; /* after each number */
	size_t k = i;
	size_t f;

	while (k < len && s[k] == ' ') {
		k++;
	}
	if (k == i) {
		return 0;
	}
	for (f = 0; k != 0 && f < sizeof(seps) - 1; f++) {
		k = digits_then(s, len, k, seps[f]);
	}
	return k;
}

/* A line of the listing as the check reads it: a folder's ("d...")
 * without its size and time (the first place where the fields match,
 * as the node's awk sub() finds it): both are the file system's and
 * the files', not the copy's. */
static void add_check_line(struct buf *b, const char *line, size_t len)
{
	size_t i;

	for (i = 0; len > 0 && line[0] == 'd' && i < len; i++) {
		size_t end = line[i] == ' ' ? folder_fields_end(line, len, i)
					    : 0;

		if (end != 0) {
			buf_add(b, line, i);
			buf_add(b, " ", 1);
			buf_add(b, line + end, len - end);
			buf_add(b, "\n", 1);
			return;
		}
	}
	buf_add(b, line, len);
	buf_add(b, "\n", 1);
}

char *rsync_check_text(const char *listing, size_t len, int status)
{
	struct buf b = BUF_INIT;
	size_t start = 0;
	size_t lineno = 0;

	/* the status line goes through the same reading, after the rest:
	 * alone, it is the first line, and dropped */
	while (start < len) {
		const char *nl = memchr(listing + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - listing) : len;

		if (lineno++ > 0) {
			add_check_line(&b, listing + start, end - start);
		}
		start = end + 1;
	}
	if (lineno > 0) {
		buf_printf(&b, "rsync %d\n", status);
	}
	return buf_take(&b);
}

int rsync_check_digest(const char *listing, size_t len, int status,
		       char hex[RSYNC_CHECK_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *text = rsync_check_text(listing, len, status);
	unsigned int i;
	int rc = -1;

	if (text != NULL &&
	    EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) &&
	    mdlen * 2 == RSYNC_CHECK_HEX) {
		for (i = 0; i < mdlen; i++) {
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		}
		rc = 0;
	}
	free(text);
	return rc;
}

int rsync_check_parse(const char *output, char hex[RSYNC_CHECK_HEX + 1])
{
	size_t i;

	for (i = 0; output != NULL && i < RSYNC_CHECK_HEX; i++) {
		char c = output[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return -1;
		}
		hex[i] = c;
	}
	if (output == NULL || (output[i] != ' ' && output[i] != '\n' &&
			       output[i] != '\0')) {
		return -1;
	}
	hex[i] = '\0';
	return 0;
}

int rsync_build_copy_argv(const struct cloud_config *cfg,
			  const struct node_report *r, const char *src,
			  const char *dest, const struct strvec *filters,
			  struct strvec *out, char *err, size_t errlen)
{
	size_t i;
	int rc = push_head(cfg, out, 0);

	for (i = 0; i < filters->n; i++) {
		rc |= strvec_push(out, filters->v[i]);
	}
	if (rc != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return push_tail(cfg, r, src, dest, out, err, errlen);
}

long long rsync_parse_stat(const char *output, const char *key)
{
	const char *p = output ? strstr(output, key) : NULL;
	long long v = 0;
	int digits = 0;

	if (p == NULL) {
		return -1;
	}
	for (p += strlen(key); *p == ' '; p++) {
	}
	for (; (*p >= '0' && *p <= '9') || *p == ','; p++) {
		if (*p != ',') {
			v = v * 10 + (*p - '0');
			digits++;
		}
		if (digits > 18) {
			return -1;
		}
	}
	return digits ? v : -1;
}

long long rsync_progress_bytes(const char *data, size_t len)
{
	size_t i = len;
	long long v = 0;
	int digits = 0;

	while (i > 0 && data[i - 1] != '\r') {
		i--;
	}
	if (i == 0) {
		return -1;
	}
	while (i < len && data[i] == ' ') {
		i++;
	}
	for (; i < len && ((data[i] >= '0' && data[i] <= '9') ||
			   data[i] == ','); i++) {
		if (data[i] != ',' && digits < 18) {
			v = v * 10 + (data[i] - '0');
			digits++;
		}
	}
	return digits ? v : -1;
}
