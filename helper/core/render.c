/* render: specs, JSON and the table (see render.h). */
#define _GNU_SOURCE
#include "render.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "copyset.h"
#include "develop.h"
#include "inplace.h"
#include "shquote.h"
#include "sshmux.h"
#include "sshopts.h"
#include "version.h"

/* Longest worker python path in a spec (the virtualenv's, relative to
 * the project root). */
#define PATH_MAX_SPEC 4200

/* The node's ssh destination as execnet passes it to ssh. */
static void ssh_destination(const struct node_report *r, char *buf,
			    size_t len)
{
	if (r->addr.port != 0) {
		/* execnet splits the value into ssh's arguments; OpenSSH takes
		 * options after the destination too */
		snprintf(buf, len, "%s%s%s -p %d",
			 r->addr.user ? r->addr.user : "",
			 r->addr.user ? "@" : "", r->addr.host, r->addr.port);
	} else {
		snprintf(buf, len, "%s", r->name);
	}
}

void render_gateway_id(const struct node_report *nodes, size_t i, char *buf,
		       size_t len)
{
	size_t j;

	for (j = 0; j < i; j++) {
		if (strcmp(nodes[j].addr.host, nodes[i].addr.host) == 0) {
			snprintf(buf, len, "%s-%zu", nodes[i].addr.host, i);
			return;
		}
	}
	snprintf(buf, len, "%s", nodes[i].addr.host);
}

/* The worker python as the proxy starts it, from CHDIR. */
static const char *popen_python(const struct cloud_config *cfg, char *buf,
				size_t len)
{
	if (cfg->venv_rel == NULL) {
		return cfg->python;
	}
	snprintf(buf, len, "%s/bin/python", cfg->venv_rel);
	return buf;
}

/* Appends " WORD" to b, quoted for shlex (and so the shell) only when it
 * holds more than letters, digits and "@%+=:,./_-". */
static void spec_word(struct buf *b, const char *w)
{
	char *q;

	if (w[0] != '\0' &&
	    strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789@%+=:,./_-") == strlen(w)) {
		buf_printf(b, " %s", w);
		return;
	}
	q = shquote(w);
	if (q == NULL) {
		b->oom = 1;
		return;
	}
	buf_printf(b, " %s", q);
	free(q);
}

/* Appends each space-separated word of words (as execnet splits an ssh
 * spec) with spec_word. */
static void spec_words(struct buf *b, const char *words)
{
	while (*words != '\0') {
		size_t n = strcspn(words, " ");

		if (n > 0) {
			char *w = strndup(words, n);

			if (w == NULL) {
				b->oom = 1;
				return;
			}
			spec_word(b, w);
			free(w);
		}
		words += n + (words[n] == ' ');
	}
}

/*
 * A node with a master of ours and the mux client beside the helper: its
 * gateway is a popen one whose python is the mux client on the master's
 * socket (muxmain.c, --quote: execnet appends its python's arguments to
 * these words), given the ssh command line it would otherwise run.  The
 * destination's port goes before it, where the mux client reads the
 * options.  Newly allocated ("" when the node has no such master), or
 * NULL when out of memory.
 */
static char *mux_python(const struct cloud_config *cfg,
			const struct node_report *r, const char *opts,
			const char *pin, const char *mux, const char *python)
{
	struct buf b = BUF_INIT;
	char port[16];
	char dest[600];
	char *q;

	if (mux[0] == '\0' || r->mux_client == NULL) {
		return strdup("");
	}
	/* the program's path always quoted, the rest where it must be */
	q = shquote(r->mux_client);
	buf_printf(&b, "%s --quote", q ? q : "");
	b.oom |= q == NULL;
	free(q);
	spec_word(&b, r->mux_path);
	spec_words(&b, "ssh");
	spec_words(&b, opts);
	spec_words(&b, pin);
	spec_words(&b, mux);
	if (cfg->ssh_config != NULL) {
		spec_words(&b, "-F");
		spec_word(&b, cfg->ssh_config);
	}
	if (r->addr.port != 0) {
		snprintf(port, sizeof(port), "%d", r->addr.port);
		spec_words(&b, "-p");
		spec_word(&b, port);
		snprintf(dest, sizeof(dest), "%s%s%s",
			 r->addr.user ? r->addr.user : "",
			 r->addr.user ? "@" : "", r->addr.host);
		spec_word(&b, dest);
	} else {
		spec_word(&b, r->name);
	}
	spec_word(&b, python);
	return buf_take(&b);
}

