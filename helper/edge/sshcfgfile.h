/*
 * sshcfgfile: the OpenSSH client config files on disk, read for
 * sshcfg.h's settings, with their Include files (globs, relative to
 * ~/.ssh, at most 8 deep).  Edge.
 */
#ifndef PYTEST_CLOUD_SSHCFGFILE_H
#define PYTEST_CLOUD_SSHCFGFILE_H

#include "sshcfg.h"

/*
 * The host key settings for host from the file at path (NULL: as ssh
 * without -F, ~/.ssh/config then /etc/ssh/ssh_config), following
 * Include; a file that cannot be read gives nothing.  user is the node
 * name's "user@" (NULL: none); Match blocks see it, else the config's
 * User, else this login.  Returns 0, or -1 when out of memory.  Release
 * out with sshcfg_settings_release.
 */
int sshcfg_settings_file(const char *path, const char *host,
			 const char *user, struct sshcfg_settings *out);

/*
 * The home ssh means by '~' and '%d' (and where ~/.ssh/config is): this
 * user's entry in the password database, as OpenSSH and libssh take it,
 * else $HOME; NULL when neither is known.  Not to be freed.
 */
const char *sshcfg_user_home(void);

#endif
