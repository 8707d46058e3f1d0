/* sshg: what ssh -G says of a node, read; the words pinned after it. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "sshg.h"
#include "suites.h"

/* As OpenSSH 9.2's ssh -G prints it (trimmed), for a node behind a jump
 * host with its own known_hosts files and an alias. */
static const char sample[] =
	"host alias\n"
	"user ci\n"
	"hostname 10.0.0.5\n"
	"port 2222\n"
	"addressfamily any\n"
	"batchmode no\n"
	"identityfile ~/.ssh/id_ed25519\n"
	"identityfile %d/keys/%h\n"
	"canonicalizehostname false\n"
	"userknownhostsfile /home/ci/.ssh/kh_10.0.0.5 /srv/kh2\n"
	"globalknownhostsfile /etc/ssh/ssh_known_hosts "
	"/etc/ssh/ssh_known_hosts2\n"
	"stricthostkeychecking accept-new\n"
	"hashknownhosts yes\n"
	"hostkeyalias node-a\n"
	"proxyjump j1,bob@j2:2200\n"
	"controlmaster auto\n"
	"controlpath /root/.ssh/cm-4f8e05\n"
	"controlpersist 300\n"
	"kexalgorithms sntrup761x25519-sha512,curve25519-sha256\n";

static const char sample_digest[] =
	"05a8f982ef6a49374ebfbea00b28ef8a"
	"6b7c8f67629f5882903ac3ed490c3110";

static void test_sshg_parse(void)
{
	struct sshg g = SSHG_INIT;
	char why[200];

	CU_ASSERT_EQUAL_FATAL(sshg_parse(sample, &g, why, sizeof(why)), 0);
	CU_ASSERT_TRUE(g.from_ssh);
	CU_ASSERT_STRING_EQUAL(g.hostname, "10.0.0.5");
	CU_ASSERT_EQUAL(g.port, 2222);
	CU_ASSERT_STRING_EQUAL(g.user, "ci");
	CU_ASSERT_EQUAL_FATAL(g.identity_files.n, 2);
	CU_ASSERT_STRING_EQUAL(g.identity_files.v[1], "%d/keys/%h");
	CU_ASSERT_EQUAL_FATAL(g.user_known_hosts.n, 2);
	CU_ASSERT_STRING_EQUAL(g.user_known_hosts.v[0],
			       "/home/ci/.ssh/kh_10.0.0.5");
	CU_ASSERT_STRING_EQUAL(g.user_known_hosts.v[1], "/srv/kh2");
	CU_ASSERT_EQUAL(g.global_known_hosts.n, 2);
	CU_ASSERT_EQUAL(g.policy, POLICY_ACCEPT_NEW);
	CU_ASSERT_EQUAL(g.hash_known_hosts, 1);
	CU_ASSERT_STRING_EQUAL(g.host_key_alias, "node-a");
	CU_ASSERT_STRING_EQUAL(g.proxy_jump, "j1,bob@j2:2200");
	CU_ASSERT_PTR_NULL(g.proxy_command);
	CU_ASSERT_PTR_NULL(g.identity_agent);
	CU_ASSERT_STRING_EQUAL(g.control_master, "auto");
	CU_ASSERT_STRING_EQUAL(g.control_path, "/root/.ssh/cm-4f8e05");
	CU_ASSERT_STRING_EQUAL(g.control_persist, "300");
	CU_ASSERT_PTR_NULL(g.known_hosts_command);
	/* the whole output's SHA-256 (sha256sum of the same text) */
	CU_ASSERT_STRING_EQUAL(g.digest, sample_digest);
	sshg_release(&g);
	CU_ASSERT_PTR_NULL(g.hostname);
	CU_ASSERT_PTR_NULL(g.digest);
	/* another byte, another digest; a KnownHostsCommand read */
	CU_ASSERT_EQUAL_FATAL(sshg_parse("hostname h\nknownhostscommand "
					 "/bin/k %H\n", &g, why, sizeof(why)),
			      0);
	CU_ASSERT_STRING_EQUAL(g.known_hosts_command, "/bin/k %H");
	CU_ASSERT_EQUAL(strlen(g.digest), 64);
	CU_ASSERT_STRING_NOT_EQUAL(g.digest, sample_digest);
	sshg_release(&g);
	CU_ASSERT_PTR_NULL(g.hostname);
	CU_ASSERT_EQUAL(g.identity_files.n, 0);
}