static int render_node(const struct cloud_config *cfg,
		       const struct node_report *nodes, size_t i,
		       struct render_specs *out)
{
	const struct node_report *r = &nodes[i];
	char ssh[600];
	char id[300];
	char py[PATH_MAX_SPEC];
	const char *popen_py = popen_python(cfg, py, sizeof(py));
	char *inplace_py = r->in_place ? inplace_python(cfg) : NULL;
	char *via_mux;
	long p;
	int rc;

	char *opts = sshopts_common(cfg);
	char *pin = sshg_pin(&r->ssh);
	char *mux = sshmux_client_opts(r);

	if (opts == NULL || pin == NULL || mux == NULL ||
	    (r->in_place && !inplace_py)) {
		free(opts);
		free(pin);
		free(mux);
		free(inplace_py);
		return -1;
	}
	ssh_destination(r, ssh, sizeof(ssh));
	render_gateway_id(nodes, i, id, sizeof(id));
	via_mux = mux_python(cfg, r, opts, pin, mux,
			     r->in_place ? inplace_py : cfg->worker_python);
	if (via_mux == NULL) {
		rc = -1;
	} else if (via_mux[0] != '\0') {
		rc = strvec_pushf(&out->px,
				  "popen//id=%s//chdir=%s//python=%s"
				  "//execmodel=thread", id,
				  r->in_place ? cfg->rootdir : cfg->chdir,
				  via_mux);
	} else {
		/* pinned where the probe went (sshg.h), through the node's
		 * master (sshmux.h), before the destination */
		rc = strvec_pushf(&out->px,
				  "ssh=%s%s%s%s%s %s//id=%s//chdir=%s//python=%s"
				  "//execmodel=thread%s%s",
				  opts, pin[0] ? " " : "", pin, mux[0] ? " " : "",
				  mux, ssh, id,
				  r->in_place ? cfg->rootdir : cfg->chdir,
				  r->in_place ? inplace_py : cfg->worker_python,
				  cfg->ssh_config ? "//ssh_config=" : "",
				  cfg->ssh_config ? cfg->ssh_config : "");
	}
	free(via_mux);
	free(opts);
	free(pin);
	free(mux);
	free(inplace_py);
	for (p = 0; rc == 0 && p < r->processes; p++) {
		rc = strvec_pushf(&out->tx, "popen//id=%s_%ld//via=%s//python=%s",
				  id, p, id, popen_py);
	}
	return rc;
}

int render_specs(const struct cloud_config *cfg,
		 const struct node_report *nodes, size_t n,
		 struct render_specs *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (nodes[i].state == NODE_OK &&
		    render_node(cfg, nodes, i, out) < 0) {
			return -1;
		}
	}
	return 0;
}

void render_specs_release(struct render_specs *s)
{
	strvec_clear(&s->px);
	strvec_clear(&s->tx);
}

/* Where a node's limit came from, when an allocation gives one: "64
 * CPUs, 16 in the allocation". */
static int alloc_text(const struct node_report *r, char *buf, size_t len)
{
	if (r->alloc_cpus <= 0 || !r->have_cpus) {
		return 0;
	}
	snprintf(buf, len, "%ld CPU%s, %ld in the allocation", r->cpus,
		 r->cpus == 1 ? "" : "s", r->alloc_cpus);
	return 1;
}

