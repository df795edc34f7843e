/* SPDX-License-Identifier: MIT */
/*
 * vfio-kvm: does by hand what the libvirt hook does (start or stop a VM's
 * unit from its domain XML), checks a config and a domain XML, and shows and
 * moves the focus around the ring (status, focus, next, release).
 *
 * Exit codes: 0 ok, 1 failure, 2 usage. `start` of a VM whose unit already
 * runs is a failure (the running unit may have been started from another XML;
 * stop it first), whereas the hook keeps such a unit. The helper's path is
 * fixed at build time; nothing is taken from the environment.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "domain-read.h"
#include "names.h"


#define USEC_PER_SEC 1000000ULL

struct verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
};

static int verb_start(int argc, char **argv);
static int verb_stop(int argc, char **argv);

static const struct verb verbs[] = {
	{ "start", verb_start, "start VM [--xml FILE|-] [--focus]" },
	{ "stop", verb_stop, "stop VM" },
	{ "check", verb_check, "check [--config FILE] [--xml FILE|-]" },
	{ "status", verb_status, "status [--json] [--run-dir DIR] [--config FILE]" },
	{ "focus", verb_focus, "focus TARGET [--run-dir DIR]" },
	{ "next", verb_next, "next [--run-dir DIR] [--config FILE]" },
	{ "release", verb_release, "release [--run-dir DIR]" },
	{ "watch", verb_watch, "watch [--json] [--run-dir DIR]" },
	{ "reload", verb_reload, "reload" },
};

static void help(FILE *f)
{
	fprintf(f, "Usage: vfio-kvm [--help] [--version] VERB [ARGS]\n\n"
		   "Share one keyboard and mouse between the host and libvirt VMs.\n\n"
		   "Verbs:\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %s\n", verbs[i].usage);
	fprintf(f, "\nWithout --xml, start reads the VM's definition from " LIBVIRT_QEMU_DIR
		   "/VM.xml.\n"
		   "TARGET is 'host' or the name of a running VM. The ring lives in " RUN_DIR
		   "\n(--run-dir: another); status needs root. focus, next and release run by\n"
		   "another user ask the running VMs over D-Bus, and polkit decides.\n"
		   "watch prints the focus target and every switch, as any user.\n"
		   "See vfio-kvm(1).\n");
}

int cli_fail(const char *msg)
{
	fprintf(stderr, "vfio-kvm: %s\n", msg);
	return CLI_EXIT_FAILURE;
}

int cli_usage(const char *verb)
{
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (strcmp(verbs[i].name, verb) == 0)
			fprintf(stderr, "Usage: vfio-kvm %s\n", verbs[i].usage);
	return CLI_EXIT_USAGE;
}

int cli_load_config(const char *path, struct config *ret, struct diag *diag)
{
	if (!path)
		return config_load(CONFIG_PATH, true, ret, diag);
	return config_load(path, false, ret, diag);
}

int cli_read_domain(const char *path, const char *vm, struct domain *ret, struct diag *diag)
{
	_cleanup_(closep) int fd = -1;
	const char *who = vm ? vm : path;

	if (strcmp(path, "-") == 0)
		return domain_read(STDIN_FILENO, "stdin", vm, ret, diag);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return diag_set(diag, -errno, "%s: '%s': %s", who, path, strerror(errno));
	return domain_read(fd, path, vm, ret, diag);
}

static int cli_bus(sd_bus **ret, struct diag *diag)
{
	int r = sd_bus_open_system(ret);

	if (r < 0)
		return diag_set(diag, r, "cannot connect to the system bus: %s", strerror(-r));
	return 0;
}

static int verb_start(int argc, char **argv)
{
	static const struct option options[] = {
		{ "xml", required_argument, NULL, 'x' },
		{ "focus", no_argument, NULL, 'f' },
		{}
	};
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	char default_xml[VK_PATH_MAX];
	const char *xml = NULL, *vm;
	struct diag diag = {}, config_diag = {};
	struct domain domain;
	struct config config;
	bool focus = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		switch (c) {
		case 'x':
			xml = optarg;
			break;
		case 'f':
			focus = true;
			break;
		default:
			return cli_usage(argv[0]);
		}
	}
	if (optind != argc - 1)
		return cli_usage(argv[0]);
	vm = argv[optind];
	if (vm_name_check(vm, &diag) < 0)
		return cli_fail(diag.msg);
	if (!xml) {
		snprintf(default_xml, sizeof(default_xml), "%s/%s.xml", LIBVIRT_QEMU_DIR, vm);
		xml = default_xml;
	}

	r = cli_read_domain(xml, vm, &domain, &diag);
	if (r < 0)
		return cli_fail(diag.msg);
	if (domain.n_sources == 0) {
		fprintf(stderr, "vfio-kvm: %s: no input devices of ours in %s; nothing to start\n",
			vm, xml);
		return CLI_EXIT_FAILURE;
	}
	if (config_load(CONFIG_PATH, true, &config, &config_diag) < 0) {
		diag_set(&diag, -EINVAL, "%s: %s", vm, config_diag.msg);
		return cli_fail(diag.msg);
	}
	r = unit_check_sources(&domain, &diag);
	if (r >= 0)
		r = cli_bus(&bus, &diag);
	if (r >= 0)
		r = unit_start(bus,
			       &(struct unit_request){ .helper = HELPER_PATH,
						       .domain = &domain,
						       .config = &config,
						       .focus = focus },
			       &diag);
	if (r == -EEXIST) {
		fprintf(stderr, "vfio-kvm: %s; stop it first: vfio-kvm stop %s\n", diag.msg, vm);
		return CLI_EXIT_FAILURE;
	}
	return r < 0 ? cli_fail(diag.msg) : CLI_EXIT_OK;
}

static int verb_stop(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct diag diag = {}, config_diag = {};
	struct config config;
	int r;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(argv[0]);
	if (vm_name_check(argv[1], &diag) < 0)
		return cli_fail(diag.msg);
	if (config_load(CONFIG_PATH, true, &config, &config_diag) < 0) {
		fprintf(stderr, "vfio-kvm: %s (stopping with the default timeout)\n",
			config_diag.msg);
		config_defaults(&config);
	}
	r = cli_bus(&bus, &diag);
	if (r >= 0)
		r = unit_stop(bus, argv[1],
			      config.stop_timeout_sec * USEC_PER_SEC + UNIT_WAIT_SLACK_USEC, &diag);
	return r < 0 ? cli_fail(diag.msg) : CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	int c;

	/* '+': stop at the verb; the verb parses its own options. */
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			help(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("vfio-kvm %s\n", PACKAGE_VERSION);
			return CLI_EXIT_OK;
		default:
			help(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		help(stderr);
		return CLI_EXIT_USAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (strcmp(verbs[i].name, argv[optind]) == 0) {
			int verb_argc = argc - optind;
			char **verb_argv = argv + optind;

			optind = 0; /* glibc: start over for the verb's own options */
			return verbs[i].run(verb_argc, verb_argv);
		}
	}
	fprintf(stderr, "vfio-kvm: unknown verb '%s'; see vfio-kvm --help\n", argv[optind]);
	return CLI_EXIT_USAGE;
}
