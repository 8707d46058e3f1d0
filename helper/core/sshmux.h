/*
 * sshmux: one OpenSSH master connection (ControlMaster) per node, which
 * every later ssh of the run goes through, and the next run's too.
 * Pure: the folder's rule, a master's name and command line, the words
 * its clients get, the few messages of OpenSSH's control protocol
 * (PROTOCOL.mux) the helper speaks.  The edge (sshmaster.h) runs them.
 *
 * Model.  After the probe has judged a node's host key (hostkey.h), the
 * helper makes sure a master runs for it: rsync's ssh and the gateway's
 * (and any ssh after them) then open sessions over that one connection,
 * so a node costs one OpenSSH handshake per run, and none on a run
 * within cloud_ssh_persist seconds of the last.
 *
 * A master is named by what it was started with: the SHA-256 of ssh -G's
 * whole output for the node (the config as OpenSSH read it), every word
 * of its command line but the ones of this run alone (ConnectTimeout and
 * the control words), and the one host key it accepts.  It is started as
 * the run's other ssh are (sshopts.h: BatchMode, the keepalives,
 * StrictHostKeyChecking=yes, UpdateHostKeys=no; the node's place pinned:
 * sshg_pin), and its known_hosts is a file of one line: the key the probe
 * judged (UserKnownHostsFile, GlobalKnownHostsFile /dev/null, no
 * KnownHostsCommand, CheckHostIP and VerifyHostKeyDNS off).  So the
 * master can only ever talk to a node that proves that very key, and a
 * master found under a name is one started for this node, this place,
 * these settings and this key: a node whose key changed and was judged
 * again gets another name, and so a new master.  Forwardings of the
 * config are cleared (a master outlives the run) and RemoteCommand is
 * none (it runs no command).  The key exchange is the user's
 * (KexAlgorithms untouched).
 *
 * The folder: $XDG_RUNTIME_DIR/pytest-cloud when XDG_RUNTIME_DIR is an
 * absolute path of plain characters short enough, else
 * /tmp/pytest-cloud-UID; the edge makes it 0700 and refuses one that is
 * not this user's own.  A socket's path must fit sockaddr_un (104 bytes
 * on the BSDs) with the 17 characters OpenSSH adds while it binds.  Files:
 * NAME (the socket), NAME.key (the master's known_hosts), NAME.lock (one
 * run at a time checks or starts the master of a name).
 *
 * The user's own multiplexing wins: a node for which ssh -G shows a
 * ControlPath gets no master of ours, and no control words, so rsync's
 * and the gateway's ssh use the user's ControlMaster and ControlPath as
 * configured.
 */
#ifndef PYTEST_CLOUD_SSHMUX_H
#define PYTEST_CLOUD_SSHMUX_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "report.h"
#include "sshg.h"
#include "muxproto.h"
#include "strvec.h"

/* A node's master, as its report has it (node_report.mux). */
enum sshmux_state {
	SSHMUX_NONE = 0, /* none: a dry run, no OpenSSH, or it failed */
	SSHMUX_STARTED,  /* started by this run */
	SSHMUX_REUSED,   /* one that was running, found alive */
	SSHMUX_YOURS     /* the user's config multiplexes (ControlPath) */
};

/* "started", "reused", "yours", or NULL for SSHMUX_NONE. */
const char *sshmux_state_name(int state);

#define SSHMUX_NAME_LEN 32  /* hex characters of a master's name */
#define SSHMUX_PATH_MAX 86  /* longest socket path: 104 - 17 - 1 */
#define SSHMUX_FOLDER_MAX (SSHMUX_PATH_MAX - 1 - SSHMUX_NAME_LEN)

/*
 * The masters' folder in buf: runtime_dir (XDG_RUNTIME_DIR, or NULL)
 * + "/pytest-cloud" when it is absolute, of letters, digits and "/._-"
 * only, and short enough; else "/tmp/pytest-cloud-UID".  Returns 0, or
 * -1 when buf is too small.
 */
int sshmux_folder(const char *runtime_dir, unsigned long uid, char *buf,
		  size_t len);

/* 1 when the user's config multiplexes the node itself (ssh -G shows a
 * ControlPath), else 0. */
int sshmux_users(const struct sshg *g);

/* The master's known_hosts line for key ("TYPE BASE64"): the name ssh
 * looks up (HostKeyAlias, or the host, "[host]:port" off port 22), the
 * key, a newline.  Newly allocated; NULL when out of memory. */
char *sshmux_key_line(const struct sshg *g, const char *key);

/*
 * The words of node r's master that name it, in out: "-N -T", the
 * run's ssh options (sshopts.h) with the host-key words above, the pin,
 * "-o Compression=no -c CIPHER", "-F CONFIG", "-l USER", "-p PORT", "--",
 * the host.  Returns 0, or -1 when out of memory.
 */
int sshmux_master_words(const struct cloud_config *cfg,
			const struct node_report *r, struct strvec *out);

/*
 * A master's name (SSHMUX_NAME_LEN hex characters and a NUL in out):
 * the SHA-256 over words but those of one run alone (ConnectTimeout=),
 * ssh -G's digest (digest may be NULL) and the key.  Returns 0, or -1
 * when out of memory.
 */
int sshmux_name(const struct strvec *words, const char *digest,
		const char *key, char *out);

/*
 * The master's whole argv in out (argv[0] "ssh"): its control words
 * (ControlMaster=yes, ControlPath=path, ControlPersist: cloud_ssh_persist
 * seconds, 1 for 0, since OpenSSH reads 0 as "for ever";
 * UserKnownHostsFile=path.key), then words.  Returns 0, or -1 when out
 * of memory.
 */
int sshmux_master_argv(const struct cloud_config *cfg,
		       const struct strvec *words, const char *path,
		       struct strvec *out);

/* What every later ssh to node r gets so that it goes through the
 * master: "-o ControlMaster=no -o ControlPath=PATH" for a master of ours
 * (r->mux_path), else "".  Newly allocated; NULL when out of memory. */
char *sshmux_client_opts(const struct node_report *r);

#endif