static void add_allocation(cJSON *o, const struct node_report *r)
{
	char text[96];
	cJSON *a;

	if (!alloc_text(r, text, sizeof(text))) {
		return;
	}
	a = cJSON_AddObjectToObject(o, "allocation");
	if (a != NULL) {
		cJSON_AddNumberToObject(a, "cpus", (double)r->alloc_cpus);
		cJSON_AddStringToObject(a, "from",
					r->alloc_from ? r->alloc_from : "");
		cJSON_AddStringToObject(a, "limit", text);
	}
}

static const char *state_name(enum node_state s)
{
	return s == NODE_OK ? "ok" : "excluded";
}

static cJSON *number_or_null(int have, double v)
{
	return have ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* Where OpenSSH goes for the node, and who said so. */
static void add_ssh(cJSON *o, const struct sshg *g)
{
	cJSON *s = cJSON_AddObjectToObject(o, "ssh");

	if (s == NULL) {
		return;
	}
	cJSON_AddStringToObject(s, "hostname", g->hostname);
	cJSON_AddNumberToObject(s, "port", g->port);
	if (g->user != NULL) {
		cJSON_AddStringToObject(s, "user", g->user);
	}
	if (g->host_key_alias != NULL) {
		cJSON_AddStringToObject(s, "host_key_alias", g->host_key_alias);
	}
	cJSON_AddStringToObject(s, "from", g->from_ssh ? "ssh -G" : "libssh");
}

/* The node's master connection (sshmux.h), when it has one. */
static void add_master(cJSON *o, const struct node_report *r)
{
	cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "ssh");
	const char *how = sshmux_state_name(r->mux);

	if (s == NULL || how == NULL) {
		return;
	}
	cJSON_AddStringToObject(s, "master", how);
	if (r->mux_path != NULL) {
		cJSON_AddStringToObject(s, "control_path", r->mux_path);
	}
}

static cJSON *node_json(const struct node_report *nodes, size_t i)
{
	const struct node_report *r = &nodes[i];
	cJSON *o = cJSON_CreateObject();
	char id[300];

	if (o == NULL) {
		return NULL;
	}
	cJSON_AddStringToObject(o, "node", r->name);
	cJSON_AddStringToObject(o, "status", state_name(r->state));
	if (r->state == NODE_OK) {
		render_gateway_id(nodes, i, id, sizeof(id));
		cJSON_AddStringToObject(o, "gateway", id);
	}
	if (r->state != NODE_OK) {
		cJSON_AddStringToObject(o, "reason",
					r->reason ? r->reason : "unknown");
	}
	if (r->note != NULL) {
		cJSON_AddStringToObject(o, "note", r->note);
	}
	if (r->shares_with >= 0) {
		cJSON_AddStringToObject(o, "shares_folder_with",
					nodes[r->shares_with].name);
	}
	if (r->in_place) {
		cJSON_AddBoolToObject(o, "in_place", 1);
	}
	if (r->interp.how != INTERP_NONE) {
		cJSON *p = cJSON_AddObjectToObject(o, "interpreter");

		if (p != NULL) {
			cJSON_AddStringToObject(p, "how",
						interp_how_name(r->interp.how));
			cJSON_AddStringToObject(p, "path", r->interp.path);
			cJSON_AddStringToObject(p, "version",
						r->interp.version);
			if (r->interp_bytes > 0) {
				cJSON_AddNumberToObject(p, "bytes_sent",
							(double)r->interp_bytes);
			}
		}
	}
	cJSON_AddItemToObject(o, "cpus", number_or_null(r->have_cpus,
							(double)r->cpus));
	cJSON_AddItemToObject(o, "mem_available_mb",
			      number_or_null(r->have_mem,
					     (double)r->mem_available_mb));
	cJSON_AddItemToObject(o, "processes",
			      number_or_null(r->have_cpus,
					     (double)r->processes));
	add_allocation(o, r);
	cJSON_AddNumberToObject(o, "probe_seconds", r->probe_seconds);
	if (r->ssh.hostname != NULL) {
		add_ssh(o, &r->ssh);
		add_master(o, r);
	}
	if (r->synced) {
		cJSON *s = cJSON_AddObjectToObject(o, "sync");

		if (s != NULL) {
			cJSON_AddNumberToObject(s, "bytes_sent",
						(double)r->bytes_sent);
			cJSON_AddNumberToObject(s, "files_sent",
						(double)r->files_sent);
			cJSON_AddNumberToObject(s, "seconds", r->sync_seconds);
			cJSON_AddBoolToObject(s, "unchanged", r->unchanged);
		}
	}
	return o;
}

