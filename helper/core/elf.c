/* elf: the RUNPATH of an ELF executable (see elf.h). */
#define _POSIX_C_SOURCE 200809L
#include "elf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Little-endian reads within data[0..size). */
static int rd(const unsigned char *data, size_t size, uint64_t off,
	      unsigned width, uint64_t *out)
{
	unsigned i;

	if (off > size || width > size - off) {
		return -1;
	}
	*out = 0;
	for (i = 0; i < width; i++) {
		*out |= (uint64_t)data[off + i] << (8 * i);
	}
	return 0;
}

/* The file offset of virtual address addr (a PT_LOAD segment's). */
static int vaddr_to_off(const unsigned char *d, size_t size, uint64_t phoff,
			uint64_t phent, uint64_t phnum, uint64_t addr,
			uint64_t *off)
{
	uint64_t i;

	for (i = 0; i < phnum && i < 4096; i++) {
		uint64_t ph = phoff + i * phent;
		uint64_t type, poff, vaddr, filesz;

		if (rd(d, size, ph, 4, &type) < 0 ||
		    rd(d, size, ph + 8, 8, &poff) < 0 ||
		    rd(d, size, ph + 16, 8, &vaddr) < 0 ||
		    rd(d, size, ph + 32, 8, &filesz) < 0) {
			return -1;
		}
		if (type == 1 && addr >= vaddr && addr - vaddr < filesz) {
			*off = addr - vaddr + poff;
			return 0;
		}
	}
	return -1;
}

int elf_runpath(const unsigned char *d, size_t size, char *buf, size_t len)
{
	uint64_t phoff, phent, phnum;
	uint64_t dyn = 0, dynsz = 0, strtab = 0, strsz = 0, name = UINT64_MAX;
	uint64_t i;
	struct buf out = BUF_INIT;
	char *text;

	if (len > 0) {
		buf[0] = '\0';
	}
	if (size < 64 || memcmp(d, "\177ELF", 4) != 0 || d[4] != 2 ||
	    d[5] != 1 || rd(d, size, 32, 8, &phoff) < 0 ||
	    rd(d, size, 54, 2, &phent) < 0 || rd(d, size, 56, 2, &phnum) < 0 ||
	    phent < 56) {
		return -1;
	}
	for (i = 0; i < phnum && i < 4096; i++) {
		uint64_t type;

		if (rd(d, size, phoff + i * phent, 4, &type) < 0) {
			return -1;
		}
		if (type == 2) { /* PT_DYNAMIC */
			uint64_t ph = phoff + i * phent;

			if (rd(d, size, ph + 8, 8, &dyn) < 0 ||
			    rd(d, size, ph + 32, 8, &dynsz) < 0) {
				return -1;
			}
		}
	}
	for (i = 0; dyn && i + 16 <= dynsz; i += 16) {
		uint64_t tag, val;

		if (rd(d, size, dyn + i, 8, &tag) < 0 ||
		    rd(d, size, dyn + i + 8, 8, &val) < 0 || tag == 0) {
			break;
		}
		if (tag == 5) { /* DT_STRTAB */
			strtab = val;
		} else if (tag == 10) { /* DT_STRSZ */
			strsz = val;
		} else if (tag == 29 || (tag == 15 && name == UINT64_MAX)) {
			name = val; /* DT_RUNPATH, else DT_RPATH */
		}
	}
	if (name == UINT64_MAX) {
		return 0;
	}
	if (vaddr_to_off(d, size, phoff, phent, phnum, strtab, &strtab) < 0 ||
	    name >= strsz || strtab + name >= size) {
		return -1;
	}
	buf_printf(&out, "%.*s", (int)strnlen((const char *)d + strtab + name,
					       size - strtab - name),
		   (const char *)d + strtab + name);
	text = buf_take(&out);
	if (text == NULL) {
		return -1;
	}
	snprintf(buf, len, "%s", text);
	free(text);
	return 0;
}
