/* SPDX-License-Identifier: MIT */
/*
 * The status file's grammar, strictly in this order, every line ending in
 * '\n' and nothing else in the file:
 *
 *   pid=<decimal, > 0>
 *   focus=<0|1>
 *   device=<physical> <clone> present=<0|1> grabbed=<0|1>    (0..DOMAIN_SOURCES_MAX)
 *
 * Paths are checked the way the helper checks its --device arguments:
 * absolute, no "..", no control characters, a last component that is a valid
 * device name (for the clone, after the "<vm>-" prefix). A space separates
 * the fields, and device names never hold one.
 *
 * One helper writes one VM's file (the ring lets only one run per VM), so a
 * fixed temp name per VM is enough; no fsync: the run directory is a tmpfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "names.h"
#include "ring.h"
#include "small-file.h"
#include "status-file.h"

/* The largest pid_t the kernel hands out is far below this. */
#define STATUS_PID_MAX INT32_MAX

static bool status_path_char_ok(char c)
{
	return c > 0x20 && c < 0x7f;
}

/*
 * NULL if path (len bytes, no NUL) is a path the helper would accept, else a
 * static reason. vm is set for a clone, whose last component is "<vm>-<dev>".
 */
static const char *status_path_check(const char *path, size_t len, const char *vm)
{
	char base[VK_PATH_MAX];
	const char *slash, *b;
	size_t vm_len;

	if (len == 0)
		return "empty path";
	if (len >= VK_PATH_MAX)
		return "path too long";
	if (path[0] != '/')
		return "path not absolute";
	for (size_t i = 0; i < len; i++)
		if (!status_path_char_ok(path[i]))
			return "a path holds a space, a control character or non-ASCII";
	for (size_t i = 0; i + 3 <= len; i++)
		if (path[i] == '/' && path[i + 1] == '.' && path[i + 2] == '.' &&
		    (i + 3 == len || path[i + 3] == '/'))
			return "path contains '..'";
	slash = memrchr(path, '/', len);
	memcpy(base, slash + 1, len - (size_t)(slash + 1 - path));
	base[len - (size_t)(slash + 1 - path)] = '\0';
	b = base;
	if (vm) {
		vm_len = strlen(vm);
		if (strncmp(b, vm, vm_len) == 0 && b[vm_len] == '-' && b[vm_len + 1] != '\0')
			b += vm_len + 1;
	}
	if (device_name_check(b, "", NULL) < 0)
		return "last path component is not a device name";
	return NULL;
}

/* Parses "0" or "1" (len bytes) into *ret. */
static int status_parse_bool(const char *text, size_t len, bool *ret)
{
	if (len != 1 || (text[0] != '0' && text[0] != '1'))
		return -EBADMSG;
	*ret = text[0] == '1';
	return 0;
}

/* Takes "key=<0|1>" from the front of *p (before end), then one separator sep. */
static int status_parse_flag(const char **p, const char *end, const char *key, char sep,
			     bool *ret)
{
	size_t key_len = strlen(key);
	const char *q = *p;

	if ((size_t)(end - q) < key_len + 3 || memcmp(q, key, key_len) != 0 || q[key_len] != '=' ||
	    q[key_len + 2] != sep || status_parse_bool(q + key_len + 1, 1, ret) < 0)
		return -EBADMSG;
	*p = q + key_len + 3;
	return 0;
}

static int status_parse_device(const char *vm, unsigned line, const char *value, size_t len,
			       struct status_device *ret, struct diag *diag)
{
	const char *end = value + len + 1; /* includes the '\n' after value */
	const char *phys = value, *clone, *p, *why;
	size_t phys_len, clone_len;
	struct status_device d = {};

	p = memchr(value, ' ', len);
	if (!p)
		return diag_set(diag, -EBADMSG, "%s: status file, line %u: expected "
				"'device=PHYSICAL CLONE present=0|1 grabbed=0|1'", vm, line);
	phys_len = (size_t)(p - phys);
	clone = p + 1;
	p = memchr(clone, ' ', (size_t)(end - clone));
	if (!p)
		return diag_set(diag, -EBADMSG, "%s: status file, line %u: expected "
				"'device=PHYSICAL CLONE present=0|1 grabbed=0|1'", vm, line);
	clone_len = (size_t)(p - clone);
	p++;
	if (status_parse_flag(&p, end, "present", ' ', &d.present) < 0 ||
	    status_parse_flag(&p, end, "grabbed", '\n', &d.grabbed) < 0 || p != end)
		return diag_set(diag, -EBADMSG, "%s: status file, line %u: expected "
				"'present=0|1 grabbed=0|1' after the paths", vm, line);
	why = status_path_check(phys, phys_len, NULL);
	if (why)
		return diag_set(diag, -EBADMSG, "%s: status file, line %u: physical device: %s",
				vm, line, why);
	why = status_path_check(clone, clone_len, vm);
	if (why)
		return diag_set(diag, -EBADMSG, "%s: status file, line %u: clone: %s", vm, line,
				why);
	memcpy(d.physical, phys, phys_len);
	memcpy(d.clone, clone, clone_len);
	if (strcmp(d.physical, d.clone) == 0)
		return diag_set(diag, -EBADMSG, "%s: status file, line %u: clone is the physical "
				"device", vm, line);
	*ret = d;
	return 0;
}