static void add_strings(cJSON *root, const char *key,
			const struct strvec *v)
{
	cJSON *arr = cJSON_AddArrayToObject(root, key);
	size_t i;

	for (i = 0; arr != NULL && i < v->n; i++) {
		cJSON_AddItemToArray(arr, cJSON_CreateString(v->v[i]));
	}
}

/* The worker check, for a conftest that runs it in its gateways. */
static void add_worker_check(cJSON *root, const struct cloud_config *cfg)
{
	cJSON *check = cJSON_AddObjectToObject(root, "worker_check");
	struct strvec args = STRVEC_INIT;

	if (check == NULL) {
		return;
	}
	cJSON_AddStringToObject(check, "by", cfg->gateway_check ? "gateway"
								  : "helper");
	cJSON_AddStringToObject(check, "source", develop_worker_check());
	if (develop_check_args(cfg, &args) == 0) {
		add_strings(check, "args", &args);
	}
	strvec_clear(&args);
}

/* A listing's entries as [{name, dir, files, bytes[, why]}]. */
static void add_entries(cJSON *obj, const char *key,
			const struct copyset_list *l, int why)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, key);
	size_t i;

	for (i = 0; arr != NULL && i < l->n; i++) {
		cJSON *e = cJSON_CreateObject();
		const struct copyset_default *d =
			why ? copyset_default_for(l->v[i].name) : NULL;

		if (e == NULL) {
			return;
		}
		cJSON_AddStringToObject(e, "name", l->v[i].name);
		cJSON_AddBoolToObject(e, "dir", l->v[i].dir);
		cJSON_AddNumberToObject(e, "files", (double)l->v[i].files);
		cJSON_AddNumberToObject(e, "bytes", (double)l->v[i].bytes);
		if (d != NULL) {
			cJSON_AddStringToObject(e, "why", d->why);
		}
		cJSON_AddItemToArray(arr, e);
	}
}

static void add_copy(cJSON *root, const struct copyset_list *copied,
		     const struct copyset_list *left)
{
	cJSON *copy = cJSON_AddObjectToObject(root, "copy");

	if (copy == NULL) {
		return;
	}
	cJSON_AddNumberToObject(copy, "files", (double)copied->files);
	cJSON_AddNumberToObject(copy, "bytes", (double)copied->bytes);
	add_entries(copy, "entries", copied, 0);
	if (left != NULL) {
		add_entries(copy, "left_out", left, 1);
	}
}

/* key: value, or key: null when value is NULL */
static void add_string_or_null(cJSON *obj, const char *key, const char *value)
{
	if (value != NULL) {
		cJSON_AddStringToObject(obj, key, value);
	} else {
		cJSON_AddNullToObject(obj, key);
	}
}

