/*
 * gendoc: writes the man page (gendoc man) and the bash completion
 * (gendoc bash) from the option table and the exit statuses, so that
 * neither can drift from --help; and the table itself as tab-separated
 * lines (gendoc table: flag, ini key, environment, type, choices,
 * meaning; "-" for none), which a test compares with the conftest's own
 * list of options.  A build tool; not installed.
 */
#include <stdio.h>
#include <string.h>

#include "exits.h"
#include "opts.h"
#include "version.h"

/* Text for roff: backslashes and hyphens escaped, a leading '.' or '\''
 * made literal. */
static void roff(const char *s)
{
	if (*s == '.' || *s == '\'') {
		fputs("\\&", stdout);
	}
	for (; *s != '\0'; s++) {
		if (*s == '\\') {
			fputs("\\e", stdout);
		} else if (*s == '-') {
			fputs("\\-", stdout);
		} else {
			putchar(*s);
		}
	}
}

static const char *value_name(const struct opt_def *d)
{
	switch (d->type) {
	case OPT_T_NODES:
		return "NODES";
	case OPT_T_PATHS:
		return "PATHS";
	case OPT_T_POSITIVE:
	case OPT_T_UNSIGNED:
		return "N";
	case OPT_T_FLAG:
		return NULL;
	case OPT_T_STRING:
		break;
	}
	return d->value == OPT_V_FILE  ? "FILE"
	       : d->value == OPT_V_DIR ? "DIR"
				       : "VALUE";
}

/* One option: its flag (or ini key), meaning, default and sources. */
static void man_option(const struct opt_def *d)
{
	const char *v = value_name(d);
	char buf[32];

	puts(".TP");
	fputs(".B ", stdout);
	roff(d->flag ? d->flag : d->ini);
	if (d->flag != NULL && v != NULL) {
		fputs("=\\fI", stdout);
		fputs(v, stdout);
		fputs("\\fR", stdout);
	}
	putchar('\n');
	roff(d->meaning);
	puts(".");
	if (d->choices != NULL) {
		fputs("One of: ", stdout);
		roff(d->choices);
		puts(".");
	}
	if (opts_default_text(d, buf, sizeof(buf)) != NULL) {
		fputs("Default: ", stdout);
		roff(opts_default_text(d, buf, sizeof(buf)));
		puts(".");
	}
	if (d->flag != NULL && (d->ini != NULL || d->env != NULL)) {
		fputs("Also ", stdout);
		if (d->ini != NULL) {
			fputs("ini key \\fB", stdout);
			roff(d->ini);
			fputs("\\fR", stdout);
		}
		if (d->env != NULL) {
			fputs(d->ini != NULL ? ", environment \\fB"
					     : "environment \\fB",
			      stdout);
			roff(d->env);
			fputs("\\fR", stdout);
		}
		puts(".");
	} else if (d->flag == NULL && d->env != NULL) {
		fputs("Also environment \\fB", stdout);
		roff(d->env);
		puts("\\fR.");
	}
}

