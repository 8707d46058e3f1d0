/* The CUnit suites, one per core module; each adds itself to the
 * registry and returns 0, or -1 when CUnit fails. */
#ifndef PYTEST_CLOUD_TEST_SUITES_H
#define PYTEST_CLOUD_TEST_SUITES_H

int suite_adopt(void);
int suite_claim(void);
int suite_config(void);
int suite_hostrange(void); /* hostrange, slurm, nodelist */
int suite_inifile(void);
int suite_knownhosts(void);
int suite_nodename(void);
int suite_plan(void);
int suite_probe_parse(void);
int suite_render(void);
int suite_shquote(void);
int suite_spawn(void);
int suite_sshg(void);
int suite_sshmux(void);
int suite_text(void);
int suite_rsync(void);
int suite_develop(void);
int suite_files(void);
int suite_interp(void);
int suite_elf(void);
int suite_copyset(void);
int suite_sshcert(void);
int suite_small(void); /* buf, strvec, path, report, sshopts, opts, b64 */

/* Runs script with sh, HOME at scratch/home (and bin first on PATH when
 * not NULL), in /; returns its output (owned; *code its exit status, -1
 * for a signal) or NULL when it could not run. */
char *unit_sh(const char *scratch, const char *bin, const char *script,
	      int *code);

#endif
