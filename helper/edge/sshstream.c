/*
 * sshstream: a command kept running on a node and read line by line (see
 * sshconn.h, sshconn_stream_*): the CHDIR locks of a run.
 */
#define _GNU_SOURCE
#include "sshconn.h"

#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claim.h"
#include "clock.h"
#include "sshconn_int.h"
#include "text.h"

#define STREAM_BUF 4096

struct sshconn_stream;
static void stream_free(struct sshconn_stream *s);

struct sshconn_stream {
	struct sshconn *c;
	ssh_channel ch;
	char out[STREAM_BUF]; /* stdout not yet returned as lines */
	size_t outlen;
	struct textcap err;   /* stderr: first and last bytes */
	char *err_text;       /* what sshconn_stream_stderr last gave */
	double last_rx;
	double waiting;       /* since when a beat awaits its "alive" (0:
			       * none): what was not asked cannot go
			       * unanswered */
	char taken[400];      /* its "taken TEXT" line, if it said one */
	int eof;
};

static struct sshconn_stream *start_locked(struct sshconn *c,
					   const char *command, char *why,
					   size_t whylen)
{
	struct sshconn_stream *s = calloc(1, sizeof(*s));
	double start = clock_seconds();
	double deadline = start + (double)(c->keepalive > 0 ? c->keepalive
							     : 10);
	long bound;

	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	s->c = c;
	s->last_rx = start;
	s->waiting = 0;
	textcap_init(&s->err);
	s->ch = ssh_channel_new(c->session);
	if (s->ch == NULL) {
		snprintf(why, whylen, "out of memory");
		stream_free(s);
		return NULL;
	}
	bound = sshconn_bound(c, deadline);
	if (ssh_channel_open_session(s->ch) != SSH_OK) {
		sshconn_step_failed(c->session, "opening a channel", start, bound, why,
			    whylen);
		stream_free(s);
		return NULL;
	}
	start = clock_seconds();
	bound = sshconn_bound(c, start + (double)bound);
	if (ssh_channel_request_exec(s->ch, command) != SSH_OK) {
		sshconn_step_failed(c->session, "starting the command", start, bound,
			    why, whylen);
		stream_free(s);
		return NULL;
	}
	return s;
}

struct sshconn_stream *sshconn_stream_start(struct sshconn *c,
					    const char *command, char *why,
					    size_t whylen)
{
	struct sshconn_stream *s;

	sshconn_lock(c);
	s = start_locked(c, command, why, whylen);
	sshconn_unlock(c);
	return s;
}

/* Moves one line out of the buffer; 1 when there was one (or a full
 * buffer, cut), 0 otherwise. */
static int take_line(struct sshconn_stream *s, char *line, size_t len,
		     int at_end)
{
	char *nl = memchr(s->out, '\n', s->outlen);
	size_t n;

	if (nl == NULL && s->outlen < STREAM_BUF && !(at_end && s->outlen)) {
		return 0;
	}
	n = nl ? (size_t)(nl - s->out) : s->outlen;
	snprintf(line, len, "%.*s", (int)n, s->out);
	n = nl ? n + 1 : n;
	memmove(s->out, s->out + n, s->outlen - n);
	s->outlen -= n;
	return 1;
}

/* Takes what the channel has now: stdout while there is room for it
 * (the rest waits in libssh, within its window), all of stderr. */
static int stream_drain(struct sshconn_stream *s)
{
	char data[4096];
	int n;

	while (s->outlen < STREAM_BUF &&
	       (n = ssh_channel_read_nonblocking(
			s->ch, s->out + s->outlen, STREAM_BUF - s->outlen,
			0)) > 0) {
		s->outlen += (size_t)n;
		s->last_rx = clock_seconds();
	}
	while ((n = ssh_channel_read_nonblocking(s->ch, data, sizeof(data),
						 1)) > 0) {
		textcap_add(&s->err, data, (size_t)n);
		s->last_rx = clock_seconds();
	}
	return n == SSH_ERROR ? -1 : 0;
}