/* One value a row: what it gives, or that it is refused and why. */
static void test_sshg_values(void)
{
	static const struct {
		const char *text;
		int ok;
		const char *why_or_field; /* why, or the value checked */
	} rows[] = {
		/* ssh's StrictHostKeyChecking words (dump_client_config) */
		{ "hostname h\nstricthostkeychecking true\n", 1, "strict" },
		{ "hostname h\nstricthostkeychecking ask\n", 1, "strict" },
		{ "hostname h\nstricthostkeychecking false\n", 1, "no" },
		{ "hostname h\nstricthostkeychecking accept-new\n", 1, "new" },
		{ "hostname h\n", 1, "strict" }, /* none said: strict */
		{ "hostname h\nstricthostkeychecking maybe\n", 0,
		  "StrictHostKeyChecking 'maybe' is not understood" },
		/* "none" means no file, no proxy */
		{ "hostname h\nuserknownhostsfile none\n", 1, "nofiles" },
		{ "hostname h\nproxycommand none\nproxyjump none\n", 1,
		  "noproxy" },
		/* CRLF and trailing blanks are not part of a value */
		{ "hostname h \r\nport 22\r\n", 1, "h" },
		{ "port 22\n", 0, "no 'hostname' line" },
		{ "hostname \n", 0, "no 'hostname' line" },
		{ "", 0, "no 'hostname' line" },
		{ "hostname h\nport 0\n", 0, "port '0' is not a port number" },
		{ "hostname h\nport 65536\n", 0,
		  "port '65536' is not a port number" },
		{ "hostname h\nport 22x\n", 0, "port '22x' is not a port number" },
		/* lines of words ssh may print that are not settings */
		{ "Pseudo-terminal will not be allocated\nhostname h\n", 1, "h" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sshg g = SSHG_INIT;
		char why[200] = "";
		int rc = sshg_parse(rows[i].text, &g, why, sizeof(why));
		const char *f = rows[i].why_or_field;

		CU_ASSERT_EQUAL(rc, rows[i].ok ? 0 : -1);
		if (!rows[i].ok) {
			CU_ASSERT_STRING_EQUAL(why, f);
		} else if (strcmp(f, "strict") == 0) {
			CU_ASSERT_EQUAL(g.policy, POLICY_STRICT);
		} else if (strcmp(f, "no") == 0) {
			CU_ASSERT_EQUAL(g.policy, POLICY_NO);
		} else if (strcmp(f, "new") == 0) {
			CU_ASSERT_EQUAL(g.policy, POLICY_ACCEPT_NEW);
		} else if (strcmp(f, "nofiles") == 0) {
			CU_ASSERT_EQUAL(g.user_known_hosts.n, 0);
		} else if (strcmp(f, "noproxy") == 0) {
			CU_ASSERT_PTR_NULL(g.proxy_command);
			CU_ASSERT_PTR_NULL(g.proxy_jump);
		} else {
			CU_ASSERT_STRING_EQUAL(g.hostname, f);
		}
		sshg_release(&g);
	}
}

/* What reaches ssh's command line and execnet's spec is checked: a
 * value of the config cannot add an option or a word. */
static void test_sshg_check(void)
{
	static const struct {
		const char *hostname;
		const char *user;
		const char *alias;
		const char *why; /* NULL: passes */
	} rows[] = {
		{ "node1.example", "ci", NULL, NULL },
		{ "10.0.0.5", "ci.bot@corp", "[h]:22", NULL },
		{ "fe80::1", NULL, NULL, NULL },
		{ "my_node", "u_1", NULL, NULL },
		{ "-oProxyCommand=x", "ci", NULL,
		  "ssh config: HostName '-oProxyCommand=x' cannot be passed on "
		  "(letters, digits and '.-_:' only, not starting with '-')" },
		{ "h h", "ci", NULL, "ssh config: HostName 'h h' cannot be "
		  "passed on (letters, digits and '.-_:' only, not starting "
		  "with '-')" },
		{ "h%h", "ci", NULL, "ssh config: HostName 'h%h' cannot be "
		  "passed on (letters, digits and '.-_:' only, not starting "
		  "with '-')" },
		{ "h", "a b", NULL, "ssh config: User 'a b' cannot be passed on "
		  "(letters, digits and '.-_@' only, not starting with '-')" },
		{ "h", "it's", NULL, "ssh config: User 'it's' cannot be passed "
		  "on (letters, digits and '.-_@' only, not starting with '-')" },
		{ "h", "ci", "a//b", "ssh config: HostKeyAlias 'a//b' cannot be "
		  "passed on (letters, digits and '.-_:[]' only, not starting "
		  "with '-')" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sshg g = SSHG_INIT;
		char why[300] = "";

		g.hostname = (char *)rows[i].hostname;
		g.user = (char *)rows[i].user;
		g.host_key_alias = (char *)rows[i].alias;
		CU_ASSERT_EQUAL(sshg_check(&g, why, sizeof(why)),
				rows[i].why ? -1 : 0);
		if (rows[i].why != NULL) {
			CU_ASSERT_STRING_EQUAL(why, rows[i].why);
		}
	}
}

static void test_sshg_pin_and_argv(void)
{
	struct sshg g = SSHG_INIT;
	struct nodename addr = { NULL, NULL, 0 };
	struct strvec argv = STRVEC_INIT;
	char why[100];
	char *pin;

	/* libssh's reading (no ssh): nothing runs ssh, nothing to pin */
	g.hostname = strdup("h");
	pin = sshg_pin(&g);
	CU_ASSERT_STRING_EQUAL(pin, "");
	free(pin);
	sshg_release(&g);
	CU_ASSERT_EQUAL_FATAL(sshg_parse(sample, &g, why, sizeof(why)), 0);
	pin = sshg_pin(&g);
	CU_ASSERT_STRING_EQUAL(pin, "-o HostName=10.0.0.5 -o Port=2222 "
				    "-o User=ci -o HostKeyAlias=node-a");
	free(pin);
	free(g.user);
	g.user = NULL;
	free(g.host_key_alias);
	g.host_key_alias = NULL;
	pin = sshg_pin(&g);
	CU_ASSERT_STRING_EQUAL(pin, "-o HostName=10.0.0.5 -o Port=2222");
	free(pin);
	sshg_release(&g);
	/* the node's own user and port go to ssh -G as ssh would get them;
	 * "--" keeps a host from being read as an option */
	addr.host = "-oProxyCommand=x";
	CU_ASSERT_EQUAL(sshg_argv(NULL, &addr, &argv), 0);
	CU_ASSERT_EQUAL_FATAL(argv.n, 5);
	CU_ASSERT_STRING_EQUAL(argv.v[0], "ssh");
	CU_ASSERT_STRING_EQUAL(argv.v[1], "-G");
	CU_ASSERT_STRING_EQUAL(argv.v[2], "-T");
	CU_ASSERT_STRING_EQUAL(argv.v[3], "--");
	CU_ASSERT_STRING_EQUAL(argv.v[4], "-oProxyCommand=x");
	strvec_clear(&argv);
	addr.host = "n1";
	addr.user = "ci";
	addr.port = 2222;
	CU_ASSERT_EQUAL(sshg_argv("/my cfg", &addr, &argv), 0);
	CU_ASSERT_EQUAL_FATAL(argv.n, 10);
	CU_ASSERT_STRING_EQUAL(argv.v[3], "-F");
	CU_ASSERT_STRING_EQUAL(argv.v[4], "/my cfg");
	CU_ASSERT_STRING_EQUAL(argv.v[5], "-l");
	CU_ASSERT_STRING_EQUAL(argv.v[6], "ci");
	CU_ASSERT_STRING_EQUAL(argv.v[7], "-p2222");
	CU_ASSERT_STRING_EQUAL(argv.v[9], "n1");
	strvec_clear(&argv);
}

/* ProxyJump as OpenSSH carries it: the last host reached through the
 * ones before it; every word of ours quoted and kept from libssh's
 * token expansion ('%' doubled), but the node's own %h and %p. */
static void test_sshg_jump(void)
{
	static const struct {
		const char *jump;
		const char *cfg;
		const char *want;
	} rows[] = {
		{ "j1", NULL,
		  "exec ssh '-o' 'BatchMode=yes' '-o' 'ConnectTimeout=7' '-W' "
		  "'[%h]:%p' '--' 'j1'" },
		{ "a@j1:2200", "/c/ssh config",
		  "exec ssh '-F' '/c/ssh config' '-o' 'BatchMode=yes' '-o' "
		  "'ConnectTimeout=7' '-W' '[%h]:%p' '--' 'ssh://a@j1:2200'" },
		{ "j1,b@j2,j3:22", "/100%/it's",
		  "exec ssh '-F' '/100%%/it'\\''s' '-o' 'BatchMode=yes' '-o' "
		  "'ConnectTimeout=7' '-J' 'j1,b@j2' '-W' '[%h]:%p' '--' "
		  "'ssh://j3:22'" },
		{ "[::1]", NULL,
		  "exec ssh '-o' 'BatchMode=yes' '-o' 'ConnectTimeout=7' '-W' "
		  "'[%h]:%p' '--' '[::1]'" },
		{ "ssh://u@[::1]:2", NULL,
		  "exec ssh '-o' 'BatchMode=yes' '-o' 'ConnectTimeout=7' '-W' "
		  "'[%h]:%p' '--' 'ssh://u@[::1]:2'" },
	};
	size_t i;
	struct sshg g = SSHG_INIT;

	CU_ASSERT_PTR_NULL(sshg_jump_command(&g, NULL, 7));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *cmd;

		g.proxy_jump = (char *)rows[i].jump;
		cmd = sshg_jump_command(&g, rows[i].cfg, 7);
		CU_ASSERT_PTR_NOT_NULL_FATAL(cmd);
		CU_ASSERT_STRING_EQUAL(cmd, rows[i].want);
		free(cmd);
	}
}

int suite_sshg(void)
{
	CU_pSuite s = CU_add_suite("sshg", NULL, NULL);

	return (s && CU_add_test(s, "parse", test_sshg_parse) &&
		CU_add_test(s, "values", test_sshg_values) &&
		CU_add_test(s, "check", test_sshg_check) &&
		CU_add_test(s, "pin and argv", test_sshg_pin_and_argv) &&
		CU_add_test(s, "jump", test_sshg_jump))
		       ? 0
		       : -1;
}
