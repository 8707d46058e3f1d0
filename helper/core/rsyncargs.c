/* rsyncargs: rsync's argv and its output, built and read (see
 * rsyncargs.h). */
#define _GNU_SOURCE
#include "rsyncargs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "claim.h"
#include "copyset.h"
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

int rsync_build_list_argv(const struct cloud_config *cfg, struct strvec *out)
{
	int rc = 0;

	rc |= strvec_push(out, "rsync");
	rc |= strvec_push(out, "--archive");
	rc |= strvec_push(out, "--hard-links");
	rc |= strvec_push(out, "--list-only");
	rc |= strvec_push(out, "--no-human-readable");
	rc |= push_project_filters(cfg, NULL, out);
	rc |= strvec_push(out, "--");
	rc |= strvec_pushf(out, "%s/", cfg->rootdir);
	return rc ? -1 : 0;
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
