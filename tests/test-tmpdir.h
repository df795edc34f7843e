/* SPDX-License-Identifier: MIT */
/*
 * A test's scratch directory under $TMPDIR (/tmp), removed with everything
 * in it when the variable holding it goes out of scope:
 *
 *     _cleanup_(tmpdir_freep) char *dir = tmpdir_new("vk-ring");
 *
 * One at a time per program. The path is static, not allocated: forked
 * children _exit() with it in use and must not show up as leaks under
 * valgrind.
 */
#pragma once

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static char tmpdir_path[256];

static inline int tmpdir_rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static inline void tmpdir_freep(char **dir)
{
	if (*dir)
		nftw(*dir, tmpdir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes TMPDIR/TAG-XXXXXX. Returns its path, or NULL with errno set. */
static inline char *tmpdir_new(const char *tag)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(tmpdir_path, sizeof(tmpdir_path), "%s/%s-XXXXXX", base, tag);
	return mkdtemp(tmpdir_path);
}
