/* sshmux: the masters' folder, names, command lines, client words and
 * control messages. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "sshmux.h"
#include "suites.h"

static void test_folder(void)
{
	static const struct {
		const char *runtime; /* XDG_RUNTIME_DIR, or NULL */
		const char *want;
	} rows[] = {
		{ "/run/user/1000", "/run/user/1000/pytest-cloud" },
		{ "/run/user/1000/", "/run/user/1000//pytest-cloud" },
		{ NULL, "/tmp/pytest-cloud-1000" },
		{ "", "/tmp/pytest-cloud-1000" },
		/* relative, or a character ssh or a spec would read */
		{ "run/user/1000", "/tmp/pytest-cloud-1000" },
		{ "/run/my user", "/tmp/pytest-cloud-1000" },
		{ "/run/%u", "/tmp/pytest-cloud-1000" },
		{ "/run/a,b", "/tmp/pytest-cloud-1000" },
		/* 40 characters fit (40 + 13 = 53), 41 do not */
		{ "/rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr",
		  "/rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr/pytest-cloud" },
		{ "/rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr",
		  "/tmp/pytest-cloud-1000" },
	};
	char buf[SSHMUX_FOLDER_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CU_ASSERT_EQUAL(sshmux_folder(rows[i].runtime, 1000, buf,
					      sizeof(buf)), 0);
		CU_ASSERT_STRING_EQUAL(buf, rows[i].want);
		/* the socket's whole path fits what OpenSSH binds */
		CU_ASSERT_TRUE(strlen(buf) + 1 + SSHMUX_NAME_LEN <=
			       SSHMUX_PATH_MAX);
	}
	CU_ASSERT_EQUAL(sshmux_folder(NULL, 4294967295ul, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "/tmp/pytest-cloud-4294967295");
	CU_ASSERT_EQUAL(sshmux_folder(NULL, 1000, buf, 10), -1);
}

/* A node as the probe leaves it: where ssh -G says it is, the key it
 * judged. */
static void make_node(struct node_report *r, const char *name)
{
	char why[64];

	memset(r, 0, sizeof(*r));
	r->name = name;
	CU_ASSERT_EQUAL_FATAL(nodename_parse(name, &r->addr, why, sizeof(why)),
			      0);
	r->ssh = (struct sshg)SSHG_INIT;
	r->ssh.from_ssh = 1;
	r->ssh.hostname = strdup("10.0.0.5");
	r->ssh.port = 2222;
	r->ssh.user = strdup("ci");
	r->ssh.digest = strdup("d1");
	r->host_key = strdup("ssh-ed25519 AAAAC3Nza");
}

static void test_key_line(void)
{
	struct node_report r;
	char *line;

	make_node(&r, "n1");
	line = sshmux_key_line(&r.ssh, r.host_key);
	CU_ASSERT_STRING_EQUAL(line, "[10.0.0.5]:2222 ssh-ed25519 AAAAC3Nza\n");
	free(line);
	r.ssh.port = 22;
	line = sshmux_key_line(&r.ssh, r.host_key);
	CU_ASSERT_STRING_EQUAL(line, "10.0.0.5 ssh-ed25519 AAAAC3Nza\n");
	free(line);
	/* HostKeyAlias is what ssh looks up, as written */
	r.ssh.host_key_alias = strdup("Node-A");
	line = sshmux_key_line(&r.ssh, r.host_key);
	CU_ASSERT_STRING_EQUAL(line, "Node-A ssh-ed25519 AAAAC3Nza\n");
	free(line);
	report_release(&r);
}

static char *joined(const struct strvec *v)
{
	size_t n = 1;
	size_t i;
	char *s;

	for (i = 0; i < v->n; i++) {
		n += strlen(v->v[i]) + 1;
	}
	s = calloc(1, n);
	for (i = 0; s != NULL && i < v->n; i++) {
		strcat(s, i ? " " : "");
		strcat(s, v->v[i]);
	}
	return s;
}

