/* SPDX-License-Identifier: MIT */
/*
 * The config parser on arbitrary bytes, through both entry points: the text
 * as a string (up to its first NUL) and as a file (all bytes, via a memfd).
 * Neither may crash; when the bytes hold no NUL both must agree exactly; a
 * config that is accepted must hold what settings.h promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "names.h"
#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_config(const struct config *c)
{
	if (c->cycle.n == 0 || c->release.n == 0 || c->cycle.n > KEYSET_MAX ||
	    c->host.n > KEYSET_MAX || c->release.n > KEYSET_MAX)
		abort();
	if (c->start_timeout_sec < 1 || c->start_timeout_sec > CONFIG_TIMEOUT_MAX_SEC ||
	    c->stop_timeout_sec < 1 || c->stop_timeout_sec > CONFIG_TIMEOUT_MAX_SEC)
		abort();
	if (c->n_vms > RING_VMS_MAX)
		abort();
	if (c->host_keys.n > KEYLIST_MAX ||
	    (c->on_stop != FOCUS_ON_STOP_NEXT && c->on_stop != FOCUS_ON_STOP_HOST))
		abort();
	for (size_t i = 1; i < c->host_keys.n; i++)
		if (c->host_keys.codes[i - 1] >= c->host_keys.codes[i])
			abort();
	for (size_t i = 0; i < c->n_vms; i++) {
		if (vm_name_check(c->vms[i].name, NULL) < 0 || c->vms[i].hotkey.n > KEYSET_MAX ||
		    c->vms[i].host_keys.n > KEYLIST_MAX)
			abort();
		if (config_find_vm(c, c->vms[i].name) != &c->vms[i])
			abort();
	}
}

static void check_diag(const struct diag *d)
{
	size_t len = strnlen(d->msg, sizeof(d->msg));

	if (len == 0 || len >= sizeof(d->msg) || memchr(d->msg, '\n', len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct config by_string, by_file;
	struct diag string_diag, file_diag;
	int r_string, r_file;
	char *text;

	if (fd < 0) {
		fd = memfd_create("fuzz-config", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	r_string = config_parse_string(text, path, &by_string, &string_diag);
	free(text);
	if (r_string < 0)
		check_diag(&string_diag);
	else
		check_config(&by_string);

	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	r_file = config_load(path, false, &by_file, &file_diag);
	if (r_file < 0)
		check_diag(&file_diag);
	else
		check_config(&by_file);

	if (!memchr(data, '\0', size)) {
		if (r_string != r_file)
			abort();
		if (r_string < 0 && strcmp(string_diag.msg, file_diag.msg) != 0)
			abort();
		if (r_string == 0 && (by_string.n_vms != by_file.n_vms ||
				      !keyset_equal(&by_string.cycle, &by_file.cycle)))
			abort();
	}
	return 0;
}
