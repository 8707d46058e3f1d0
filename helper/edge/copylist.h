/*
 * copylist: what the copy sends and what it leaves out (copyset.h), said
 * before it runs.
 */
#ifndef PYTEST_CLOUD_COPYLIST_H
#define PYTEST_CLOUD_COPYLIST_H

#include "config.h"

struct copyset_list;

/*
 * Decides what only the project's files can tell: .git goes along when a
 * develop egg takes its version from git (cfg->git_needed_by, said in a
 * line); each entry at the root that may hold credentials (.env, .netrc,
 * .aws, ...: copyset.h) is said to stay behind, in name order.  Returns
 * 0, or -1 when out of memory.
 */
int copy_decide(struct cloud_config *cfg);

/* What the copy would send, per top-level entry (rsync --list-only with
 * the copy's own filters), and the top-level entries a default leaves
 * out, sized.  Returns 0, or -1 (said) when it cannot list. */
int copy_list(const struct cloud_config *cfg, struct copyset_list *copied,
	      struct copyset_list *left);

/* Both on stderr, one entry a line. */
void copy_say(const struct copyset_list *copied,
	      const struct copyset_list *left);

#endif