int status_parse(const char *vm, const char *text, size_t len, struct status *ret,
		 struct diag *diag)
{
	_cleanup_(freep) struct status *st = calloc(1, sizeof(*st));
	const char *p = text, *end = text + len, *value;
	size_t value_len;
	uint64_t pid;
	unsigned line = 1;

	if (!st)
		return diag_set(diag, -ENOMEM, "%s: status file: out of memory", vm);
	if (len > STATUS_FILE_MAX)
		return diag_set(diag, -EBADMSG, "%s: status file longer than %d bytes", vm,
				STATUS_FILE_MAX);
	if (small_file_parse_field(&p, end, "pid", &value, &value_len) < 0 ||
	    small_file_parse_u64(value, value_len, &pid) < 0 || pid == 0 || pid > STATUS_PID_MAX)
		return diag_set(diag, -EBADMSG, "%s: status file, line %u: expected 'pid=N' (N > 0)",
				vm, line);
	st->pid = (pid_t)pid;
	line++;
	if (small_file_parse_field(&p, end, "focus", &value, &value_len) < 0 ||
	    status_parse_bool(value, value_len, &st->focus) < 0)
		return diag_set(diag, -EBADMSG, "%s: status file, line %u: expected 'focus=0|1'",
				vm, line);
	for (line++; p < end; line++) {
		struct status_device *d = &st->devices[st->n_devices];
		int r;

		if (small_file_parse_field(&p, end, "device", &value, &value_len) < 0)
			return diag_set(diag, -EBADMSG,
					"%s: status file, line %u: expected 'device=...' ending in a "
					"newline", vm, line);
		if (st->n_devices >= DOMAIN_SOURCES_MAX)
			return diag_set(diag, -EBADMSG, "%s: status file, line %u: more than %d "
					"devices", vm, line, DOMAIN_SOURCES_MAX);
		r = status_parse_device(vm, line, value, value_len, d, diag);
		if (r < 0)
			return r;
		for (size_t i = 0; i < st->n_devices; i++)
			if (strcmp(st->devices[i].physical, d->physical) == 0 ||
			    strcmp(st->devices[i].clone, d->clone) == 0)
				return diag_set(diag, -EBADMSG, "%s: status file, line %u: device "
						"listed twice", vm, line);
		st->n_devices++;
	}
	*ret = *st;
	return 0;
}

int status_format(const struct status *st, char *buf, size_t size)
{
	size_t n;
	int k;

	/* Also keeps the loop below inside devices[]. */
	if (st->pid <= 0 || st->n_devices > DOMAIN_SOURCES_MAX)
		return -EINVAL;
	k = snprintf(buf, size, "pid=%" PRIdMAX "\nfocus=%d\n", (intmax_t)st->pid, st->focus);
	if (k < 0 || (size_t)k >= size)
		return -ENOBUFS;
	n = (size_t)k;
	for (size_t i = 0; i < st->n_devices; i++) {
		const struct status_device *d = &st->devices[i];

		k = snprintf(buf + n, size - n, "device=%s %s present=%d grabbed=%d\n", d->physical,
			     d->clone, d->present, d->grabbed);
		if (k < 0 || (size_t)k >= size - n)
			return -ENOBUFS;
		n += (size_t)k;
	}
	if (n > STATUS_FILE_MAX)
		return -ENOBUFS;
	return (int)n;
}

