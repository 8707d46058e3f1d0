#define _GNU_SOURCE
/* render: spec strings, JSON and the table. */
#include <CUnit/CUnit.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "sshmux.h"
#include "suites.h"

static void make_nodes(struct node_report *r)
{
	char why[64];

	memset(r, 0, 3 * sizeof(*r));
	r[0].name = "root@node1";
	r[1].name = "u@h2:2222";
	r[2].name = "dead";
	nodename_parse(r[0].name, &r[0].addr, why, sizeof(why));
	nodename_parse(r[1].name, &r[1].addr, why, sizeof(why));
	nodename_parse(r[2].name, &r[2].addr, why, sizeof(why));
	r[0].state = NODE_OK;
	r[0].have_cpus = r[0].have_mem = 1;
	r[0].cpus = 2;
	r[0].processes = 2;
	r[0].mem_available_mb = 1024;
	r[1].state = NODE_OK;
	/* where ssh -G said it is (sshg.h) */
	r[1].ssh.from_ssh = 1;
	r[1].ssh.hostname = strdup("10.0.0.7");
	r[1].ssh.port = 2222;
	r[1].ssh.user = strdup("u");
	r[1].ssh.host_key_alias = strdup("h2-key");
	r[1].have_cpus = 1;
	r[1].cpus = 1;
	r[1].processes = 1;
	report_exclude(&r[2], "ssh connect: %s", "Connection refused");
}

static void test_specs(void)
{
	struct cloud_config cfg;
	struct node_report r[3];
	struct render_specs specs = RENDER_SPECS_INIT;
	size_t i;

	config_init(&cfg);
	cfg.chdir = strdup("pytest_me_proj");
	cfg.venv_rel = strdup(".venv");
	cfg.worker_python = strdup("pytest_me_proj/.venv/bin/python");
	make_nodes(r);
	CU_ASSERT_EQUAL_FATAL(render_specs(&cfg, r, 3, &specs), 0);
	/* one proxy gateway per usable node, from CHDIR ... */
	CU_ASSERT_EQUAL_FATAL(specs.px.n, 2);
	/* (ssh's options first: the plan's own, from sshopts) */
	CU_ASSERT_STRING_EQUAL(specs.px.v[0],
			       "ssh=-o BatchMode=yes -o ConnectTimeout=10 "
			       "-o ServerAliveInterval=3 -o ServerAliveCountMax=3 "
			       "-o StrictHostKeyChecking=yes -o UpdateHostKeys=no "
			       "root@node1//id=node1//chdir=pytest_me_proj"
			       "//python=pytest_me_proj/.venv/bin/python"
			       "//execmodel=thread");
	CU_ASSERT_STRING_EQUAL(specs.px.v[1],
			       "ssh=-o BatchMode=yes -o ConnectTimeout=10 "
			       "-o ServerAliveInterval=3 -o ServerAliveCountMax=3 "
			       "-o StrictHostKeyChecking=yes -o UpdateHostKeys=no "
			       "-o HostName=10.0.0.7 -o Port=2222 -o User=u "
			       "-o HostKeyAlias=h2-key "
			       "u@h2 -p 2222//id=h2//chdir=pytest_me_proj"
			       "//python=pytest_me_proj/.venv/bin/python"
			       "//execmodel=thread");
	/* ... and a worker it starts for each process */
	CU_ASSERT_EQUAL_FATAL(specs.tx.n, 3);
	render_specs_release(&specs);
	/* a node with a master of ours: its gateway goes through it */
	r[1].mux = SSHMUX_STARTED;
	r[1].mux_path = strdup("/tmp/pytest-cloud-0/ab12");
	CU_ASSERT_EQUAL_FATAL(render_specs(&cfg, r, 3, &specs), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(specs.px.v[1],
				      "-o HostKeyAlias=h2-key "
				      "-o ControlMaster=no -o ControlPath="
				      "/tmp/pytest-cloud-0/ab12 u@h2 -p 2222//"));
	CU_ASSERT_PTR_NULL(strstr(specs.px.v[0], "Control"));
	CU_ASSERT_STRING_EQUAL(specs.tx.v[0], "popen//id=node1_0//via=node1"
					      "//python=.venv/bin/python");
	render_specs_release(&specs);
	/* and with the mux client beside the helper, its gateway is the
	 * mux client's session on that master (the port before the
	 * destination, words quoted where they must be) */
	r[1].mux_client = "/opt/pc bin/pytest-cloud-mux";
	CU_ASSERT_EQUAL_FATAL(render_specs(&cfg, r, 3, &specs), 0);
	CU_ASSERT_STRING_EQUAL(specs.px.v[1],
			       "popen//id=h2//chdir=pytest_me_proj//python="
			       "'/opt/pc bin/pytest-cloud-mux' --quote "
			       "/tmp/pytest-cloud-0/ab12 ssh -o BatchMode=yes "
			       "-o ConnectTimeout=10 -o ServerAliveInterval=3 "
			       "-o ServerAliveCountMax=3 "
			       "-o StrictHostKeyChecking=yes -o UpdateHostKeys=no "
			       "-o HostName=10.0.0.7 -o Port=2222 -o User=u "
			       "-o HostKeyAlias=h2-key -o ControlMaster=no "
			       "-o ControlPath=/tmp/pytest-cloud-0/ab12 "
			       "-p 2222 u@h2 pytest_me_proj/.venv/bin/python"
			       "//execmodel=thread");
	/* a node without a master of ours keeps ssh */
	CU_ASSERT_PTR_NOT_NULL(strstr(specs.px.v[0], "ssh=-o BatchMode=yes"));
	r[1].mux_client = NULL;
	CU_ASSERT_STRING_EQUAL(specs.tx.v[1], "popen//id=node1_1//via=node1"
					      "//python=.venv/bin/python");
	CU_ASSERT_STRING_EQUAL(specs.tx.v[2], "popen//id=h2_0//via=h2"
					      "//python=.venv/bin/python");
	render_specs_release(&specs);
	/* no virtualenv: the workers run cloud_python; the ssh config is
	 * the proxy's */
	free(cfg.venv_rel);
	cfg.venv_rel = NULL;
	cfg.ssh_config = strdup("/etc/cloud/ssh_config");
	CU_ASSERT_EQUAL_FATAL(render_specs(&cfg, r, 1, &specs), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(specs.px.v[0],
				      "//ssh_config=/etc/cloud/ssh_config"));
	CU_ASSERT_STRING_EQUAL(specs.tx.v[1], "popen//id=node1_1//via=node1"
					      "//python=python3");
	render_specs_release(&specs);
	for (i = 0; i < 3; i++) {
		report_release(&r[i]);
	}
	config_release(&cfg);
}

