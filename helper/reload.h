/* SPDX-License-Identifier: MIT */
/*
 * Reload: the unit's ExecReload runs `vfio-kvm-helper --reload $MAINPID`,
 * which asks the running helper to re-read its config and waits for the
 * answer, so `systemctl reload` ends when the new settings are in effect (or
 * fails when they were refused).
 *
 * The ask is SIGHUP sent with sigqueue() and RELOAD_COOKIE as its value; the
 * helper answers such a SIGHUP with SIGUSR1 (applied) or SIGUSR2 (refused:
 * the config does not load; the helper logged why, with file:line) to the
 * sender. A plain SIGHUP (kill -HUP) reloads too, unanswered: the helper
 * never signals a process that did not ask for an answer.
 */
#pragma once

#include <stdbool.h>
#include <sys/signalfd.h>
#include <sys/types.h>

/* The value a reload request carries (sigqueue's sival_int). */
#define RELOAD_COOKIE 0x766b7264 /* "vkrd" */
/* How long --reload waits for the answer. */
#define RELOAD_WAIT_SEC 10

/*
 * The --reload PID mode: asks pid to reload and waits for its answer.
 * Logs one line on failure. Returns 0 (applied), -EINVAL (refused),
 * -ETIMEDOUT, or another negative errno (no such process, …).
 */
int reload_request(const char *pid_text);

/*
 * Answers the sender of si (a SIGHUP) when it asked for an answer
 * (RELOAD_COOKIE, sent with sigqueue): applied or refused. Nothing otherwise.
 */
void reload_answer(const struct signalfd_siginfo *si, bool applied);
