/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm check: validates the config and, with --xml, a domain XML, and
 * prints what the hook would start for it. It opens no device and talks to
 * nobody; it only looks whether each physical device exists right now.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "names.h"

static void print_hotkey(const char *what, const struct keyset *set, const char *origin)
{
	char text[KEYSET_TEXT_MAX];

	if (set->n == 0 || keyset_format(set, text, sizeof(text)) < 0)
		printf("  %-8s (none)\n", what);
	else
		printf("  %-8s %s%s\n", what, text, origin);
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static const char *host_keys_text(const struct keylist *keys, char *buf, size_t size)
{
	if (keys->n == 0 || keylist_format(keys, buf, size) < 0)
		snprintf(buf, size, "(none)");
	return buf;
}

/* A VM's per-VM settings in effect, each with where it comes from. */
static void print_vm_settings(const struct unit_settings *st)
{
	char text[KEYLIST_TEXT_MAX], origin[64];

	snprintf(origin, sizeof(origin), " (%s)", unit_origin_to_string(st->direct_from));
	print_hotkey("direct", &st->direct, st->direct.n ? origin : "");
	printf("  host_keys: %s (%s)\n", host_keys_text(&st->host_keys, text, sizeof(text)),
	       unit_origin_to_string(st->host_keys_from));
	printf("  focus_on_start: %s (%s)\n", yes_no(st->focus_on_start),
	       unit_origin_to_string(st->focus_on_start_from));
	printf("  on_stop: %s (%s)\n", focus_on_stop_to_string(st->on_stop),
	       unit_origin_to_string(st->on_stop_from));
}

/* A [vm "NAME"] section: what that VM gets from the config alone. */
static void print_config_vm(const struct config *config, const struct config_vm *vm)
{
	static struct domain no_xml; /* ~7 KiB: not on the stack */
	struct unit_settings st;

	no_xml = (struct domain){0};
	snprintf(no_xml.name, sizeof(no_xml.name), "%s", vm->name);
	unit_settings_resolve(&no_xml, config, &st);
	printf("[vm \"%s\"]:\n", vm->name);
	print_vm_settings(&st);
}

static void print_config(const char *path, bool found, const struct config *config)
{
	char text[KEYLIST_TEXT_MAX];

	printf("config: %s%s\n", path, found ? "" : " (not found: built-in defaults)");
	printf("hotkeys:\n");
	print_hotkey("cycle", &config->cycle, "");
	print_hotkey("host", &config->host, "");
	print_hotkey("release", &config->release, "");
	printf("include_host: %s\n", yes_no(config->include_host));
	printf("focus_on_start: %s\n", yes_no(config->focus_on_start));
	printf("on_stop: %s\n", focus_on_stop_to_string(config->on_stop));
	printf("host_keys: %s\n", host_keys_text(&config->host_keys, text, sizeof(text)));
	printf("timeouts: start %u s, stop %u s\n", config->start_timeout_sec,
	       config->stop_timeout_sec);
	for (size_t i = 0; i < config->n_vms; i++)
		print_config_vm(config, &config->vms[i]);
}

static int print_domain(const struct domain *domain, const struct config *config)
{
	_cleanup_(unit_strv_freep) char **argv = NULL;
	char unit[UNIT_NAME_BUF], phys[VK_PATH_MAX], clone[VK_PATH_MAX], text[KEYSET_TEXT_MAX];
	char alt[VK_PATH_MAX];
	struct unit_settings settings;
	struct diag diag = {};
	struct stat st;

	if (domain->n_sources == 0) {
		printf("VM %s: no input devices of ours; the hook does nothing for it\n",
		       domain->name);
		return CLI_EXIT_OK;
	}
	if (unit_name_from_vm(domain->name, unit, sizeof(unit), &diag) < 0)
		return cli_fail(diag.msg);
	printf("VM %s: unit %s\n", domain->name, unit);
	for (size_t i = 0; i < domain->n_sources; i++) {
		const struct domain_source *s = &domain->sources[i];

		if (domain_source_physical_path(s, phys, sizeof(phys)) < 0 ||
		    domain_source_clone_path(domain, s, clone, sizeof(clone)) < 0)
			return cli_fail("device path too long");
		printf("  %-11s %s -> %s", source_kind_to_string(s->kind), phys, clone);
		if (s->kind != SOURCE_PASSTHROUGH && s->grab_toggle.n > 0 &&
		    keyset_format(&s->grab_toggle, text, sizeof(text)) >= 0)
			printf(" (grab toggle %s)", text);
		if (stat(phys, &st) < 0 && device_by_path(phys, alt, sizeof(alt)) > 0 &&
		    stat(alt, &st) == 0)
			printf("%s (present as %s)\n", s->pinned ? " (focus=always)" : "", alt);
		else
			printf("%s%s\n", s->pinned ? " (focus=always)" : "",
			       stat(phys, &st) < 0 ? " (not present now)" : "");
	}
	/* In effect for this VM, and where each comes from. */
	unit_settings_resolve(domain, config, &settings);
	print_vm_settings(&settings);

	if (unit_helper_argv(HELPER_PATH, domain, config, settings.focus_on_start, &argv, &diag) <
	    0)
		return cli_fail(diag.msg[0] ? diag.msg : "cannot build the helper's command line");
	printf("helper:");
	for (char **a = argv; *a; a++)
		printf(" %s", *a);
	printf("\n");
	return CLI_EXIT_OK;
}

int verb_check(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "xml", required_argument, NULL, 'x' },
		{}
	};
	const char *config_path = NULL, *xml = NULL;
	struct diag diag = {};
	struct config config;
	struct domain domain;
	bool found = true, missing_ok = false;
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'x':
			xml = optarg;
			break;
		default:
			fprintf(stderr, "Usage: vfio-kvm check [--config FILE] [--xml FILE|-]\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "Usage: vfio-kvm check [--config FILE] [--xml FILE|-]\n");
		return CLI_EXIT_USAGE;
	}

	/* The default file may be missing (defaults); a file named by --config may not. */
	if (!config_path) {
		config_path = CONFIG_PATH;
		found = access(config_path, F_OK) == 0;
		missing_ok = true;
	}
	if (config_load(config_path, missing_ok, &config, &diag) < 0)
		return cli_fail(diag.msg);
	print_config(config_path, found, &config);

	if (!xml)
		return CLI_EXIT_OK;
	if (cli_read_domain(xml, NULL, &domain, &diag) < 0)
		return cli_fail(diag.msg);
	return print_domain(&domain, &config);
}
