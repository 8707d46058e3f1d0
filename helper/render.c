/* render: specs, JSON and the table (see render.h). */
#define _GNU_SOURCE
#include "render.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int render_one(const struct cloud_config *cfg,
		      const struct node_report *r, long index,
		      struct strvec *tx)
{
	char ssh[600];
	char cfgpart[4200] = "";

	if (r->addr.port != 0) {
		/* execnet splits the value into ssh's arguments; OpenSSH takes
		 * options after the destination too */
		snprintf(ssh, sizeof(ssh), "%s%s%s -p %d",
			 r->addr.user ? r->addr.user : "",
			 r->addr.user ? "@" : "", r->addr.host, r->addr.port);
	} else {
		snprintf(ssh, sizeof(ssh), "%s", r->name);
	}
	if (cfg->ssh_config != NULL) {
		snprintf(cfgpart, sizeof(cfgpart), "//ssh_config=%s",
			 cfg->ssh_config);
	}
	return strvec_pushf(tx, "ssh=%s//id=%s_%ld//chdir=%s//python=%s%s",
			    ssh, r->addr.host, index, cfg->chdir,
			    cfg->worker_python, cfgpart);
}

int render_specs(const struct cloud_config *cfg,
		 const struct node_report *nodes, size_t n, struct strvec *tx)
{
	size_t i;
	long p;

	for (i = 0; i < n; i++) {
		if (nodes[i].state != NODE_OK) {
			continue;
		}
		for (p = 0; p < nodes[i].processes; p++) {
			if (render_one(cfg, &nodes[i], p, tx) < 0) {
				return -1;
			}
		}
	}
	return 0;
}

static const char *state_name(enum node_state s)
{
	return s == NODE_OK ? "ok" : "excluded";
}

static cJSON *number_or_null(int have, double v)
{
	return have ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *node_json(const struct node_report *r)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL) {
		return NULL;
	}
	cJSON_AddStringToObject(o, "node", r->name);
	cJSON_AddStringToObject(o, "status", state_name(r->state));
	if (r->state != NODE_OK) {
		cJSON_AddStringToObject(o, "reason",
					r->reason ? r->reason : "unknown");
	}
	if (r->note != NULL) {
		cJSON_AddStringToObject(o, "note", r->note);
	}
	cJSON_AddItemToObject(o, "cpus", number_or_null(r->have_cpus,
							(double)r->cpus));
	cJSON_AddItemToObject(o, "mem_available_mb",
			      number_or_null(r->have_mem,
					     (double)r->mem_available_mb));
	cJSON_AddItemToObject(o, "processes",
			      number_or_null(r->have_cpus,
					     (double)r->processes));
	cJSON_AddNumberToObject(o, "probe_seconds", r->probe_seconds);
	if (r->synced) {
		cJSON *s = cJSON_AddObjectToObject(o, "sync");

		if (s != NULL) {
			cJSON_AddNumberToObject(s, "bytes_sent",
						(double)r->bytes_sent);
			cJSON_AddNumberToObject(s, "files_sent",
						(double)r->files_sent);
			cJSON_AddNumberToObject(s, "seconds", r->sync_seconds);
		}
	}
	return o;
}

char *render_json(const struct cloud_config *cfg,
		  const struct node_report *nodes, size_t n,
		  const struct strvec *tx, const struct run_timings *t)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr;
	char *text = NULL;
	char *out = NULL;
	size_t i;

	if (root == NULL) {
		return NULL;
	}
	arr = cJSON_AddArrayToObject(root, "tx");
	for (i = 0; arr != NULL && i < tx->n; i++) {
		cJSON_AddItemToArray(arr, cJSON_CreateString(tx->v[i]));
	}
	arr = cJSON_AddArrayToObject(root, "nodes");
	for (i = 0; arr != NULL && i < n; i++) {
		cJSON_AddItemToArray(arr, node_json(&nodes[i]));
	}
	cJSON_AddStringToObject(root, "rootdir", cfg->rootdir);
	if (cfg->inifile != NULL) {
		cJSON_AddStringToObject(root, "inifile", cfg->inifile);
	} else {
		cJSON_AddNullToObject(root, "inifile");
	}
	cJSON_AddStringToObject(root, "chdir", cfg->chdir);
	cJSON_AddStringToObject(root, "python", cfg->worker_python);
	cJSON_AddNumberToObject(root, "connect_timeout",
				(double)cfg->connect_timeout);
	cJSON_AddBoolToObject(root, "dry_run", cfg->dry_run);
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
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	size_t width = 4;
	size_t i;

	if (f == NULL) {
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (strlen(nodes[i].name) > width) {
			width = strlen(nodes[i].name);
		}
	}
	fprintf(f, "%-*s  %5s  %12s  %9s  %s\n", (int)width, "NODE", "CPUS",
		"FREE MEMORY", "PROCESSES", "STATUS");
	for (i = 0; i < n; i++) {
		const struct node_report *r = &nodes[i];
		char mem[32];
		char cpus[24];

		format_mem(r, mem, sizeof(mem));
		snprintf(cpus, sizeof(cpus), r->have_cpus ? "%ld" : "-",
			 r->cpus);
		fprintf(f, "%-*s  %5s  %12s  %9ld  %s%s%s\n", (int)width,
			r->name, cpus, mem, r->processes,
			state_name(r->state),
			r->state == NODE_OK ? "" : ": ",
			r->state == NODE_OK ? "" : (r->reason ? r->reason : ""));
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
