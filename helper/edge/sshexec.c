/*
 * sshexec: one command on a node, bounded, its output kept (see
 * sshconn.h, sshconn_exec).
 *
 * libssh 0.10 quirk pinned here: ssh_channel_read_timeout returns 0 both
 * at EOF and on timeout, so the loop checks ssh_channel_is_eof and the
 * deadline itself.
 */
#define _GNU_SOURCE
#include "sshconn.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "sshconn_int.h"
#include "text.h"

/* Takes everything both streams have now; -1 when the session failed. */
static int drain(ssh_channel ch, struct textcap *out, struct textcap *err,
		 double *last_rx)
{
	char data[16384];
	int stream;

	for (stream = 0; stream < 2; stream++) {
		int n;

		while ((n = ssh_channel_read_nonblocking(ch, data,
							 sizeof(data),
							 stream)) > 0) {
			textcap_add(stream ? err : out, data, (size_t)n);
			*last_rx = clock_seconds();
		}
		if (n == SSH_ERROR) {
			return -1;
		}
	}
	return 0;
}

/*
 * Reads until the command's output ends, whatever the node sends: both
 * streams are drained on every turn (libssh reopens the window as we read,
 * so what it buffers stays within one window), and only their first and
 * last bytes are kept.  A node silent for a while is pinged; one that
 * does not answer is given up on.
 */
static int read_streams(struct sshconn *c, ssh_channel ch, double deadline,
			long timeout_s, struct textcap *out,
			struct textcap *err, char *why, size_t whylen)
{
	double last_rx = clock_seconds();
	double every;
	long wait;

	sshconn_ping_plan(c, &every, &wait);
	for (;;) {
		double left = deadline - clock_seconds();

		if (drain(ch, out, err, &last_rx) < 0) {
			snprintf(why, whylen, "waiting for its output: the "
				 "connection failed (%s)",
				 ssh_get_error(c->session));
			return -1;
		}
		if (ssh_channel_is_eof(ch) || ssh_channel_is_closed(ch)) {
			return 0;
		}
		if (left <= 0) {
			snprintf(why, whylen, "waiting for its output: timed "
				 "out after %lds", timeout_s);
			return -1;
		}
		/* the heartbeat's replies count: it pings nothing then */
		if (clock_seconds() - sshconn_heard(c, last_rx) >= every) {
			if (!sshconn_answers(c->session, wait)) {
				snprintf(why, whylen, "the node stopped "
					 "answering (no reply for %lds)",
					 (long)every + wait);
				return -1;
			}
			last_rx = clock_seconds();
		}
		sshconn_wait_input(c, left > 0.2 ? 200 : 10);
	}
}

static void on_exit_signal(ssh_session session, ssh_channel channel,
			   const char *signal, int core, const char *errmsg,
			   const char *lang, void *userdata)
{
	char *name = userdata;

	(void)session;
	(void)channel;
	(void)core;
	(void)errmsg;
	(void)lang;
	snprintf(name, SSHCONN_SIGNAL_LEN, "%s", signal ? signal : "?");
}

/* Output kept by read_streams, as the caller gets it. */
static int take_output(struct textcap *out, struct textcap *err,
		       struct sshconn_output *res, char *why, size_t whylen)
{
	res->out = textcap_text(out);
	res->err = textcap_text(err);
	if (res->out == NULL || res->err == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	return 0;
}

static int exec_locked(struct sshconn *c, const char *command,
		       long timeout_s, struct sshconn_output *res, char *why,
		       size_t whylen)
{
	ssh_channel ch = ssh_channel_new(c->session);
	struct ssh_channel_callbacks_struct cb;
	double start = clock_seconds();
	double deadline = start + (double)timeout_s;
	struct textcap *caps = calloc(2, sizeof(*caps));
	double step;
	long bound;
	int rc = -1;

	res->out = NULL;
	res->err = NULL;
	res->exit_status = -1;
	res->exit_signal[0] = '\0';
	memset(&cb, 0, sizeof(cb));
	if (ch == NULL || caps == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	cb.userdata = res->exit_signal;
	cb.channel_exit_signal_function = on_exit_signal;
	ssh_callbacks_init(&cb);
	ssh_set_channel_callbacks(ch, &cb);
	bound = sshconn_bound(c, deadline);
	step = clock_seconds();
	if (ssh_channel_open_session(ch) != SSH_OK) {
		sshconn_step_failed(c->session, "opening a channel", step, bound, why,
			    whylen);
		goto out;
	}
	bound = sshconn_bound(c, deadline);
	step = clock_seconds();
	if (ssh_channel_request_exec(ch, command) != SSH_OK) {
		sshconn_step_failed(c->session, "starting the command", step, bound,
			    why, whylen);
		goto out;
	}
	if (read_streams(c, ch, deadline, timeout_s, &caps[0], &caps[1], why,
			 whylen) < 0 ||
	    take_output(&caps[0], &caps[1], res, why, whylen) < 0) {
		goto out;
	}
	ssh_channel_send_eof(ch);
	sshconn_bound(c, deadline);
	res->exit_status = ssh_channel_get_exit_status(ch);
	rc = 0;
out:
	if (rc < 0) {
		free(res->out);
		res->out = NULL;
		free(res->err);
		res->err = NULL;
	}
	if (ch != NULL) {
		/* libssh keeps a freed channel until the node confirms its
		 * close, and may get more of its data meanwhile: the callbacks
		 * (on this stack) go first */
		ssh_remove_channel_callbacks(ch, &cb);
		ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	free(caps);
	return rc;
}

int sshconn_exec(struct sshconn *c, const char *command, long timeout_s,
		 struct sshconn_output *res, char *why, size_t whylen)
{
	int rc;

	sshconn_lock(c);
	rc = exec_locked(c, command, timeout_s, res, why, whylen);
	sshconn_unlock(c);
	return rc;
}

void sshconn_describe_end(const struct sshconn_output *o, char *buf, size_t len)
{
	if (o->exit_status >= 0) {
		snprintf(buf, len, "exit %d", o->exit_status);
	} else if (o->exit_signal[0] != '\0') {
		snprintf(buf, len, "killed by signal %s", o->exit_signal);
	} else {
		snprintf(buf, len, "ended without an exit status");
	}
}
