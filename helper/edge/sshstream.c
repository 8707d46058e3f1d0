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

#include "clock.h"
#include "sshconn_int.h"
#include "text.h"

#define STREAM_BUF 4096

struct sshconn_stream {
	struct sshconn *c;
	ssh_channel ch;
	char out[STREAM_BUF]; /* stdout not yet returned as lines */
	size_t outlen;
	struct textcap err;   /* stderr: first and last bytes */
	char *err_text;       /* what sshconn_stream_stderr last gave */
	double last_rx;
	int eof;
};

struct sshconn_stream *sshconn_stream_start(struct sshconn *c,
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
	textcap_init(&s->err);
	s->ch = ssh_channel_new(c->session);
	if (s->ch == NULL) {
		snprintf(why, whylen, "out of memory");
		sshconn_stream_close(s);
		return NULL;
	}
	bound = sshconn_bound(c, deadline);
	if (ssh_channel_open_session(s->ch) != SSH_OK) {
		sshconn_step_failed(c->session, "opening a channel", start, bound, why,
			    whylen);
		sshconn_stream_close(s);
		return NULL;
	}
	start = clock_seconds();
	bound = sshconn_bound(c, start + (double)bound);
	if (ssh_channel_request_exec(s->ch, command) != SSH_OK) {
		sshconn_step_failed(c->session, "starting the command", start, bound,
			    why, whylen);
		sshconn_stream_close(s);
		return NULL;
	}
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

int sshconn_stream_line(struct sshconn_stream *s, long timeout_ms,
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
		if (clock_seconds() - s->last_rx >= every) {
			if (!sshconn_answers(s->c->session, wait)) {
				snprintf(why, whylen, "the node stopped "
					 "answering (no reply for %lds)",
					 (long)every + wait);
				return -1;
			}
			s->last_rx = clock_seconds();
		}
		ssh_channel_poll_timeout(s->ch, 200, 0);
	}
}

const char *sshconn_stream_stderr(struct sshconn_stream *s)
{
	free(s->err_text);
	s->err_text = textcap_text(&s->err);
	return s->err_text ? s->err_text : "";
}

int sshconn_stream_alive(struct sshconn_stream *s)
{
	if (s == NULL || s->ch == NULL || stream_drain(s) < 0) {
		return 0;
	}
	s->outlen = 0; /* nothing more is expected; keep no more of it */
	return !ssh_channel_is_closed(s->ch) && !ssh_channel_is_eof(s->ch);
}

int sshconn_stream_beat(struct sshconn_stream *s, long wait_s, char *why,
			size_t whylen)
{
	if (!sshconn_stream_alive(s)) {
		snprintf(why, whylen, "%s", ssh_is_connected(s->c->session)
						    ? "the lock's command ended"
						    : "the connection to the "
						      "node was lost");
		return -1;
	}
	if (ssh_channel_write(s->ch, "beat\n", 5) != 5) {
		snprintf(why, whylen, "the heartbeat could not be sent: %s",
			 ssh_get_error(s->c->session));
		return -1;
	}
	if (!sshconn_answers(s->c->session, wait_s)) {
		snprintf(why, whylen, "the node stopped answering for %lds",
			 wait_s);
		return -1;
	}
	return 0;
}

void sshconn_stream_close(struct sshconn_stream *s)
{
	if (s == NULL) {
		return;
	}
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
