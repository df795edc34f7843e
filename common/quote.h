/* SPDX-License-Identifier: MIT */
/*
 * A printable rendering of a string from outside (a name, a path, a device's
 * name, a parser's message) for a one-line message or a one-line file field,
 * so a terminal, the journal or a line-based reader never acts on its bytes.
 */
#pragma once

#include <stddef.h>

/*
 * Copies s into buf, byte for byte, with every byte that is not printable
 * ASCII (0x20 space to 0x7e '~') replaced by '?': control bytes (newline,
 * tab, ESC…), DEL, and each byte of a non-ASCII (e.g. UTF-8) character.
 * Writes at most size - 1 bytes and always a NUL; a longer s is cut without
 * a mark. s == NULL gives "". size must be at least 1. Returns buf.
 */
char *quote_printable(char *buf, size_t size, const char *s);

/*
 * Same as quote_printable(), but stops at the first newline: for text whose
 * first line is the message (libxml2's end in one).
 */
char *quote_line(char *buf, size_t size, const char *s);