char *render_json(const struct cloud_config *cfg,
		  const struct node_report *nodes, size_t n,
		  const struct render_specs *specs,
		  const struct run_timings *t,
		  const struct copyset_list *copied,
		  const struct copyset_list *left)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr;
	char *text = NULL;
	char *out = NULL;
	size_t i;

	if (root == NULL) {
		return NULL;
	}
	cJSON_AddStringToObject(root, "helper_version", PYTEST_CLOUD_VERSION);
	add_strings(root, "tx", &specs->tx);
	add_strings(root, "px", &specs->px);
	arr = cJSON_AddArrayToObject(root, "nodes");
	for (i = 0; arr != NULL && i < n; i++) {
		cJSON_AddItemToArray(arr, node_json(nodes, i));
	}
	cJSON_AddStringToObject(root, "rootdir", cfg->rootdir);
	add_string_or_null(root, "inifile", cfg->inifile);
	cJSON_AddStringToObject(root, "chdir", cfg->chdir);
	cJSON_AddStringToObject(root, "python", cfg->worker_python);
	cJSON_AddNumberToObject(root, "connect_timeout",
				(double)cfg->connect_timeout);
	cJSON_AddNumberToObject(root, "keepalive", (double)cfg->keepalive);
	cJSON_AddStringToObject(root, "schedule", cfg->schedule);
	cJSON_AddBoolToObject(root, "fork", strcmp(cfg->fork, "no") != 0);
	cJSON_AddNumberToObject(root, "sync_timeout", (double)cfg->sync_timeout);
	add_string_or_null(root, "report", cfg->report);
	add_string_or_null(root, "timeline", cfg->timeline);
	add_worker_check(root, cfg);
	cJSON_AddBoolToObject(root, "dry_run", cfg->dry_run);
	if (copied != NULL) {
		add_copy(root, copied, left);
	}
	if (t != NULL) {
		cJSON *secs = cJSON_AddObjectToObject(root, "seconds");

		if (secs != NULL) {
			cJSON_AddNumberToObject(secs, "probe", t->probe);
			cJSON_AddNumberToObject(secs, "sync", t->sync);
			cJSON_AddNumberToObject(secs, "prepare", t->prepare);
		}
	}
	text = cJSON_Print(root);
	if (text != NULL) {
		out = strdup(text);
		cJSON_free(text);
	}
	cJSON_Delete(root);
	return out;
}

static void format_mem(const struct node_report *r, char *buf, size_t len)
{
	if (r->have_mem) {
		snprintf(buf, len, "%ld MiB", r->mem_available_mb);
	} else {
		snprintf(buf, len, "-");
	}
}

char *render_table(const struct node_report *nodes, size_t n)
{
	struct buf f = BUF_INIT;
	size_t width = 4;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(nodes[i].name) > width) {
			width = strlen(nodes[i].name);
		}
	}
	buf_printf(&f, "%-*s  %5s  %12s  %9s  %s\n", (int)width, "NODE", "CPUS",
		"FREE MEMORY", "PROCESSES", "STATUS");
	for (i = 0; i < n; i++) {
		const struct node_report *r = &nodes[i];
		char mem[32];
		char cpus[24];
		char alloc[96];

		format_mem(r, mem, sizeof(mem));
		snprintf(cpus, sizeof(cpus), r->have_cpus ? "%ld" : "-",
			 r->cpus);
		buf_printf(&f, "%-*s  %5s  %12s  %9ld  %s", (int)width, r->name,
			   cpus, mem, r->processes, state_name(r->state));
		if (r->state != NODE_OK) {
			buf_printf(&f, ": %s", r->reason ? r->reason : "");
		} else if (r->shares_with >= 0) {
			buf_printf(&f, " (the folder of '%s')",
				   nodes[r->shares_with].name);
		} else if (r->in_place) {
			buf_printf(&f, " (in place)");
		}
		if (r->state == NODE_OK &&
		    alloc_text(r, alloc, sizeof(alloc))) {
			buf_printf(&f, ", %s", alloc);
		}
		if (r->state == NODE_OK && r->interp.how != INTERP_NONE) {
			char python[700];

			buf_printf(&f, ", %s", interp_describe(&r->interp,
							       python,
							       sizeof(python)));
		}
		buf_printf(&f, "\n");
	}
	return buf_take(&f);
}
