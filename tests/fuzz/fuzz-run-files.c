/* SPDX-License-Identifier: MIT */
/*
 * The files under /run/vfio-kvm are written by helpers but readable and, for
 * whoever gets write access, writable by others: their parsers take hostile
 * bytes. The first input byte picks the parser (focus file, ring entry,
 * status file); the rest is the file. Each must not crash, must leave a
 * one-line message on failure, and on success must format back into text
 * that parses to the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "focus-file.h"
#include "ring.h"
#include "status-file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_diag(const struct diag *diag)
{
	size_t len = strnlen(diag->msg, sizeof(diag->msg));

	if (len == 0 || len >= sizeof(diag->msg) || memchr(diag->msg, '\n', len))
		abort();
}

static void fuzz_focus(const char *text, size_t len)
{
	struct focus_file_state st, again;
	struct diag diag;
	char buf[1024];
	int r;

	if (focus_file_parse(text, len, &st, &diag) < 0) {
		check_diag(&diag);
		return;
	}
	r = focus_file_format(&st, buf, sizeof(buf));
	if (r <= 0 || focus_file_parse(buf, (size_t)r, &again, &diag) < 0)
		abort();
	if (strcmp(st.target, again.target) != 0 || st.generation != again.generation)
		abort();
}

static void fuzz_ring_entry(const char *text, size_t len)
{
	struct ring_entry entry;
	struct diag diag;

	if (ring_entry_parse("vm1", text, len, &entry, &diag) < 0) {
		check_diag(&diag);
		return;
	}
	if (entry.hotkey.n > KEYSET_MAX)
		abort();
}

static void fuzz_status(const char *text, size_t len)
{
	static struct status st, again;
	static char buf[STATUS_FILE_MAX];
	struct diag diag;
	int r;

	if (status_parse("vm1", text, len, &st, &diag) < 0) {
		check_diag(&diag);
		return;
	}
	if (st.n_devices > DOMAIN_SOURCES_MAX)
		abort();
	r = status_format(&st, buf, sizeof(buf));
	if (r == -ENOBUFS)
		return;
	if (r <= 0 || status_parse("vm1", buf, (size_t)r, &again, &diag) < 0)
		abort();
	if (again.n_devices != st.n_devices || again.pid != st.pid || again.focus != st.focus)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;

	if (size == 0)
		return 0;
	/* A copy exactly as long as the file, so ASan sees any read past its end. */
	copy = malloc(size - 1 ? size - 1 : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		fuzz_focus(copy, size - 1);
		break;
	case 1:
		fuzz_ring_entry(copy, size - 1);
		break;
	default:
		fuzz_status(copy, size - 1);
		break;
	}
	free(copy);
	return 0;
}
