/*
 * elf: what the helper reads of an ELF executable, from its bytes (pure:
 * the edge reads the file).  A virtualenv's base interpreter whose
 * RUNPATH is $ORIGIN-relative (uv's standalone builds) runs from
 * anywhere, and so can be copied to a node's cache (interp.c decides).
 *
 * Only 64-bit little-endian files are read (x86-64, aarch64: the
 * platforms the helper copies interpreters between); every read is
 * bounded by the buffer, so a truncated or hostile file gives -1.
 */
#ifndef PYTEST_CLOUD_ELF_H
#define PYTEST_CLOUD_ELF_H

#include <stddef.h>

/*
 * The RUNPATH or RPATH entries of an ELF executable (its bytes), ':'
 * separated, in buf ("" when it has none).  Returns 0, or -1 when data is
 * not a 64-bit little-endian ELF file this reads.
 */
int elf_runpath(const unsigned char *data, size_t size, char *buf, size_t len);

#endif
