/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm status: the ring in cycle order (the host first when the config
 * includes it), who has focus, and per VM what its helper says about its
 * devices (<run_dir>/status/<vm>). Everything read here is hostile input and
 * is parsed by common/; a VM whose status file is missing or unusable is
 * still listed, with the reason.
 *
 * The ring's entries are readable by root only (common/ring.h), so for
 * anyone else this is one line and exit 1. The config is read for
 * include_host only; a broken one is reported and the defaults are used.
 *
 * --json prints one object on one line:
 *   {"focus":{"target":"vm1","previous":"host","generation":3}|null,
 *    "include_host":true,
 *    "ring":[{"name":"host","host":true,"focus":false},
 *            {"name":"vm1","host":false,"focus":true,"hotkey":"KEY_…"|null,
 *             "status":{"pid":1,"devices":[{"physical":"…","clone":"…",
 *                                           "present":true,"grabbed":false}]}
 *                      |null, "status_error":"…" (only when unreadable)}]}
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "focus-file.h"
#include "ring.h"
#include "status-file.h"

/* One VM of the ring and what could be learned about it. */
struct status_vm {
	const struct ring_entry *entry;
	int status_r;          /* status_read(): 0, -ENOENT or another error */
	struct status status;  /* valid when status_r == 0 */
	char error[DIAG_MAX];  /* when status_r < 0 and != -ENOENT */
};

struct status_view {
	struct ring_entry ring[RING_VMS_MAX];
	size_t n_ring;
	struct status_vm vms[RING_VMS_MAX];
	bool include_host;
	bool focus_known;
	struct focus_file_state focus;
};

/* Prints s as a JSON string; non-ASCII bytes (never in our names) become '?'. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else if (*p >= 0x80)
			fputc('?', f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

static bool status_has_focus(const struct status_view *v, const char *target)
{
	return v->focus_known && strcmp(v->focus.target, target) == 0;
}

static void print_json(const struct status_view *v)
{
	printf("{\"focus\":");
	if (v->focus_known) {
		printf("{\"target\":");
		json_string(stdout, v->focus.target);
		printf(",\"previous\":");
		json_string(stdout, v->focus.previous);
		printf(",\"generation\":%" PRIu64 "}", v->focus.generation);
	} else {
		printf("null");
	}
	printf(",\"include_host\":%s,\"ring\":[", json_bool(v->include_host));
	if (v->include_host)
		printf("{\"name\":\"" RING_HOST "\",\"host\":true,\"focus\":%s}%s",
		       json_bool(status_has_focus(v, RING_HOST)), v->n_ring > 0 ? "," : "");
	for (size_t i = 0; i < v->n_ring; i++) {
		const struct status_vm *vm = &v->vms[i];
		char hotkey[KEYSET_TEXT_MAX];

		printf("%s{\"name\":", i > 0 ? "," : "");
		json_string(stdout, vm->entry->vm);
		printf(",\"host\":false,\"focus\":%s,\"hotkey\":",
		       json_bool(status_has_focus(v, vm->entry->vm)));
		if (vm->entry->hotkey.n > 0 &&
		    keyset_format(&vm->entry->hotkey, hotkey, sizeof(hotkey)) >= 0)
			json_string(stdout, hotkey);
		else
			printf("null");
		printf(",\"status\":");
		if (vm->status_r < 0) {
			printf("null");
			if (vm->status_r != -ENOENT) {
				printf(",\"status_error\":");
				json_string(stdout, vm->error);
			}
			printf("}");
			continue;
		}
		printf("{\"pid\":%" PRIdMAX ",\"devices\":[", (intmax_t)vm->status.pid);
		for (size_t d = 0; d < vm->status.n_devices; d++) {
			const struct status_device *dev = &vm->status.devices[d];

			printf("%s{\"physical\":", d > 0 ? "," : "");
			json_string(stdout, dev->physical);
			printf(",\"clone\":");
			json_string(stdout, dev->clone);
			printf(",\"present\":%s,\"grabbed\":%s}", json_bool(dev->present),
			       json_bool(dev->grabbed));
		}
		printf("]}}");
	}
	printf("]}\n");
}

static bool status_in_ring(const struct status_view *v, const char *target)
{
	if (strcmp(target, RING_HOST) == 0)
		return true;
	for (size_t i = 0; i < v->n_ring; i++)
		if (strcmp(v->ring[i].vm, target) == 0)
			return true;
	return false;
}

/* The short state shown beside a VM's name; returns its length. */
static int status_vm_state(const struct status_vm *vm, char *buf, size_t size)
{
	if (vm->status_r == -ENOENT)
		return snprintf(buf, size, "(no status)");
	if (vm->status_r < 0)
		return snprintf(buf, size, "(status unreadable)");
	return snprintf(buf, size, "pid %" PRIdMAX, (intmax_t)vm->status.pid);
}