static void test_master_argv(void)
{
	struct cloud_config cfg;
	struct node_report r;
	struct strvec words = STRVEC_INIT;
	struct strvec argv = STRVEC_INIT;
	char *s;

	config_init(&cfg);
	cfg.connect_timeout = 5;
	cfg.keepalive = 8;
	cfg.ssh_config = strdup("/my cfg");
	make_node(&r, "u@h:2222");
	CU_ASSERT_EQUAL_FATAL(sshmux_master_words(&cfg, &r, &words), 0);
	CU_ASSERT_EQUAL_FATAL(sshmux_master_argv(&cfg, &words, "/d/n", &argv),
			      0);
	s = joined(&argv);
	/* as the run's other ssh (sshopts.h), the place pinned, the one
	 * key judged; the user's KexAlgorithms untouched */
	CU_ASSERT_STRING_EQUAL(
		s, "ssh -o ControlMaster=yes -o ControlPath=/d/n "
		   "-o ControlPersist=300 -o UserKnownHostsFile=/d/n.key "
		   "-N -T -o BatchMode=yes -o ConnectTimeout=5 "
		   "-o ServerAliveInterval=2 -o ServerAliveCountMax=3 "
		   "-o StrictHostKeyChecking=yes -o UpdateHostKeys=no "
		   "-o GlobalKnownHostsFile=/dev/null -o CheckHostIP=no "
		   "-o VerifyHostKeyDNS=no -o ClearAllForwardings=yes "
		   "-o RemoteCommand=none -o HostName=10.0.0.5 -o Port=2222 "
		   "-o User=ci -o Compression=no -c aes128-gcm@openssh.com "
		   "-F /my cfg -l u -p2222 -- h");
	CU_ASSERT_PTR_NULL(strstr(s, "Kex"));
	/* the config's "/my cfg" is one word of the argv */
	CU_ASSERT_STRING_EQUAL(argv.v[argv.n - 6], "/my cfg");
	free(s);
	strvec_clear(&argv);
	strvec_clear(&words);
	/* persist 0: OpenSSH's 0 is "for ever", so 1 s; a config with a
	 * KnownHostsCommand has it turned off */
	cfg.ssh_persist = 0;
	r.ssh.known_hosts_command = strdup("/bin/keys %H");
	CU_ASSERT_EQUAL_FATAL(sshmux_master_words(&cfg, &r, &words), 0);
	CU_ASSERT_EQUAL_FATAL(sshmux_master_argv(&cfg, &words, "/d/n", &argv),
			      0);
	s = joined(&argv);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, " -o ControlPersist=1 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, " -o KnownHostsCommand=none "));
	free(s);
	strvec_clear(&argv);
	strvec_clear(&words);
	report_release(&r);
	config_release(&cfg);
}

/* The name of r's master under cfg. */
static void name_of(const struct cloud_config *cfg,
		    const struct node_report *r, char *out)
{
	struct strvec words = STRVEC_INIT;

	CU_ASSERT_EQUAL(sshmux_master_words(cfg, r, &words), 0);
	CU_ASSERT_EQUAL(sshmux_name(&words, r->ssh.digest, r->host_key, out),
			0);
	strvec_clear(&words);
}

