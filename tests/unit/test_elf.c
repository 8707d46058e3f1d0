/* elf: the RUNPATH of real ELF files, and files it refuses. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "files.h"
#include "suites.h"

/* RUNPATH of a real ELF file: this test binary, linked with one. */
static void test_real_files(void)
{
	char err[200];
	char runpath[512];
	size_t size = 0;
	char *self = files_read("/proc/self/exe", 256u << 20, 0, &size, err,
				sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(self);
	CU_ASSERT_EQUAL(elf_runpath((unsigned char *)self, size, runpath,
				    sizeof(runpath)), 0);
	CU_ASSERT_STRING_EQUAL(runpath, "/pytest-cloud/unit/runpath:$ORIGIN/x");
	free(self);
	self = files_read("/bin/sh", 64u << 20, 0, &size, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(self);
	CU_ASSERT_EQUAL(elf_runpath((unsigned char *)self, size, runpath,
				    sizeof(runpath)), 0);
	CU_ASSERT_STRING_EQUAL(runpath, "");
	/* cut short: never read past the end */
	CU_ASSERT_EQUAL(elf_runpath((unsigned char *)self, 80, runpath,
				    sizeof(runpath)), -1);
	free(self);
}

/* An ELF64 header and one PT_LOAD program header, no PT_DYNAMIC: no
 * RUNPATH, read as such.  Then each field made to be refused. */
static void make_header(unsigned char *h, size_t size)
{
	memset(h, 0, size);
	memcpy(h, "\177ELF\2\1\1", 7);
	h[32] = 64; /* e_phoff: right after this header */
	h[54] = 56; /* e_phentsize */
	h[56] = 1;  /* e_phnum */
	h[64] = 1;  /* p_type: PT_LOAD */
}

static void test_refused(void)
{
	static const struct {
		size_t at;
		unsigned char value;
	} rows[] = {
		{ 0, 0x7e },  /* no ELF magic */
		{ 4, 1 },     /* 32-bit */
		{ 5, 2 },     /* big-endian */
		{ 54, 40 },   /* a program header smaller than ELF64's */
		{ 57, 0x10 }, /* 4097 program headers: past the end */
		{ 32, 200 },  /* program headers past the end */
	};
	unsigned char h[64 + 56];
	char runpath[64];
	size_t i;

	make_header(h, sizeof(h));
	strcpy(runpath, "left");
	CU_ASSERT_EQUAL(elf_runpath(h, sizeof(h), runpath, sizeof(runpath)),
			0);
	CU_ASSERT_STRING_EQUAL(runpath, "");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		make_header(h, sizeof(h));
		h[rows[i].at] = rows[i].value;
		CU_ASSERT_EQUAL(elf_runpath(h, sizeof(h), runpath,
					    sizeof(runpath)), -1);
	}
	CU_ASSERT_EQUAL(elf_runpath((const unsigned char *)"#!/bin/sh\n", 10,
				    runpath, sizeof(runpath)), -1);
}

int suite_elf(void)
{
	CU_pSuite s = CU_add_suite("elf", NULL, NULL);

	return (s && CU_add_test(s, "real files", test_real_files) &&
		CU_add_test(s, "refused", test_refused))
		       ? 0
		       : -1;
}