static void print_human(const struct status_view *v)
{
	int name_w = v->include_host ? (int)strlen(RING_HOST) : 0, phys_w = 0, clone_w = 0;
	int state_w = 0;
	char state[32];

	for (size_t i = 0; i < v->n_ring; i++) {
		const struct status_vm *vm = &v->vms[i];

		name_w = MAX(name_w, (int)strlen(vm->entry->vm));
		state_w = MAX(state_w, status_vm_state(vm, state, sizeof(state)));
		for (size_t d = 0; vm->status_r == 0 && d < vm->status.n_devices; d++) {
			phys_w = MAX(phys_w, (int)strlen(vm->status.devices[d].physical));
			clone_w = MAX(clone_w, (int)strlen(vm->status.devices[d].clone));
		}
	}

	if (!v->focus_known) {
		printf("focus: unknown (the focus file is unreadable)\n");
	} else {
		printf("focus: %s (generation %" PRIu64, v->focus.target, v->focus.generation);
		if (strcmp(v->focus.target, v->focus.previous) != 0)
			printf(", was %s", v->focus.previous);
		printf(")%s\n", status_in_ring(v, v->focus.target) ? "" : " - not in the ring");
	}
	printf("ring%s:\n", v->include_host ? "" : " (the host is not in the cycle)");
	if (v->include_host)
		printf("%c %s\n", status_has_focus(v, RING_HOST) ? '*' : ' ', RING_HOST);
	for (size_t i = 0; i < v->n_ring; i++) {
		const struct status_vm *vm = &v->vms[i];
		char hotkey[KEYSET_TEXT_MAX] = "";

		if (vm->entry->hotkey.n > 0 &&
		    keyset_format(&vm->entry->hotkey, hotkey, sizeof(hotkey)) < 0)
			hotkey[0] = '\0';
		status_vm_state(vm, state, sizeof(state));
		printf("%c %-*s  ", status_has_focus(v, vm->entry->vm) ? '*' : ' ', name_w,
		       vm->entry->vm);
		if (hotkey[0])
			printf("%-*s  hotkey %s\n", state_w, state, hotkey);
		else
			printf("%s\n", state);
		if (vm->status_r < 0 && vm->status_r != -ENOENT)
			printf("    %s\n", vm->error);
		for (size_t d = 0; vm->status_r == 0 && d < vm->status.n_devices; d++) {
			const struct status_device *dev = &vm->status.devices[d];

			printf("    %-*s -> %-*s  present %-3s  grabbed %s\n", phys_w, dev->physical,
			       clone_w, dev->clone, dev->present ? "yes" : "no",
			       dev->grabbed ? "yes" : "no");
		}
		if (vm->status_r == 0 && vm->status.n_devices == 0)
			printf("    (no devices)\n");
	}
	if (v->n_ring == 0)
		printf("  (no VM's helper runs)\n");
}

int verb_status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{}
	};
	_cleanup_(freep) struct status_view *v = calloc(1, sizeof(*v));
	const char *run_dir = RUN_DIR, *config_path = NULL;
	struct diag diag = {};
	struct config config;
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'r':
			run_dir = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		default:
			return cli_usage(argv[0]);
		}
	}
	if (optind != argc)
		return cli_usage(argv[0]);
	if (!v)
		return cli_fail("out of memory");

	if (cli_load_config(config_path, &config, &diag) < 0) {
		fprintf(stderr, "vfio-kvm: %s (showing the ring as the defaults order it)\n",
			diag.msg);
		config_defaults(&config);
	}
	v->include_host = config.include_host;

	diag = (struct diag){};
	r = ring_list(run_dir, v->ring, ARRAY_SIZE(v->ring), &v->n_ring, &diag);
	if (r == -EACCES || r == -EPERM)
		return cli_fail("reading the ring needs root");
	if (r < 0)
		return cli_fail(diag.msg);
	if (r > 0)
		fprintf(stderr, "vfio-kvm: %d ring entr%s skipped: %s\n", r, r == 1 ? "y" : "ies",
			diag.msg);

	diag = (struct diag){};
	if (focus_file_read(run_dir, &v->focus, &diag) < 0)
		fprintf(stderr, "vfio-kvm: %s\n", diag.msg);
	else
		v->focus_known = true;

	for (size_t i = 0; i < v->n_ring; i++) {
		struct status_vm *vm = &v->vms[i];
		struct diag vm_diag = {};

		vm->entry = &v->ring[i];
		vm->status_r = status_read(run_dir, vm->entry->vm, &vm->status, &vm_diag);
		if (vm->status_r < 0)
			snprintf(vm->error, sizeof(vm->error), "%s", vm_diag.msg);
	}

	if (json)
		print_json(v);
	else
		print_human(v);
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli_fail("cannot write to stdout");
	return CLI_EXIT_OK;
}
