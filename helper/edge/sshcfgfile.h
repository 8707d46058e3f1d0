/*
 * sshcfgfile: the OpenSSH client config files on disk, read for
 * sshcfg.h's policy, with their Include files (globs, relative to
 * ~/.ssh, at most 8 deep).  Edge.
 */
#ifndef PYTEST_CLOUD_SSHCFGFILE_H
#define PYTEST_CLOUD_SSHCFGFILE_H

#include "sshcfg.h"
#include "sshcfgfile.h"

/*
 * The policy for host from the file at path (NULL: ~/.ssh/config,
 * then /etc/ssh/ssh_config), following Include; POLICY_STRICT when
 * nothing sets it, as with ssh.
 */
enum host_key_policy sshcfg_policy_file(const char *path, const char *host);

#endif