static void test_name(void)
{
	struct cloud_config cfg;
	struct node_report r;
	char base[SSHMUX_NAME_LEN + 1];
	char other[SSHMUX_NAME_LEN + 1];
	size_t i;

	config_init(&cfg);
	make_node(&r, "n1");
	name_of(&cfg, &r, base);
	CU_ASSERT_EQUAL(strlen(base), SSHMUX_NAME_LEN);
	for (i = 0; i < SSHMUX_NAME_LEN; i++) {
		CU_ASSERT_PTR_NOT_NULL(strchr("0123456789abcdef", base[i]));
	}
	/* the same again, and under another connect timeout or persist
	 * time (this run's alone) */
	name_of(&cfg, &r, other);
	CU_ASSERT_STRING_EQUAL(other, base);
	cfg.connect_timeout = 99;
	cfg.ssh_persist = 5;
	name_of(&cfg, &r, other);
	CU_ASSERT_STRING_EQUAL(other, base);
	/* another key (the node's changed, judged again), another config
	 * as OpenSSH read it, another keepalive or cipher: another master */
	free(r.host_key);
	r.host_key = strdup("ssh-ed25519 AAAAother");
	name_of(&cfg, &r, other);
	CU_ASSERT_STRING_NOT_EQUAL(other, base);
	free(r.host_key);
	r.host_key = strdup("ssh-ed25519 AAAAC3Nza");
	free(r.ssh.digest);
	r.ssh.digest = strdup("d2");
	name_of(&cfg, &r, other);
	CU_ASSERT_STRING_NOT_EQUAL(other, base);
	free(r.ssh.digest);
	r.ssh.digest = strdup("d1");
	cfg.keepalive = 60;
	name_of(&cfg, &r, other);
	CU_ASSERT_STRING_NOT_EQUAL(other, base);
	cfg.keepalive = 15;
	free(cfg.rsync_cipher);
	cfg.rsync_cipher = strdup("aes256-gcm@openssh.com");
	name_of(&cfg, &r, other);
	CU_ASSERT_STRING_NOT_EQUAL(other, base);
	free(cfg.rsync_cipher);
	cfg.rsync_cipher = strdup("aes128-gcm@openssh.com");
	name_of(&cfg, &r, other);
	CU_ASSERT_STRING_EQUAL(other, base);
	report_release(&r);
	config_release(&cfg);
}

static void test_client_opts(void)
{
	static const struct {
		int mux;
		const char *path;
		const char *want;
	} rows[] = {
		{ SSHMUX_STARTED, "/d/n",
		  "-o ControlMaster=no -o ControlPath=/d/n" },
		{ SSHMUX_REUSED, "/d/n",
		  "-o ControlMaster=no -o ControlPath=/d/n" },
		/* the user's own: their config's words, none of ours */
		{ SSHMUX_YOURS, NULL, "" },
		{ SSHMUX_NONE, NULL, "" },
		{ SSHMUX_NONE, "/d/n", "" },
	};
	struct node_report r;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *s;

		memset(&r, 0, sizeof(r));
		r.mux = rows[i].mux;
		r.mux_path = rows[i].path ? strdup(rows[i].path) : NULL;
		s = sshmux_client_opts(&r);
		CU_ASSERT_STRING_EQUAL(s, rows[i].want);
		free(s);
		free(r.mux_path);
	}
	CU_ASSERT_STRING_EQUAL(sshmux_state_name(SSHMUX_REUSED), "reused");
	CU_ASSERT_STRING_EQUAL(sshmux_state_name(SSHMUX_YOURS), "yours");
	CU_ASSERT_PTR_NULL(sshmux_state_name(SSHMUX_NONE));
}

static void test_users(void)
{
	struct sshg g = SSHG_INIT;

	CU_ASSERT_EQUAL(sshmux_users(&g), 0);
	g.control_master = strdup("auto");
	CU_ASSERT_EQUAL(sshmux_users(&g), 0); /* no path: nothing to use */
	g.control_path = strdup("/home/u/.ssh/cm-%C");
	CU_ASSERT_EQUAL(sshmux_users(&g), 1);
	sshg_release(&g);
}

