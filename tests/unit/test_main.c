#define _GNU_SOURCE
/* Runs every CUnit suite; exit status 0 only when all tests pass. */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "inifile.h"
#include "suites.h"

int main(void)
{
	int (*suites[])(void) = { suite_config,      suite_inifile,
				  suite_nodename,    suite_plan,
				  suite_probe_parse, suite_render,
				  suite_shquote,     suite_spawn,
				  suite_sshg,        suite_rsync,
				  suite_develop,     suite_claim,
				  suite_knownhosts,  suite_text,
				  suite_adopt,       suite_files,
				  suite_interp,      suite_small,
				  suite_copyset,     suite_sshcert,
				  suite_hostrange,   suite_elf,
				  suite_sshmux };
	unsigned int failed;
	size_t i;

	inifile_setup();
	if (CU_initialize_registry() != CUE_SUCCESS) {
		return 2;
	}
	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
		if (suites[i]() < 0) {
			CU_cleanup_registry();
			return 2;
		}
	}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	if (CU_get_number_of_tests_run() == 0) {
		failed = 1;
	}
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
