/*
 * muxproto: the few messages of OpenSSH's control protocol (PROTOCOL.mux)
 * that the helper and its mux client (pytest-cloud-mux, muxmain.c) speak
 * to a master (sshmux.h), and the words of an ssh command line that the
 * client reads.  Pure, and of no library but libc: the mux client links
 * this (and shquote.c) alone, so that it starts in a fraction of ssh's time.
 */
#ifndef PYTEST_CLOUD_MUXPROTO_H
#define PYTEST_CLOUD_MUXPROTO_H

#include <stddef.h>
#include <stdint.h>

/* The control protocol: a message is a 32-bit length, then as many bytes
 * (big-endian 32-bit fields; a string is a 32-bit length, then its
 * bytes).  Both sides start with a hello. */
#define SSHMUX_MSG_HELLO 0x00000001u
#define SSHMUX_VERSION 4u
#define SSHMUX_C_NEW_SESSION 0x10000002u
#define SSHMUX_C_ALIVE_CHECK 0x10000004u
#define SSHMUX_S_PERMISSION_DENIED 0x80000002u
#define SSHMUX_S_FAILURE 0x80000003u
#define SSHMUX_S_EXIT_MESSAGE 0x80000004u
#define SSHMUX_S_ALIVE 0x80000005u
#define SSHMUX_S_SESSION_OPENED 0x80000006u

/* The client's hello and an alive check with request id, as one 24-byte
 * write, in buf (at least SSHMUX_GREETING_LEN bytes). */
#define SSHMUX_GREETING_LEN 24
void sshmux_greeting(uint32_t id, unsigned char *buf);

/* At most this many environment strings, of at most this many bytes in
 * all, go with a session request (OpenSSH's master takes 4096). */
#define SSHMUX_ENV_COUNT_MAX 4096
#define SSHMUX_ENV_BYTES_MAX 32768

/*
 * The client's hello and a new session with request id that runs
 * command (no terminal, no X11 forwarding, no escape character; the
 * agent asked for, which the master forwards only where its own
 * ForwardAgent says so), with env's NAME=VALUE strings (NULL-terminated,
 * or NULL; those past the bounds above are left out), as one write,
 * newly allocated, its size in *len; NULL when out of memory or command
 * is over 32 KiB.  The master passes on only the strings its SendEnv
 * names, as it does for OpenSSH's own clients, which send those alone.
 * The client then passes its stdin, stdout and stderr (SCM_RIGHTS, one
 * byte each); the master answers MUX_S_SESSION_OPENED (a: the request
 * id, b: the session id) or MUX_S_PERMISSION_DENIED / MUX_S_FAILURE (a:
 * the request id, a reason), and MUX_S_EXIT_MESSAGE (a: the session id,
 * b: the exit status) when the command ends.
 */
unsigned char *sshmux_session_request(uint32_t id, const char *command,
				      char *const *env, size_t *len);

struct sshmux_msg {
	uint32_t type;
	uint32_t a;     /* the field after the type (a hello's version, a
			 * reply's request id), 0 when absent */
	uint32_t b;     /* the one after it (MUX_S_ALIVE: the master's
			 * pid), 0 when absent */
};

/*
 * The first whole message of buf[0..len) into m.  Returns its size (to
 * drop from buf), 0 when more bytes are needed, -1 when it is not one
 * (a length under 4 or over 64 KiB).
 */
long sshmux_next(const unsigned char *buf, size_t len, struct sshmux_msg *m);

/*
 * Where the destination is in an ssh command line (argv[0] the program),
 * read as OpenSSH 9's getopt reads it: the index of the first word that
 * is no option nor an option's argument ("--" ends the options).
 * Returns -1 when there is none, or an option is not OpenSSH's.
 */
int sshmux_ssh_host(int argc, char *const *argv);

struct sockaddr_un;

/* A master's control socket address for path in *a (zeroed first).
 * Returns 0, or -1 when path does not fit sun_path. */
int sshmux_sockaddr(const char *path, struct sockaddr_un *a);

/* words[0..n) joined by one space, as ssh makes its remote command of
 * the words after the destination; with quote, each word quoted for the
 * remote shell first (shquote.h), so that the command runs exactly that
 * argument vector.  Newly allocated; NULL when out of memory. */
char *sshmux_join(char *const *words, int n, int quote);

#endif