static void test_messages(void)
{
	static const unsigned char greeting[SSHMUX_GREETING_LEN] = {
		0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4,
		0, 0, 0, 8, 0x10, 0, 0, 4, 0, 0, 0, 7
	};
	static const struct {
		const char *what;
		unsigned char bytes[20];
		size_t len;
		long want; /* sshmux_next's return */
		uint32_t type, a, b;
	} rows[] = {
		{ "empty", { 0 }, 0, 0, 0, 0, 0 },
		{ "part of a length", { 0, 0, 0 }, 3, 0, 0, 0, 0 },
		{ "a hello", { 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4 }, 12, 12,
		  SSHMUX_MSG_HELLO, 4, 0 },
		{ "a hello, more to come", { 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4,
					     0, 0 }, 14, 12,
		  SSHMUX_MSG_HELLO, 4, 0 },
		{ "half a hello", { 0, 0, 0, 8, 0, 0, 0, 1, 0 }, 9, 0, 0, 0, 0 },
		{ "alive", { 0, 0, 0, 12, 0x80, 0, 0, 5, 0, 0, 0, 7, 0, 0,
			     0x30, 0x39 }, 16, 16, SSHMUX_S_ALIVE, 7, 12345 },
		{ "a bare type", { 0, 0, 0, 4, 0x80, 0, 0, 3 }, 8, 8,
		  0x80000003u, 0, 0 },
		{ "too short", { 0, 0, 0, 3, 1, 2, 3 }, 7, -1, 0, 0, 0 },
		{ "too long", { 0, 1, 0, 1 }, 4, -1, 0, 0, 0 },
		{ "zero", { 0, 0, 0, 0 }, 4, -1, 0, 0, 0 },
	};
	unsigned char buf[SSHMUX_GREETING_LEN];
	size_t i;

	sshmux_greeting(7, buf);
	CU_ASSERT_EQUAL(memcmp(buf, greeting, sizeof(buf)), 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct sshmux_msg m = { 0, 0, 0 };
		long got = sshmux_next(rows[i].bytes, rows[i].len, &m);

		CU_ASSERT_EQUAL(got, rows[i].want);
		if (got != rows[i].want) {
			fprintf(stderr, "\n%s: %ld\n", rows[i].what, got);
		}
		if (got > 0) {
			CU_ASSERT_EQUAL(m.type, rows[i].type);
			CU_ASSERT_EQUAL(m.a, rows[i].a);
			CU_ASSERT_EQUAL(m.b, rows[i].b);
		}
	}
}

/* The new session request: the hello, then the request's fields. */
static void test_session_request(void)
{
	static const unsigned char want[] = {
		0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 4,      /* hello, 4 */
		0, 0, 0, 46, 0x10, 0, 0, 2, 0, 0, 0, 9,  /* length, type, id */
		0, 0, 0, 0,                              /* reserved "" */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, /* flags: the
								 * agent */
		0xff, 0xff, 0xff, 0xff,                  /* no escape */
		0, 0, 0, 0,                              /* terminal "" */
		0, 0, 0, 6, 'e', 'c', 'h', 'o', ' ', '1' /* command */
	};
	char *big = malloc(40000);
	char *env[] = { "LANG=C", "NOVALUE", "=x", NULL, "LC_ALL=C.x", NULL };
	size_t len = 0;
	unsigned char *got = sshmux_session_request(9, "echo 1", NULL, &len);
	struct sshmux_msg m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(len, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(got, want, sizeof(want)), 0);
	/* as the master reads it: a hello, then the request whole */
	CU_ASSERT_EQUAL(sshmux_next(got, len, &m), 12);
	CU_ASSERT_EQUAL(sshmux_next(got + 12, len - 12, &m), (long)len - 12);
	CU_ASSERT_EQUAL(m.type, SSHMUX_C_NEW_SESSION);
	CU_ASSERT_EQUAL(m.a, 9);
	free(got);
	/* a command past 32 KiB: none */
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'x', 39999);
	big[39999] = '\0';
	CU_ASSERT_PTR_NULL(sshmux_session_request(1, big, NULL, &len));
	/* the environment after the command: NAME=VALUE strings alone, and
	 * none past the bounds (a value of 40000 bytes) */
	memcpy(big, "HUGE=", 5);
	env[3] = big;
	got = sshmux_session_request(9, "echo 1", env, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(len, sizeof(want) + 4 + 6 + 4 + 10);
	CU_ASSERT_EQUAL(memcmp(got + sizeof(want), "\0\0\0\6LANG=C"
			       "\0\0\0\12LC_ALL=C.x", 24), 0);
	CU_ASSERT_EQUAL(sshmux_next(got + 12, len - 12, &m), (long)len - 12);
	free(got);
	free(big);
}