static void man(void)
{
	size_t n;
	size_t i;
	const struct opt_def *t = opts_table(&n);

	printf(".TH PYTEST\\-CLOUD 1 \"\" \"pytest\\-cloud %s\" "
	       "\"User Commands\"\n",
	       PYTEST_CLOUD_VERSION);
	puts(".SH NAME\npytest\\-cloud \\- run a project's pytest suite on "
	     "SSH nodes with pytest\\-xdist");
	puts(".SH SYNOPSIS\n.B pytest\\-cloud\n[\\fB\\-\\-dry\\-run\\fR] "
	     "[\\fB\\-\\-cloud\\-\\fIOPTION\\fB=\\fIVALUE\\fR ...]\n.br\n"
	     ".B pytest\\-cloud init\n[\\fB\\-\\-nodes\\fR "
	     "\\fI\"NODE ...\"\\fR] [\\fB\\-\\-ini\\fR \\fIFILE\\fR] "
	     "[\\fB\\-\\-dry\\-run\\fR]");
	puts(".SH DESCRIPTION\n"
	     "The helper of the pytest\\-cloud plugin.  It resolves the "
	     "cloud options (command line over environment over the config "
	     "file pytest uses), probes every node over SSH at once, plans "
	     "how many test processes each node takes (the least of its "
	     "CPUs, its available memory over the memory per process, and "
	     "the maximum), leaves out nodes that are offline, silent, "
	     "untrusted or unfit with the reason, copies the project with "
	     "its virtualenv to the usable nodes with rsync, installs the "
	     "develop eggs there, and prints the plan as JSON on standard "
	     "output.  The plugin runs it from pytest; run by hand, "
	     "\\fB\\-\\-dry\\-run\\fR shows the plan without writing to "
	     "any node.");
	puts(".PP\n"
	     "Each \\fB\\-\\-cloud\\-\\fIx\\-y\\fR option also has the ini "
	     "key \\fBcloud_\\fIx_y\\fR and the environment variable "
	     "\\fBPYTEST_CLOUD_\\fIX_Y\\fR; the command line wins over the "
	     "environment, the environment over the config file.  On "
	     "pytest's command line write them as "
	     "\\fB\\-\\-cloud\\-\\fIx\\fB=\\fIvalue\\fR.");
	puts(".SH COMMANDS\n.TP\n.B init\n"
	     "Puts the plugin into the project of the current folder: as "
	     "its root \\fBconftest.py\\fR when it has none, else as "
	     "\\fBpytest_cloud_plugin.py\\fR, loaded from the project's own "
	     "conftest.py by one added line, "
	     "\\fBpytest_plugins = [\"pytest_cloud_plugin\"]\\fR (or one "
	     "element added to its pytest_plugins).  Adds "
	     "\\fBcloud_nodes\\fR (from \\fB\\-\\-nodes\\fR, else a "
	     "commented example) to the config file pytest uses, or to "
	     "\\fIFILE\\fR, in that file's format.  Replaces an older copy "
	     "of the plugin, saying from which version.  Shows a diff of "
	     "every file of the project's own it edits; "
	     "\\fB\\-\\-dry\\-run\\fR writes nothing.  A second init "
	     "changes nothing.  Refuses, writing nothing, what it cannot do "
	     "safely.");
	puts(".SH NODES\n"
	     "A node list (\\fBcloud_nodes\\fR, \\fB\\-\\-cloud\\-nodes\\fR, "
	     "\\fB\\-\\-nodes\\fR of init) is words separated by blanks; "
	     "each name is kept once, in the order first given, at most "
	     "100,000.\n"
	     ".TP\n\\fR[\\fIuser\\fB@\\fR]\\fIhost\\fR[\\fB:\\fIport\\fR]\n"
	     "A node.\n"
	     ".TP\n.B node[01\\-16,20]\n"
	     "A host range, as pdsh and Slurm write them: numbers and ranges "
	     "LO\\-HI, leading zeros kept; several groups multiply "
	     "(\\fBrack[1\\-2]\\-n[1\\-4]\\fR); user and port may go with "
	     "it (\\fBci@gpu[1\\-3]:2222\\fR).\n"
	     ".TP\n.BI ^ PATH\n"
	     "A host file: nodes and ranges, one a line, \\fB#\\fR starts a "
	     "comment.  A relative path is taken from the config file's "
	     "folder (environment: the project root; command line: the "
	     "current folder).\n"
	     ".TP\n.B @slurm\n"
	     "The nodes of the Slurm job pytest runs in "
	     "(\\fBSLURM_JOB_NODELIST\\fR, expanded by \\fBscontrol show "
	     "hostnames\\fR), each given at most its CPUs in the allocation "
	     "(\\fBSLURM_JOB_CPUS_PER_NODE\\fR, else "
	     "\\fBSLURM_TASKS_PER_NODE\\fR times "
	     "\\fBSLURM_CPUS_PER_TASK\\fR, else \\fBSLURM_CPUS_ON_NODE\\fR).  "
	     "Outside a job it is an error (status 2).");
	puts(".SH OPTIONS");
	for (i = 0; i < n; i++) {
		if (t[i].flag != NULL) {
			man_option(&t[i]);
		}
	}
	puts(".SH CONFIG FILE KEYS\n"
	     "Besides the \\fBcloud_\\fR keys of the options above:");
	for (i = 0; i < n; i++) {
		if (t[i].flag == NULL) {
			man_option(&t[i]);
		}
	}
	puts(".SH EXIT STATUS");
#define EXIT_ITEM(code, meaning)                                              \
	printf(".TP\n.B %d\n", code);                                          \
	roff(meaning);                                                         \
	puts(".");
	PYTEST_CLOUD_EXITS(EXIT_ITEM)
#undef EXIT_ITEM
	puts(".SH ENVIRONMENT");
	for (i = 0; i < n; i++) {
		if (t[i].env != NULL) {
			puts(".TP");
			fputs(".B ", stdout);
			roff(t[i].env);
			putchar('\n');
			fputs("As ", stdout);
			roff(t[i].flag ? t[i].flag : t[i].ini);
			puts(".");
		}
	}
	puts(".TP\n.BR SLURM_JOB_NODELIST \", \" SLURM_JOB_CPUS_PER_NODE "
	     "\", \" SLURM_TASKS_PER_NODE \", \" SLURM_CPUS_PER_TASK \", \" "
	     "SLURM_CPUS_ON_NODE\n"
	     "The Slurm job's nodes and CPUs, for \\fB@slurm\\fR (see "
	     "NODES).");
	puts(".TP\n.B VIRTUAL_ENV\nThe virtualenv to sync when "
	     "\\fB\\-\\-cloud\\-virtualenv\\-path\\fR is not given and it "
	     "lies inside the project.");
	puts(".SH FILES\n.TP\n"
	     ".BR pytest.toml \", \" .pytest.toml \", \" pytest.ini \", \" "
	     ".pytest.ini \", \" pyproject.toml \", \" tox.ini \", \" "
	     "setup.cfg\n"
	     "The config file, found from the current folder upwards as "
	     "pytest finds it; its folder is the project root.\n"
	     ".TP\n.B conftest.py\\fR, \\fBpytest_cloud_plugin.py\n"
	     "The project's copy of the plugin, in the project root; it "
	     "carries its release, and the helper stops with status 2 on "
	     "a copy of another contract (major.minor).\n"
	     ".TP\n.B ~/.ssh/config\\fR, \\fB~/.ssh/known_hosts\n"
	     "Read for every SSH connection (see "
	     "\\fB\\-\\-cloud\\-ssh\\-config\\fR); a node whose host key is "
	     "unknown, changed or revoked is left out.\n"
	     ".TP\n.B .pytest_cache\n"
	     "pytest's cache: the plugin keeps the tests' durations there "
	     "(key cloud/durations).\n"
	     ".TP\n.IB CHDIR \" on each node\"\n"
	     "The copy of the project, under the login's home; it must not "
	     "be a symbolic link or lead outside the home.  "
	     "\\fB.\\fICHDIR\\fB.pytest\\-cloud\\-lock\\fR beside it holds "
	     "one run at a time.");
	puts(".SH SEE ALSO\n.BR pytest (1),\n.BR ssh_config (5),\n"
	     ".BR rsync (1)");
}

