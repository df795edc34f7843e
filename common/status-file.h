/* SPDX-License-Identifier: MIT */
/*
 * What a running helper tells the world about its devices, for
 * `vfio-kvm status`: <run_dir>/status/<vm>, mode 0644, replaced atomically
 * (temp file + rename) by the helper whenever a source comes or goes, is
 * grabbed or released, or focus changes; removed when the helper stops.
 *
 *   pid=1234
 *   focus=1
 *   device=/dev/input/by-id/usb-kbd /dev/input/by-id/vm1-usb-kbd present=1 grabbed=1
 *   device=…
 *
 * The file is hostile input to its readers: bounded (STATUS_FILE_MAX),
 * strictly parsed, paths checked like the helper's own arguments.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bounds.h"
#include "diag.h"

#define STATUS_DIR_NAME "status"
#define STATUS_FILE_MAX (16 * 1024)

struct status_device {
	char physical[VK_PATH_MAX];
	char clone[VK_PATH_MAX];
	bool present;  /* the physical device is open */
	bool grabbed;  /* the helper holds EVIOCGRAB on it */
};

struct status {
	pid_t pid;
	bool focus;
	size_t n_devices;
	struct status_device devices[DOMAIN_SOURCES_MAX];
};

/* Formats *st into buf. Returns the length, or -ENOBUFS. */
int status_format(const struct status *st, char *buf, size_t size);

/* Parses len bytes (not NUL-terminated) of a status file of vm. Returns 0, or
 * -EBADMSG with diag naming vm and the line; *ret untouched on failure. */
int status_parse(const char *vm, const char *text, size_t len, struct status *ret,
		 struct diag *diag);

/* Writes <run_dir>/status/<vm> atomically (creating status/ when missing).
 * Returns 0 or a negative errno with diag naming the file. */
int status_write(const char *run_dir, const char *vm, const struct status *st, struct diag *diag);

/* Reads and parses <run_dir>/status/<vm>. -ENOENT when the VM has none. */
int status_read(const char *run_dir, const char *vm, struct status *ret, struct diag *diag);

/* Removes <run_dir>/status/<vm>; a missing file is fine. Returns 0 or -errno. */
int status_remove(const char *run_dir, const char *vm);