static int line_locked(struct sshconn_stream *s, long timeout_ms,
		       char *line, size_t len, char *why, size_t whylen)
{
	double deadline = clock_seconds() + (double)timeout_ms / 1000.0;
	double every;
	long wait;

	sshconn_ping_plan(s->c, &every, &wait);
	for (;;) {
		if (stream_drain(s) < 0) {
			snprintf(why, whylen, "the connection failed (%s)",
				 ssh_get_error(s->c->session));
			return -1;
		}
		if (!s->eof && (ssh_channel_is_eof(s->ch) ||
				ssh_channel_is_closed(s->ch)) &&
		    ssh_channel_poll(s->ch, 0) <= 0) {
			s->eof = 1;
		}
		if (take_line(s, line, len, s->eof)) {
			return 1;
		}
		if (s->eof) {
			return 0;
		}
		if (clock_seconds() >= deadline) {
			snprintf(why, whylen, "no answer within %lds",
				 (timeout_ms + 999) / 1000);
			return -1;
		}
		if (clock_seconds() - sshconn_heard(s->c, s->last_rx) >= every) {
			if (!sshconn_answers(s->c->session, wait)) {
				snprintf(why, whylen, "the node stopped "
					 "answering (no reply for %lds)",
					 (long)every + wait);
				return -1;
			}
			s->last_rx = clock_seconds();
		}
		sshconn_wait_input(s->c, 200);
	}
}

int sshconn_stream_line(struct sshconn_stream *s, long timeout_ms,
			char *line, size_t len, char *why, size_t whylen)
{
	int rc;

	sshconn_lock(s->c);
	rc = line_locked(s, timeout_ms, line, len, why, whylen);
	sshconn_unlock(s->c);
	return rc;
}

const char *sshconn_stream_stderr(struct sshconn_stream *s)
{
	sshconn_lock(s->c);
	free(s->err_text);
	s->err_text = textcap_text(&s->err);
	sshconn_unlock(s->c);
	return s->err_text ? s->err_text : "";
}

/* The heartbeat's turn (session taken): the command's replies read ("alive",
 * or "taken TEXT" when another run wrote the lock file), then a beat.
 * 0 while it holds, -1 with why. */
static int heartbeat_locked(struct sshconn_stream *s, long keepalive,
			    char *why, size_t whylen)
{
	char line[400];
	double now;

	if (stream_drain(s) < 0) {
		s->outlen = 0;
	}
	while (take_line(s, line, sizeof(line), 0)) {
		if (strcmp(line, "alive") == 0) {
			s->waiting = 0;
			s->c->last_alive = clock_seconds();
		} else if (strncmp(line, "taken ", 6) == 0) {
			size_t node;

			/* "pytest-cloud pid 12 by me on ci7 since ..." */
			claim_owner_parse(line + 6, "", &node, s->taken,
					  sizeof(s->taken));
			text_clean(s->taken);
		}
	}
	if (s->taken[0] != '\0') {
		snprintf(why, whylen, "another run wrote its lock file (%s): "
			 "flock(1) does not keep runs apart there (NFS without "
			 "locks?)", s->taken);
		return -1;
	}
	if (ssh_channel_is_closed(s->ch) || ssh_channel_is_eof(s->ch)) {
		snprintf(why, whylen, "%s", ssh_is_connected(s->c->session)
						    ? "the lock's command ended"
						    : "the connection to the "
						      "node was lost");
		return -1;
	}
	now = clock_seconds();
	if (s->waiting > 0 && now - s->waiting > (double)keepalive) {
		snprintf(why, whylen, "the node stopped answering for %lds",
			 (long)(now - s->waiting));
		return -1;
	}
	if (ssh_channel_write(s->ch, "beat\n", 5) != 5) {
		snprintf(why, whylen, "the heartbeat could not be sent: %s",
			 ssh_get_error(s->c->session));
		return -1;
	}
	if (s->waiting == 0) {
		s->waiting = now;
	}
	return 0;
}

int sshconn_stream_heartbeat(struct sshconn_stream *s, long keepalive,
			     char *why, size_t whylen)
{
	int rc;

	if (!sshconn_trylock(s->c)) {
		return 1; /* a step has the session: its turn ends soon */
	}
	rc = heartbeat_locked(s, keepalive, why, whylen);
	sshconn_unlock(s->c);
	return rc;
}

static void stream_free(struct sshconn_stream *s)
{
	if (s->ch != NULL) {
		if (ssh_channel_is_open(s->ch)) {
			ssh_channel_send_eof(s->ch);
			ssh_channel_close(s->ch);
		}
		ssh_channel_free(s->ch);
	}
	free(s->err_text);
	free(s);
}

void sshconn_stream_close(struct sshconn_stream *s)
{
	struct sshconn *c;

	if (s == NULL) {
		return;
	}
	c = s->c;
	sshconn_lock(c);
	stream_free(s);
	sshconn_unlock(c);
}
