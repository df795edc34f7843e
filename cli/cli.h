/* SPDX-License-Identifier: MIT */
/*
 * The vfio-kvm command: one function per verb, dispatched from main.c. A verb
 * gets its own argv (argv[0] is the verb) and returns an exit code.
 */
#pragma once

#include <stdio.h>

#include "unit.h" /* also brings in common/settings.h */

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_USAGE = 2,
};

/* "vfio-kvm: <msg>" on stderr; returns CLI_EXIT_FAILURE. */
int cli_fail(const char *msg);

/* The verb's usage line on stderr; returns CLI_EXIT_USAGE. */
int cli_usage(const char *verb);

/*
 * Loads the config from path, or from CONFIG_PATH when path is NULL (then a
 * missing file means the defaults; a file named explicitly must exist).
 * Returns 0 or a negative errno with diag "file:line: …".
 */
int cli_load_config(const char *path, struct config *ret, struct diag *diag);

/*
 * Reads a domain XML from path ("-": stdin) into *ret, checking its name is
 * vm when vm is not NULL. Returns 0 or a negative errno with diag.
 */
int cli_read_domain(const char *path, const char *vm, struct domain *ret, struct diag *diag);

/* Verbs: cli/check.c, cli/status.c, cli/focus.c, cli/watch.c, cli/reload.c. */
int verb_check(int argc, char **argv);
int verb_status(int argc, char **argv);
int verb_focus(int argc, char **argv);
int verb_next(int argc, char **argv);
int verb_release(int argc, char **argv);
int verb_watch(int argc, char **argv);
int verb_reload(int argc, char **argv);
