/*
 * path: lexical path arithmetic, with no look at the disk (links are the
 * edges' and the nodes' business).  Pure.
 */
#ifndef PYTEST_CLOUD_PATH_H
#define PYTEST_CLOUD_PATH_H

/*
 * Lexically normalises path (absolute, or relative to base when base is
 * not NULL) and, when it lies inside root, returns a newly allocated path
 * relative to root ("." for root itself).  Returns NULL when it lies
 * outside root or memory ran out.
 */
char *path_inside(const char *root, const char *base,
		  const char *path);

#endif
