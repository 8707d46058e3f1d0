/* muxproto: OpenSSH's control protocol, the client's side (see
 * muxproto.h). */
#include "muxproto.h"
#include "shquote.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* ssh's options that take an argument, and those that take none
 * (OpenSSH 9.2's getopt string, ssh.c) */
#define SSH_ARG_OPTS "bceilmopBDEFIJLOQRSWw"
#define SSH_FLAG_OPTS "1246afgknqstvxACGKMNPTVXYy"

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void sshmux_greeting(uint32_t id, unsigned char *buf)
{
	put32(buf, 8);
	put32(buf + 4, SSHMUX_MSG_HELLO);
	put32(buf + 8, SSHMUX_VERSION);
	put32(buf + 12, 8);
	put32(buf + 16, SSHMUX_C_ALIVE_CHECK);
	put32(buf + 20, id);
}

long sshmux_next(const unsigned char *buf, size_t len, struct sshmux_msg *m)
{
	uint32_t n;

	if (len < 4) {
		return 0;
	}
	n = get32(buf);
	if (n < 4 || n > 65536) {
		return -1;
	}
	if (len - 4 < n) {
		return 0;
	}
	m->type = get32(buf + 4);
	m->a = n >= 8 ? get32(buf + 8) : 0;
	m->b = n >= 12 ? get32(buf + 12) : 0;
	return (long)n + 4;
}

/* A string field at p: its length, then its bytes. */
static unsigned char *put_string(unsigned char *p, const char *s)
{
	size_t n = strlen(s);

	put32(p, (uint32_t)n);
	memcpy(p + 4, s, n);
	return p + 4 + n;
}

/* Whether env[i] goes with a session request: NAME=VALUE, and within
 * the bounds with the ones before it (*bytes so far, updated). */
static int env_fits(const char *e, size_t *bytes, size_t count)
{
	size_t n = strlen(e);

	if (strchr(e, '=') == NULL || e[0] == '=' ||
	    count >= SSHMUX_ENV_COUNT_MAX || n > SSHMUX_ENV_BYTES_MAX ||
	    *bytes + 4 + n > SSHMUX_ENV_BYTES_MAX) {
		return 0;
	}
	*bytes += 4 + n;
	return 1;
}

unsigned char *sshmux_session_request(uint32_t id, const char *command,
				      char *const *env, size_t *len)
{
	size_t clen = strlen(command);
	/* the hello (12 bytes); the request: its length, type, id, reserved
	 * string, four flags, the escape character, terminal type, command,
	 * then the environment's strings */
	size_t body = 4 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + 4 + clen;
	size_t envbytes = 0;
	size_t count = 0;
	unsigned char *buf;
	unsigned char *p;
	size_t i;

	if (clen > 32768) {
		return NULL;
	}
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		count += (size_t)env_fits(env[i], &envbytes, count);
	}
	body += envbytes;
	buf = malloc(12 + 4 + body);
	if (buf == NULL) {
		return NULL;
	}
	put32(buf, 8);
	put32(buf + 4, SSHMUX_MSG_HELLO);
	put32(buf + 8, SSHMUX_VERSION);
	p = buf + 12;
	put32(p, (uint32_t)body);
	put32(p + 4, SSHMUX_C_NEW_SESSION);
	put32(p + 8, id);
	p = put_string(p + 12, "");       /* reserved */
	put32(p, 0);                      /* no terminal */
	put32(p + 4, 0);                  /* no X11 */
	put32(p + 8, 1);                  /* the agent, if the master's
					   * ForwardAgent says so */
	put32(p + 12, 0);                 /* no subsystem */
	put32(p + 16, 0xffffffffu);       /* no escape character */
	p = put_string(p + 20, "");       /* terminal type */
	p = put_string(p, command);
	envbytes = 0;
	count = 0;
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		if (env_fits(env[i], &envbytes, count)) {
			p = put_string(p, env[i]);
			count++;
		}
	}
	*len = (size_t)(p - buf);
	return buf;
}

int sshmux_ssh_host(int argc, char *const *argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *w = argv[i];
		size_t k;

		if (strcmp(w, "--") == 0) {
			return i + 1 < argc ? i + 1 : -1;
		}
		if (w[0] != '-' || w[1] == '\0') {
			return i;
		}
		/* a cluster of flags, perhaps ending in one that takes an
		 * argument: the rest of the word, or the next word */
		for (k = 1; w[k] != '\0'; k++) {
			if (strchr(SSH_ARG_OPTS, w[k]) != NULL) {
				if (w[k + 1] == '\0') {
					i++;
				}
				break;
			}
			if (strchr(SSH_FLAG_OPTS, w[k]) == NULL) {
				return -1;
			}
		}
	}
	return -1;
}

int sshmux_sockaddr(const char *path, struct sockaddr_un *a)
{
	size_t len = strlen(path);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (len >= sizeof(a->sun_path)) {
		return -1;
	}
	memcpy(a->sun_path, path, len + 1);
	return 0;
}

char *sshmux_join(char *const *words, int n, int quote)
{
	size_t len = 1;
	char **q = NULL;
	char *s = NULL;
	char *p;
	int i;

	if (quote && n > 0 && (q = calloc((size_t)n, sizeof(*q))) == NULL) {
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (quote && (q[i] = shquote(words[i])) == NULL) {
			goto out;
		}
		len += strlen(quote ? q[i] : words[i]) + 1;
	}
	s = malloc(len);
	if (s == NULL) {
		goto out;
	}
	p = s;
	for (i = 0; i < n; i++) {
		const char *w = quote ? q[i] : words[i];
		size_t wl = strlen(w);

		if (i > 0) {
			*p++ = ' ';
		}
		memcpy(p, w, wl);
		p += wl;
	}
	*p = '\0';
out:
	for (i = 0; q != NULL && i < n; i++) {
		free(q[i]);
	}
	free(q);
	return s;
}