/* Opens <run_dir>/status; with create, makes run_dir and status/ (0755) first. */
static int status_dir_open(const char *run_dir, bool create, struct diag *diag)
{
	_cleanup_(closep) int run_fd = -1;
	int fd;

	run_fd = ring_run_dir_open(run_dir, create, diag);
	if (run_fd < 0)
		return run_fd;
	fd = openat(run_fd, STATUS_DIR_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(run_fd, STATUS_DIR_NAME, 0755) < 0 && errno != EEXIST)
			return diag_set(diag, small_file_errno(), "%s/" STATUS_DIR_NAME ": %s",
					run_dir, strerror(errno));
		fd = openat(run_fd, STATUS_DIR_NAME,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return diag_set(diag, small_file_errno(), "%s/" STATUS_DIR_NAME ": %s", run_dir,
				strerror(errno));
	return fd;
}

/* "vm" must be a name that can become a file name here; "host" never has a file. */
static int status_vm_check(const char *vm, struct diag *diag)
{
	int r = vm_name_check(vm, diag);

	if (r < 0)
		return r;
	if (strcmp(vm, RING_HOST) == 0)
		return diag_set(diag, -EINVAL, "VM name '" RING_HOST "' is reserved for the host");
	return 0;
}

int status_write(const char *run_dir, const char *vm, const struct status *st, struct diag *diag)
{
	_cleanup_(freep) char *buf = malloc(STATUS_FILE_MAX + 1);
	_cleanup_(freep) struct status *check = malloc(sizeof(*check));
	_cleanup_(closep) int dir_fd = -1;
	struct diag parse_diag = {};
	char tmp[VM_NAME_MAX + 8];
	int len, r;

	r = status_vm_check(vm, diag);
	if (r < 0)
		return r;
	if (!buf || !check)
		return diag_set(diag, -ENOMEM, "%s: status file: out of memory", vm);
	len = status_format(st, buf, STATUS_FILE_MAX + 1);
	if (len < 0)
		return diag_set(diag, len, "%s/" STATUS_DIR_NAME "/%s: cannot format the status%s",
				run_dir, vm, len == -ENOBUFS ? ": too long" : "");
	/* What the readers would refuse is not written either. */
	r = status_parse(vm, buf, (size_t)len, check, &parse_diag);
	if (r < 0)
		return diag_set(diag, -EINVAL, "%s (not written)", parse_diag.msg);
	dir_fd = status_dir_open(run_dir, true, diag);
	if (dir_fd < 0)
		return dir_fd;

	/* The helper of vm is the only writer of this temp name. */
	snprintf(tmp, sizeof(tmp), ".%s.new", vm);
	r = small_file_replace(dir_fd, tmp, vm, buf, (size_t)len, 0644);
	if (r < 0)
		return diag_set(diag, r, "%s/" STATUS_DIR_NAME "/%s: %s", run_dir, vm,
				strerror(-r));
	return 0;
}

int status_read(const char *run_dir, const char *vm, struct status *ret, struct diag *diag)
{
	_cleanup_(freep) char *buf = malloc(STATUS_FILE_MAX + 1);
	_cleanup_(closep) int dir_fd = -1, fd = -1;
	int r;

	r = status_vm_check(vm, diag);
	if (r < 0)
		return r;
	if (!buf)
		return diag_set(diag, -ENOMEM, "%s: status file: out of memory", vm);
	dir_fd = status_dir_open(run_dir, false, diag);
	if (dir_fd == -ENOENT)
		return diag_set(diag, -ENOENT, "%s: no status file", vm);
	if (dir_fd < 0)
		return dir_fd;
	/* O_NONBLOCK: a FIFO planted under this name must not hang us in open(). */
	fd = openat(dir_fd, vm, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return diag_set(diag, -ENOENT, "%s: no status file", vm);
	if (fd < 0 && errno == ELOOP)
		return diag_set(diag, -EBADMSG, "%s/" STATUS_DIR_NAME "/%s: is a symbolic link",
				run_dir, vm);
	if (fd < 0) {
		r = small_file_errno();
		return diag_set(diag, r, "%s/" STATUS_DIR_NAME "/%s: %s", run_dir, vm,
				strerror(-r));
	}
	r = small_file_read(fd, buf, STATUS_FILE_MAX + 1);
	if (r == -EFBIG)
		return diag_set(diag, -EBADMSG, "%s: status file longer than %d bytes", vm,
				STATUS_FILE_MAX);
	if (r == -EBADMSG)
		return diag_set(diag, r, "%s/" STATUS_DIR_NAME "/%s: not a regular file", run_dir,
				vm);
	if (r < 0)
		return diag_set(diag, r, "%s/" STATUS_DIR_NAME "/%s: %s", run_dir, vm,
				strerror(-r));
	return status_parse(vm, buf, (size_t)r, ret, diag);
}

int status_remove(const char *run_dir, const char *vm)
{
	_cleanup_(closep) int dir_fd = -1;
	char tmp[VM_NAME_MAX + 8];

	if (status_vm_check(vm, NULL) < 0)
		return -EINVAL;
	dir_fd = status_dir_open(run_dir, false, NULL);
	if (dir_fd == -ENOENT)
		return 0;
	if (dir_fd < 0)
		return dir_fd;
	snprintf(tmp, sizeof(tmp), ".%s.new", vm);
	(void)unlinkat(dir_fd, tmp, 0);
	if (unlinkat(dir_fd, vm, 0) < 0 && errno != ENOENT)
		return small_file_errno();
	return 0;
}