/* Where the destination is in ssh's words, and the command joined. */
static void test_ssh_host(void)
{
	static const struct {
		const char *words[10];
		int want;
	} rows[] = {
		{ { "ssh", "h", "cmd" }, 1 },
		{ { "ssh", "-o", "A=b", "-F", "/c", "h", "rsync" }, 5 },
		{ { "ssh", "-oA=b", "-p2222", "h" }, 3 },
		{ { "ssh", "-4Tx", "-c", "aes128-gcm@openssh.com", "u@h" }, 4 },
		{ { "ssh", "-nqp", "22", "h", "-o", "x" }, 3 }, /* a cluster */
		{ { "ssh", "--", "-h", "cmd" }, 2 },
		{ { "ssh", "-l", "u", "-" , "x" }, 3 }, /* "-" is a word */
		{ { "ssh", "-o", "A=b" }, -1 },         /* no destination */
		{ { "ssh", "-o" }, -1 },          /* its argument missing */
		{ { "ssh", "--" }, -1 },
		{ { "ssh", "-Z", "h" }, -1 },           /* not OpenSSH's */
		{ { "ssh", "-4Z", "h" }, -1 },
		{ { "ssh" }, -1 },
	};
	char *const words[] = { "rsync", "--server", "-e.Lsf", ".", "p/" };
	char *const gw[] = { ".venv/bin/py thon", "-u", "-c",
			     "import sys;exec(eval(sys.stdin.readline()))" };
	char *const odd[] = { "it's", "" };
	struct sockaddr_un a;
	char longest[sizeof(a.sun_path) + 1];
	char *joined;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int argc = 0;
		int got;

		while (argc < 10 && rows[i].words[argc] != NULL) {
			argc++;
		}
		got = sshmux_ssh_host(argc, (char *const *)rows[i].words);
		CU_ASSERT_EQUAL(got, rows[i].want);
		if (got != rows[i].want) {
			fprintf(stderr, "\nrow %zu: %d\n", i, got);
		}
	}
	joined = sshmux_join(words, 5, 0);
	CU_ASSERT_STRING_EQUAL(joined, "rsync --server -e.Lsf . p/");
	free(joined);
	joined = sshmux_join(words, 0, 0);
	CU_ASSERT_STRING_EQUAL(joined, "");
	free(joined);
	/* quoted: a gateway's python and the arguments execnet appends */
	joined = sshmux_join(gw, 4, 1);
	CU_ASSERT_STRING_EQUAL(joined, "'.venv/bin/py thon' '-u' '-c' "
			       "'import sys;exec(eval(sys.stdin.readline()))'");
	free(joined);
	joined = sshmux_join(odd, 2, 1);
	CU_ASSERT_STRING_EQUAL(joined, "'it'\\''s' ''");
	free(joined);
	joined = sshmux_join(odd, 0, 1);
	CU_ASSERT_STRING_EQUAL(joined, "");
	free(joined);
	/* a socket's address: the path whole, or none that does not fit */
	memset(longest, 'x', sizeof(longest));
	longest[sizeof(a.sun_path) - 1] = '\0';
	CU_ASSERT_EQUAL(sshmux_sockaddr(longest, &a), 0);
	CU_ASSERT_EQUAL(a.sun_family, AF_UNIX);
	CU_ASSERT_STRING_EQUAL(a.sun_path, longest);
	longest[sizeof(a.sun_path) - 1] = 'x';
	longest[sizeof(a.sun_path)] = '\0';
	CU_ASSERT_EQUAL(sshmux_sockaddr(longest, &a), -1);
}

int suite_sshmux(void)
{
	CU_pSuite s = CU_add_suite("sshmux", NULL, NULL);

	if (s == NULL || CU_add_test(s, "folder", test_folder) == NULL ||
	    CU_add_test(s, "key line", test_key_line) == NULL ||
	    CU_add_test(s, "master argv", test_master_argv) == NULL ||
	    CU_add_test(s, "name", test_name) == NULL ||
	    CU_add_test(s, "client opts", test_client_opts) == NULL ||
	    CU_add_test(s, "users", test_users) == NULL ||
	    CU_add_test(s, "messages", test_messages) == NULL ||
	    CU_add_test(s, "session request", test_session_request) == NULL ||
	    CU_add_test(s, "ssh host", test_ssh_host) == NULL) {
		return -1;
	}
	return 0;
}