/* Two nodes on one host (other user or port) get gateways of their own. */
static void test_gateway_ids(void)
{
	struct node_report r[3];
	char why[64];
	char id[64];
	size_t i;

	memset(r, 0, sizeof(r));
	r[0].name = "a@h";
	r[1].name = "b@h";
	r[2].name = "h:2222";
	for (i = 0; i < 3; i++) {
		nodename_parse(r[i].name, &r[i].addr, why, sizeof(why));
	}
	render_gateway_id(r, 0, id, sizeof(id));
	CU_ASSERT_STRING_EQUAL(id, "h");
	render_gateway_id(r, 1, id, sizeof(id));
	CU_ASSERT_STRING_EQUAL(id, "h-1");
	render_gateway_id(r, 2, id, sizeof(id));
	CU_ASSERT_STRING_EQUAL(id, "h-2");
	for (i = 0; i < 3; i++) {
		report_release(&r[i]);
	}
}

static void test_json(void)
{
	struct cloud_config cfg;
	struct node_report r[3];
	struct render_specs specs = RENDER_SPECS_INIT;
	char *text;
	cJSON *doc;
	cJSON *nodes;
	cJSON *n2;
	size_t i;

	config_init(&cfg);
	cfg.chdir = strdup("c");
	cfg.worker_python = strdup("python3");
	cfg.rootdir = strdup("/p");
	make_nodes(r);
	r[1].mux = SSHMUX_REUSED;
	r[1].mux_path = strdup("/tmp/pytest-cloud-0/ab12");
	render_specs(&cfg, r, 3, &specs);
	text = render_json(&cfg, r, 3, &specs, NULL, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	doc = cJSON_Parse(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "tx")), 3);
	CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "px")), 2);
	CU_ASSERT_STRING_EQUAL(
		cJSON_GetObjectItem(cJSON_GetArrayItem(
			cJSON_GetObjectItem(doc, "nodes"), 1), "gateway")
			->valuestring,
		"h2");
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(doc, "keepalive")->valueint, 15);
	nodes = cJSON_GetObjectItem(doc, "nodes");
	CU_ASSERT_EQUAL(cJSON_GetArraySize(nodes), 3);
	CU_ASSERT_STRING_EQUAL(
		cJSON_GetObjectItem(cJSON_GetArrayItem(nodes, 0), "status")
			->valuestring,
		"ok");
	CU_ASSERT_PTR_NULL(
		cJSON_GetObjectItem(cJSON_GetArrayItem(nodes, 0), "reason"));
	CU_ASSERT_EQUAL(
		cJSON_GetObjectItem(cJSON_GetArrayItem(nodes, 0), "processes")
			->valueint,
		2);
	/* where OpenSSH goes for it, and who said so; none for a node
	 * that never got that far */
	{
		cJSON *ssh = cJSON_GetObjectItem(cJSON_GetArrayItem(nodes, 1),
						 "ssh");

		CU_ASSERT_PTR_NOT_NULL_FATAL(ssh);
		CU_ASSERT_STRING_EQUAL(
			cJSON_GetObjectItem(ssh, "hostname")->valuestring,
			"10.0.0.7");
		CU_ASSERT_EQUAL(cJSON_GetObjectItem(ssh, "port")->valueint,
				2222);
		CU_ASSERT_STRING_EQUAL(
			cJSON_GetObjectItem(ssh, "from")->valuestring,
			"ssh -G");
		/* its master connection, and where it listens */
		CU_ASSERT_STRING_EQUAL(
			cJSON_GetObjectItem(ssh, "master")->valuestring,
			"reused");
		CU_ASSERT_STRING_EQUAL(
			cJSON_GetObjectItem(ssh, "control_path")->valuestring,
			"/tmp/pytest-cloud-0/ab12");
		CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(
			cJSON_GetArrayItem(nodes, 0), "ssh"));
	}
	/* unknown memory of an ok node is null, not 0 */
	CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(
		cJSON_GetArrayItem(nodes, 1), "mem_available_mb")));
	n2 = cJSON_GetArrayItem(nodes, 2);
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(n2, "status")->valuestring,
			       "excluded");
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(n2, "reason")->valuestring,
			       "ssh connect: Connection refused");
	CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(n2, "cpus")));
	CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(n2, "processes")));
	CU_ASSERT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(doc, "dry_run")));
	/* the conftest's output files: null when not asked for */
	CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(doc, "report")));
	CU_ASSERT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(doc, "timeline")));
	cJSON_Delete(doc);
	free(text);
	cfg.report = strdup("out/r.json");
	cfg.timeline = strdup("/abs/t.html");
	text = render_json(&cfg, r, 3, &specs, NULL, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	doc = cJSON_Parse(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_STRING_EQUAL(
		cJSON_GetObjectItem(doc, "report")->valuestring, "out/r.json");
	CU_ASSERT_STRING_EQUAL(
		cJSON_GetObjectItem(doc, "timeline")->valuestring,
		"/abs/t.html");
	cJSON_Delete(doc);
	free(text);
	text = render_table(r, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "excluded: ssh connect: "
					    "Connection refused"));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "1024 MiB"));
	free(text);
	render_specs_release(&specs);
	for (i = 0; i < 3; i++) {
		report_release(&r[i]);
	}
	config_release(&cfg);
}