/* The words a value may take in the completion, or NULL. */
static const char *compgen_action(const struct opt_def *d)
{
	if (d->value == OPT_V_FILE) {
		return "-f";
	}
	if (d->value == OPT_V_DIR) {
		return "-d";
	}
	return NULL;
}

static void bash(void)
{
	size_t n;
	size_t i;
	const struct opt_def *t = opts_table(&n);

	printf("# bash completion for pytest-cloud %s: generated from its "
	       "option table\n",
	       PYTEST_CLOUD_VERSION);
	puts("_pytest_cloud()\n{\n"
	     "    local cur=${COMP_WORDS[COMP_CWORD]}\n"
	     "    local prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	     "    local opt=\n"
	     "    # bash splits --opt=value at '=': complete the value\n"
	     "    if [[ $cur == = ]]; then\n"
	     "        opt=$prev; cur=\n"
	     "    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then\n"
	     "        opt=${COMP_WORDS[COMP_CWORD-2]}\n"
	     "    else\n"
	     "        opt=$prev\n"
	     "    fi\n"
	     "    if [[ ${COMP_WORDS[1]} == init && $COMP_CWORD -ge 2 ]]; then\n"
	     "        case $opt in\n"
	     "        --ini) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	     "        --nodes) COMPREPLY=(); return ;;\n"
	     "        esac\n"
	     "        COMPREPLY=($(compgen -W '--nodes --ini --dry-run --help' "
	     "-- \"$cur\"))\n"
	     "        return\n"
	     "    fi\n"
	     "    case $opt in");
	for (i = 0; i < n; i++) {
		const char *action = compgen_action(&t[i]);

		if (t[i].flag == NULL) {
			continue;
		}
		if (t[i].choices != NULL) {
			printf("    %s) COMPREPLY=($(compgen -W '%s' -- "
			       "\"$cur\")); return ;;\n",
			       t[i].flag, t[i].choices);
		} else if (action != NULL) {
			printf("    %s) COMPREPLY=($(compgen %s -- \"$cur\")); "
			       "return ;;\n",
			       t[i].flag, action);
		} else if (t[i].type != OPT_T_FLAG) {
			printf("    %s) COMPREPLY=(); return ;;\n", t[i].flag);
		}
	}
	fputs("    esac\n    local words='", stdout);
	for (i = 0; i < n; i++) {
		if (t[i].flag != NULL) {
			printf("%s%s", t[i].flag,
			       t[i].type == OPT_T_FLAG ? " " : "= ");
		}
	}
	puts("'\n"
	     "    [[ $COMP_CWORD -eq 1 ]] && words=\"init $words\"\n"
	     "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	     "    # no space after an option that takes its value after '='\n"
	     "    [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && "
	     "compopt -o nospace\n"
	     "}\n"
	     "complete -F _pytest_cloud pytest-cloud");
}

static void table(void)
{
	static const char *const types[] = { "nodes", "string", "positive",
					     "unsigned", "paths", "flag" };
	size_t n;
	size_t i;
	const struct opt_def *t = opts_table(&n);

	for (i = 0; i < n; i++) {
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", t[i].flag ? t[i].flag : "-",
		       t[i].ini ? t[i].ini : "-", t[i].env ? t[i].env : "-",
		       types[t[i].type], t[i].choices ? t[i].choices : "-",
		       t[i].meaning);
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "table") == 0) {
		table();
	} else if (argc == 2 && strcmp(argv[1], "man") == 0) {
		man();
	} else if (argc == 2 && strcmp(argv[1], "bash") == 0) {
		bash();
	} else {
		fputs("usage: gendoc man|bash|table\n", stderr);
		return 2;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
