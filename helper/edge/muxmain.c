/*
 * pytest-cloud-mux: runs an ssh command line's remote command through a
 * node's master (sshmux.h), as `ssh -o ControlMaster=no -o
 * ControlPath=SOCKET ...` would, without starting ssh: OpenSSH's client
 * takes about 20 ms of CPU to start (its libraries and config) before it
 * hands its stdin, stdout and stderr to the master, which runs the
 * session.  This does the same in a fraction of that (libc only, no
 * config read): rsync's ssh for a node with a master of ours (its
 * --rsh, rsyncargs.h).
 *
 *     pytest-cloud-mux [--quote] SOCKET ssh [OPTION...] DESTINATION \
 *         COMMAND...
 *
 * The words from "ssh" on are an ssh command line.  The remote command
 * is the words after the destination joined by spaces, as ssh joins
 * them; with --quote, each quoted for the remote shell first, so that
 * they are the command's argument vector (a gateway's: execnet appends
 * its python's arguments to a popen spec's python= words, render.h).
 * Its stdin, stdout and stderr are passed to the master at SOCKET (the
 * control protocol's new session, muxproto.h), with this environment,
 * of which the master passes on what its SendEnv names, and the agent,
 * which it forwards where its ForwardAgent says so (as for ssh's own
 * clients).  The master runs the command over its connection: the same
 * connection, key and checks as ssh through that master.  Its exit
 * status is the command's, or 255 when the master ends before the
 * command does (as ssh's).  When the session cannot be had (no master
 * listens there, it refuses, the words are not understood) nothing has
 * run, and the ssh command line is run instead (exec; with --quote, with
 * the quoted command as its one remote word; with --quote and words it
 * cannot read, nothing: exit 255): it goes through the master if it
 * can, else connects by itself, as before.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "muxproto.h"

#define EXIT_LOST 255

/* Connects to the control socket at path; the fd, or -1. */
static int mux_connect(const char *path)
{
	struct sockaddr_un a;
	int fd;

	if (sshmux_sockaddr(path, &a) < 0) {
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Writes buf[0..len) whole; 0, or -1. */
static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Passes fd over sock (one byte, SCM_RIGHTS); 0, or -1. */
static int send_fd(int sock, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct msghdr msg;
	struct iovec iov;
	char byte = 0;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	memset(&c, 0, sizeof(c));
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = c.buf;
	msg.msg_controllen = sizeof(c.buf);
	c.h.cmsg_len = CMSG_LEN(sizeof(int));
	c.h.cmsg_level = SOL_SOCKET;
	c.h.cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(&c.h), &fd, sizeof(int));
	do {
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

/* The next message from sock into m (buf holds what was read past the
 * last); 0, or -1 when the socket ended or sent no message. */
static int next_msg(int sock, unsigned char *buf, size_t *have,
		    struct sshmux_msg *m)
{
	for (;;) {
		long used = sshmux_next(buf, *have, m);
		ssize_t n;

		if (used < 0) {
			return -1;
		}
		if (used > 0) {
			memmove(buf, buf + used, *have - (size_t)used);
			*have -= (size_t)used;
			return 0;
		}
		if (*have == 4096) {
			return -1;
		}
		n = recv(sock, buf + *have, 4096 - *have, 0);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return -1;
		}
		*have += (size_t)n;
	}
}

/*
 * The session through the master at path: -1 when it could not be had
 * (nothing ran), else the exit status.
 */
static int run_session(const char *path, const char *command)
{
	static unsigned char buf[4096];
	struct sshmux_msg m;
	size_t have = 0;
	size_t len = 0;
	unsigned char *req = sshmux_session_request(1, command, environ, &len);
	uint32_t session = 0;
	int sock = -1;
	int rc = -1;
	int fd;

	if (req == NULL || (sock = mux_connect(path)) < 0 ||
	    write_all(sock, req, len) < 0) {
		goto out;
	}
	for (fd = 0; fd < 3; fd++) {
		if (send_fd(sock, fd) < 0) {
			goto out;
		}
	}
	if (next_msg(sock, buf, &have, &m) < 0 || m.type != SSHMUX_MSG_HELLO ||
	    m.a != SSHMUX_VERSION || next_msg(sock, buf, &have, &m) < 0 ||
	    m.type != SSHMUX_S_SESSION_OPENED || m.a != 1) {
		goto out; /* refused, or no master: nothing ran */
	}
	session = m.b;
	rc = EXIT_LOST; /* from here the command may have run */
	while (next_msg(sock, buf, &have, &m) == 0) {
		if (m.type == SSHMUX_S_EXIT_MESSAGE && m.a == session) {
			rc = (int)(m.b & 0xff);
			break;
		}
	}
out:
	if (sock >= 0) {
		close(sock);
	}
	free(req);
	return rc;
}

/* With --quote, the ssh command line run instead: its words up to the
 * destination, then the one remote command (already quoted), so that
 * ssh runs the same command.  NULL-terminated, newly allocated. */
static char **fallback_argv(char **ssh, int host, char *command)
{
	char **v = calloc((size_t)host + 3, sizeof(*v));

	if (v != NULL) {
		memcpy(v, ssh, ((size_t)host + 1) * sizeof(*v));
		v[host + 1] = command;
	}
	return v;
}

int main(int argc, char **argv)
{
	char **ssh;
	char **run;
	char *command = NULL;
	int quote;
	int nssh;
	int host;
	int rc = -1;

	quote = argc > 1 && strcmp(argv[1], "--quote") == 0;
	argc -= quote;
	argv += quote;
	if (argc < 3) {
		fprintf(stderr, "usage: pytest-cloud-mux [--quote] SOCKET ssh "
			"[OPTION...] DESTINATION COMMAND...\n");
		return EXIT_LOST;
	}
	signal(SIGPIPE, SIG_IGN);
	ssh = argv + 2;
	nssh = argc - 2;
	host = sshmux_ssh_host(nssh, ssh);
	if (host > 0 && host + 1 < nssh) {
		command = sshmux_join(ssh + host + 1, nssh - host - 1, quote);
	}
	if (command != NULL) {
		rc = run_session(argv[1], command);
	} else if (quote) {
		/* the words after the destination are not known: ssh would
		 * get them unquoted */
		fprintf(stderr, "pytest-cloud-mux: --quote: no destination "
			"and command in the ssh command line\n");
		return EXIT_LOST;
	}
	if (rc >= 0) {
		free(command);
		return rc;
	}
	signal(SIGPIPE, SIG_DFL);
	run = ssh;
	if (quote && (run = fallback_argv(ssh, host, command)) == NULL) {
		fprintf(stderr, "pytest-cloud-mux: out of memory\n");
		return EXIT_LOST;
	}
	execvp(run[0], run);
	fprintf(stderr, "pytest-cloud-mux: %s: %s\n", run[0], strerror(errno));
	return EXIT_LOST;
}