/* A node with CPUs in a Slurm job's allocation says where its limit
 * came from, in the table and the JSON; others say nothing of it. */
static void test_allocation(void)
{
	struct cloud_config cfg;
	struct node_report r[3];
	struct render_specs specs = RENDER_SPECS_INIT;
	char *text;
	cJSON *doc;
	cJSON *a;
	size_t i;

	config_init(&cfg);
	cfg.chdir = strdup("c");
	cfg.worker_python = strdup("python3");
	cfg.rootdir = strdup("/p");
	make_nodes(r);
	for (i = 0; i < 3; i++) {
		r[i].shares_with = -1;
	}
	r[0].cpus = 64;
	r[0].alloc_cpus = 16;
	r[0].alloc_from = "SLURM_JOB_CPUS_PER_NODE";
	r[0].processes = 16;
	r[2].alloc_cpus = 8; /* excluded: nothing to say */
	render_specs(&cfg, r, 3, &specs);
	text = render_json(&cfg, r, 3, &specs, NULL, NULL, NULL);
	doc = cJSON_Parse(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	a = cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "nodes"), 0),
		"allocation");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(cJSON_GetObjectItem(a, "cpus")->valueint, 16);
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(a, "from")->valuestring,
			       "SLURM_JOB_CPUS_PER_NODE");
	CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(a, "limit")->valuestring,
			       "64 CPUs, 16 in the allocation");
	CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "nodes"), 1),
		"allocation"));
	CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "nodes"), 2),
		"allocation"));
	CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "tx")),
			17);
	cJSON_Delete(doc);
	free(text);
	text = render_table(r, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "ok, 64 CPUs, 16 in the "
					    "allocation\n"));
	CU_ASSERT_PTR_NULL(strstr(strstr(text, "in the allocation") + 1,
				  "in the allocation"));
	free(text);
	render_specs_release(&specs);
	for (i = 0; i < 3; i++) {
		report_release(&r[i]);
	}
	config_release(&cfg);
}

int suite_render(void)
{
	CU_pSuite s = CU_add_suite("render", NULL, NULL);

	return (s && CU_add_test(s, "specs", test_specs) &&
		CU_add_test(s, "gateway ids", test_gateway_ids) &&
		CU_add_test(s, "json and table", test_json) &&
		CU_add_test(s, "allocation", test_allocation))
		       ? 0
		       : -1;
}
