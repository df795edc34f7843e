/* SPDX-License-Identifier: MIT */
/*
 * The shared code does not log. A parser that fails fills a struct diag with
 * one line naming the input (file:line, VM name, device path) and returns a
 * negative errno; the program that called it decides where the line goes.
 */
#pragma once

#include "macro.h"

#define DIAG_MAX 512

struct diag {
	char msg[DIAG_MAX];
};

/*
 * Formats the message into diag (when diag is not NULL; truncated to fit) and
 * returns error, which must be a negative errno, so callers can write
 * `return diag_set(diag, -EINVAL, "%s:%u: unknown key '%s'", ...);`.
 */
int diag_set(struct diag *diag, int error, const char *fmt, ...) _printf_(3, 4);
