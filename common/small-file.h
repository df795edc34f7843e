/* SPDX-License-Identifier: MIT */
/*
 * The small files under the run directory (ring entries, the focus file,
 * status files): read whole into a bounded buffer, replaced atomically, and
 * made of "key=value\n" lines. The callers own the file names and the
 * messages: nothing here takes a diag.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Reads a small regular file opened as fd, from offset 0: up to size - 1
 * bytes, NUL-added. Returns the length, -EFBIG when the file holds more,
 * -EBADMSG for a file that is not regular, -ENOBUFS for size 0, or another
 * negative errno.
 */
int small_file_read(int fd, char *buf, size_t size);

/*
 * Replaces <dir_fd>/name with len bytes of buf, atomically: written to a
 * fresh tmp_name in the same directory (anything planted there is removed
 * first), given mode (fchmod: the umask must not narrow it), then renamed
 * over name. Readers see the old file or the new one, never a part. The
 * caller makes sure nobody else writes tmp_name at the same time (a lock, or
 * a name only it writes). Returns 0 or a negative errno; on failure tmp_name
 * is gone and name is unchanged.
 */
int small_file_replace(int dir_fd, const char *tmp_name, const char *name, const char *buf,
		       size_t len, mode_t mode);

/*
 * Takes one "key=value\n" line from *p (before end): the key must be key
 * exactly, and the value may hold no NUL. Sets *ret_value and *ret_len to the
 * value (not NUL-terminated) and advances *p past the '\n'. Returns 0, or
 * -EBADMSG with nothing changed.
 */
int small_file_parse_field(const char **p, const char *end, const char *key,
			   const char **ret_value, size_t *ret_len);

/*
 * Parses len decimal digits (no sign, no leading zero, no overflow) into
 * *ret. Returns 0 or -EBADMSG (*ret untouched).
 */
int small_file_parse_u64(const char *text, size_t len, uint64_t *ret);

/* The current errno as a negative errno, for failure paths: never 0, even
 * if a call failed without setting errno. */
static inline int small_file_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}
