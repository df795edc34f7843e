/* SPDX-License-Identifier: MIT */
/*
 * Starting and stopping vfio-kvm-<vm>.service over org.freedesktop.systemd1,
 * the way systemd-run does it: subscribe to JobRemoved first, then queue the
 * job, then wait for the signal that names our job.
 *
 * D-Bus signatures used (org.freedesktop.systemd1(5)):
 *   StartTransientUnit(s name, s mode, a(sv) properties, a(sa(sv)) aux) -> o job
 *   StopUnit(s name, s mode) -> o job;  GetUnit(s name) -> o unit
 *   ResetFailedUnit(s name);  signal JobRemoved(u id, o job, s unit, s result)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "devcache.h"
#include "helper-argv.h"
#include "names.h"
#include "ring.h"
#include "unit.h"

#define SD_SERVICE "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER SD_SERVICE ".Manager"
#define SD_UNIT_PREFIX SD_PATH "/unit"
#define USEC_PER_SEC 1000000ULL


static bool unit_char_keep(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == ':' || c == '_' || c == '.';
}

int unit_name_from_vm(const char *vm, char *buf, size_t size, struct diag *diag)
{
	static const char hex[] = "0123456789abcdef";
	const size_t room = UNIT_NAME_BUF - sizeof(UNIT_NAME_SUFFIX); /* keeps suffix + NUL */
	char name[UNIT_NAME_BUF];
	size_t n = strlen(UNIT_NAME_PREFIX);

	memcpy(name, UNIT_NAME_PREFIX, n);
	for (const char *p = vm; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool keep = unit_char_keep(c) && !(c == '.' && p == vm);

		if (n + (keep ? 1 : 4) > room)
			return diag_set(diag, -ENAMETOOLONG,
					"VM name '%.*s': its unit name would be longer than %d bytes",
					VM_NAME_MAX, vm, UNIT_NAME_BUF - 1);
		if (keep) {
			name[n++] = (char)c;
		} else {
			name[n++] = '\\';
			name[n++] = 'x';
			name[n++] = hex[c >> 4];
			name[n++] = hex[c & 15];
		}
	}
	memcpy(name + n, UNIT_NAME_SUFFIX, sizeof(UNIT_NAME_SUFFIX));
	n += sizeof(UNIT_NAME_SUFFIX) - 1;
	if (n + 1 > size) {
		if (size > 0)
			buf[0] = '\0';
		return -ENOBUFS;
	}
	memcpy(buf, name, n + 1);
	return (int)n;
}

char **unit_strv_free(char **strv)
{
	return helper_argv_free(strv);
}

const char *unit_origin_to_string(enum unit_origin origin)
{
	switch (origin) {
	case UNIT_FROM_CONFIG:
		return "config";
	case UNIT_FROM_CONFIG_VM:
		return "config [vm]";
	case UNIT_FROM_XML:
		return "domain XML";
	case UNIT_FROM_DEFAULT:
	default:
		return "default";
	}
}

/* The origin of a setting the config may give globally (global_bit) and per VM (vm_bit). */
static enum unit_origin unit_config_origin(const struct config *config, const struct config_vm *vm,
					   unsigned bit)
{
	if (vm->given & bit)
		return UNIT_FROM_CONFIG_VM;
	return config->given & bit ? UNIT_FROM_CONFIG : UNIT_FROM_DEFAULT;
}

void unit_settings_resolve(const struct domain *domain, const struct config *config,
			   struct unit_settings *ret)
{
	struct config_vm vm;

	config_vm_resolve(config, domain->name, &vm);
	*ret = (struct unit_settings){
		.direct = vm.hotkey,
		.direct_from = vm.given & CONFIG_GIVEN_HOTKEY ? UNIT_FROM_CONFIG_VM
							       : UNIT_FROM_DEFAULT,
		.host_keys = vm.host_keys,
		.host_keys_from = unit_config_origin(config, &vm, CONFIG_GIVEN_HOST_KEYS),
		.focus_on_start = vm.focus_on_start,
		.focus_on_start_from = unit_config_origin(config, &vm, CONFIG_GIVEN_FOCUS_ON_START),
		.on_stop = vm.on_stop,
		.on_stop_from = unit_config_origin(config, &vm, CONFIG_GIVEN_ON_STOP),
	};
	/* The XML's metadata wins over the config. */
	if (domain->given & DOMAIN_GIVEN_HOTKEY) {
		ret->direct = domain->hotkey;
		ret->direct_from = UNIT_FROM_XML;
	}
	if (domain->given & DOMAIN_GIVEN_HOST_KEYS) {
		ret->host_keys = domain->host_keys;
		ret->host_keys_from = UNIT_FROM_XML;
	}
	if (domain->given & DOMAIN_GIVEN_FOCUS_ON_START) {
		ret->focus_on_start = domain->focus_on_start;
		ret->focus_on_start_from = UNIT_FROM_XML;
	}
	if (domain->given & DOMAIN_GIVEN_ON_STOP) {
		ret->on_stop = domain->on_stop;
		ret->on_stop_from = UNIT_FROM_XML;
	}
}

int unit_helper_args(const struct domain *domain, const struct config *config, bool focus,
		     struct helper_args *ret, struct diag *diag)
{
	struct unit_settings settings;

	unit_settings_resolve(domain, config, &settings);
	helper_args_init(ret);
	memcpy(ret->vm, domain->name, strlen(domain->name) + 1);
	for (size_t i = 0; i < domain->n_sources; i++) {
		const struct domain_source *source = &domain->sources[i];
		struct helper_device *d = &ret->devices[i];

		if (domain_source_physical_path(source, d->phys, sizeof(d->phys)) < 0 ||
		    domain_source_clone_path(domain, source, d->clone, sizeof(d->clone)) < 0)
			return diag_set(diag, -ENAMETOOLONG, "%s: device '%s': path too long",
					domain->name, source->device);
		/* QEMU toggles its grab of evdev/input-linux clones only. */
		if (source->kind != SOURCE_PASSTHROUGH)
			d->toggle = source->grab_toggle;
		d->pinned = source->pinned;
	}
	ret->n_devices = domain->n_sources;
	ret->focus = focus;
	/* The helpers decide the cycle themselves; they must all agree with the config. */
	ret->include_host = config->include_host;
	ret->hotkeys[HOTKEY_CYCLE].keys = config->cycle;
	ret->hotkeys[HOTKEY_HOST].keys = config->host;
	ret->hotkeys[HOTKEY_RELEASE].keys = config->release;
	ret->hotkeys[HOTKEY_DIRECT].keys = settings.direct;
	ret->host_keys = settings.host_keys;
	ret->on_stop = settings.on_stop;
	/* A reload re-reads the config, and keeps what the XML set. */
	snprintf(ret->config, sizeof(ret->config), "%s", CONFIG_PATH);
	if (settings.direct_from == UNIT_FROM_XML)
		ret->fixed |= HELPER_FIXED_DIRECT;
	if (settings.host_keys_from == UNIT_FROM_XML)
		ret->fixed |= HELPER_FIXED_HOST_KEYS;
	if (settings.on_stop_from == UNIT_FROM_XML)
		ret->fixed |= HELPER_FIXED_ON_STOP;
	return 0;
}

int unit_helper_argv(const char *helper, const struct domain *domain, const struct config *config,
		     bool focus, char ***ret_argv, struct diag *diag)
{
	_cleanup_(freep) struct helper_args *args = NULL;
	int r;

	r = unit_check_name(domain->name, diag);
	if (r < 0)
		return r;
	/* About 33 KiB: not on the hook's stack. */
	args = malloc(sizeof(*args));
	if (!args)
		return -ENOMEM;
	r = unit_helper_args(domain, config, focus, args, diag);
	if (r < 0)
		return r;
	return helper_args_write(helper, args, ret_argv, diag);
}

int unit_check_name(const char *vm, struct diag *diag)
{
	if (strcmp(vm, RING_HOST) == 0)
		return diag_set(diag, -EINVAL,
				"%s: a VM may not be named '%s': the name stands for the host "
				"as a focus target; rename the VM",
				vm, RING_HOST);
	return 0;
}

int unit_check_sources(const struct domain *domain, struct diag *diag)
{
	char path[VK_PATH_MAX], alt[VK_PATH_MAX];
	struct stat st;
	int r;

	r = unit_check_name(domain->name, diag);
	if (r < 0)
		return r;
	for (size_t i = 0; i < domain->n_sources; i++) {
		if (domain_source_physical_path(&domain->sources[i], path, sizeof(path)) < 0)
			return diag_set(diag, -ENAMETOOLONG, "%s: device '%s': path too long",
					domain->name, domain->sources[i].device);
		r = stat(path, &st) < 0 ? -errno : 0;
		/* No by-id link: the helper takes the by-path one (names.h). */
		if (r == -ENOENT && device_by_path(path, alt, sizeof(alt)) > 0 &&
		    stat(alt, &st) == 0)
			r = 0;
		if (r < 0) {
			char cache[VK_PATH_MAX];

			/* Seen before: the helper makes its clone from the cache and waits for it. */
			if (r == -ENOENT &&
			    devcache_path(CACHE_DIR, domain->sources[i].device, cache, sizeof(cache),
					  NULL) >= 0 &&
			    access(cache, F_OK) == 0)
				continue;
			if (r == -ENOENT)
				return diag_set(diag, r, "%s: %s does not exist", domain->name, path);
			return diag_set(diag, r, "%s: '%s': %s", domain->name, path, strerror(-r));
		}
		if (!S_ISCHR(st.st_mode))
			return diag_set(diag, -ENODEV, "%s: %s is not an input device", domain->name,
					path);
	}
	return 0;
}

/*
 * ExecStart or ExecReload: one (path, argv, ignore-failure) entry; argv[0] is
 * the helper itself. systemd puts the main pid in for "$MAINPID".
 */
static int append_exec(sd_bus_message *m, const char *property, char **argv)
{
	int r;

	r = sd_bus_message_open_container(m, 'r', "sv");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", property);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', "a(sasb)");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sasb)");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'r', "sasb");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", argv[0]);
	if (r >= 0)
		r = sd_bus_message_append_strv(m, argv);
	if (r >= 0)
		r = sd_bus_message_append(m, "b", 0);
	for (int i = 0; i < 4 && r >= 0; i++)
		r = sd_bus_message_close_container(m);
	return r;
}

/* IPAddressDeny=any: every IPv4 and IPv6 address, each as (family, address, prefix length). */
static int append_ip_deny_any(sd_bus_message *m)
{
	static const uint8_t zeros[16] = {};
	static const struct {
		int32_t family;
		size_t size;
	} all[] = { { AF_INET, 4 }, { AF_INET6, 16 } };
	int r;

	r = sd_bus_message_open_container(m, 'r', "sv");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", "IPAddressDeny");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', "a(iayu)");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(iayu)");
	for (size_t i = 0; i < ARRAY_SIZE(all) && r >= 0; i++) {
		r = sd_bus_message_open_container(m, 'r', "iayu");
		if (r >= 0)
			r = sd_bus_message_append(m, "i", all[i].family);
		if (r >= 0)
			r = sd_bus_message_append_array(m, 'y', zeros, all[i].size);
		if (r >= 0)
			r = sd_bus_message_append(m, "u", (uint32_t)0);
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	}
	for (int i = 0; i < 3 && r >= 0; i++)
		r = sd_bus_message_close_container(m);
	return r;
}

/*
 * One property of the unit, as data. signature is its D-Bus type; the value
 * is in the member that type names: "s" str, "b"/"t"/"u" num, "as" strv,
 * "a(ss)" strv as pairs, "(bas)" flag then strv.
 */
struct unit_property {
	const char *name;
	const char *signature;
	const char *str;
	uint64_t num;
	bool flag;
	const char *const *strv; /* NULL-terminated */
};

#define STRV(...) ((const char *const[]){__VA_ARGS__, NULL})

/*
 * How the helper runs. Type=notify: the start job ends when the helper sends
 * READY=1 (all clones exist). The fd store keeps the clones across a helper
 * crash; a crash (signal, core dump, watchdog) restarts it, a clean error
 * exit does not, so a start that fails says why at once instead of looping
 * into the start limit. inactive-or-failed: a failed unit never blocks the
 * next start. AddRef keeps the unit loaded until we disconnect, so a
 * failure's Result can still be read. stdout/stderr: systemd's defaults
 * (journal). Description and the timeouts come from the request.
 */
static const struct unit_property unit_service[] = {
	{"Type", "s", .str = "notify"},
	{"NotifyAccess", "s", .str = "main"},
	{"CollectMode", "s", .str = "inactive-or-failed"},
	{"AddRef", "b", .num = 1},
	{"Restart", "s", .str = "on-abnormal"},
	{"FileDescriptorStoreMax", "u", .num = 2 * DOMAIN_SOURCES_MAX},
};

/*
 * The sandbox: the helper needs /dev/uinput, input event nodes, /run/vfio-kvm,
 * its cache and the system bus (an AF_UNIX socket), nothing else.
 * Root, but with no capabilities: every file it opens is root's own. No
 * namespaces, clock, kernel log, hostname, realtime or IP (IPAddressDeny,
 * appended after this table). System calls: what a service uses (pidfd_open
 * is in @process), less @privileged and @resources, in that order, as systemd
 * applies them; a call outside the set kills the helper (SIGSYS), which shows
 * in the journal. /proc shows only our own processes (the helper watches
 * other helpers with pidfd_open, which does not need /proc).
 * PrivateDevices= is not set: the helper needs /dev/uinput and the whole,
 * changing /dev/input; DevicePolicy= closes the rest. UMask stays 0022: the
 * status directory the helper makes must stay readable by anyone.
 */
static const struct unit_property unit_sandbox[] = {
	{"DevicePolicy", "s", .str = "closed"},
	{"DeviceAllow", "a(ss)", .strv = STRV("/dev/uinput", "rw", "char-input", "rw")},
	{"NoNewPrivileges", "b", .num = 1},
	{"ProtectSystem", "s", .str = "strict"},
	{"ReadWritePaths", "as", .strv = STRV("-" RUN_DIR)},
	{"StateDirectory", "as", .strv = STRV("vfio-kvm")},
	{"ProtectHome", "s", .str = "yes"},
	{"PrivateTmp", "b", .num = 1},
	{"PrivateNetwork", "b", .num = 1},
	{"RestrictAddressFamilies", "(bas)", .flag = true, .strv = STRV("AF_UNIX")},
	{"ProtectKernelTunables", "b", .num = 1},
	{"ProtectKernelModules", "b", .num = 1},
	{"ProtectControlGroups", "b", .num = 1},
	{"LockPersonality", "b", .num = 1},
	{"MemoryDenyWriteExecute", "b", .num = 1},
	{"RestrictSUIDSGID", "b", .num = 1},
	{"CapabilityBoundingSet", "t", .num = 0},
	{"ProtectKernelLogs", "b", .num = 1},
	{"ProtectClock", "b", .num = 1},
	{"ProtectHostname", "b", .num = 1},
	{"ProtectProc", "s", .str = "invisible"},
	{"ProcSubset", "s", .str = "pid"},
	{"PrivateMounts", "b", .num = 1},
	{"RestrictNamespaces", "t", .num = 0},
	{"RestrictRealtime", "b", .num = 1},
	{"SystemCallArchitectures", "as", .strv = STRV("native")},
	{"SystemCallFilter", "(bas)", .flag = true, .strv = STRV("@system-service")},
	{"SystemCallFilter", "(bas)", .flag = false, .strv = STRV("@privileged", "@resources")},
};

/* The value of p, inside its variant. */
static int append_value(sd_bus_message *m, const struct unit_property *p)
{
	int r;

	if (strcmp(p->signature, "s") == 0)
		return sd_bus_message_append(m, "s", p->str);
	if (strcmp(p->signature, "b") == 0)
		return sd_bus_message_append(m, "b", (int)(p->num != 0));
	if (strcmp(p->signature, "t") == 0)
		return sd_bus_message_append(m, "t", p->num);
	if (strcmp(p->signature, "u") == 0)
		return sd_bus_message_append(m, "u", (uint32_t)p->num);
	if (strcmp(p->signature, "as") == 0)
		return sd_bus_message_append_strv(m, (char **)p->strv);
	if (strcmp(p->signature, "a(ss)") == 0) {
		r = sd_bus_message_open_container(m, 'a', "(ss)");
		for (size_t i = 0; r >= 0 && p->strv[i] && p->strv[i + 1]; i += 2)
			r = sd_bus_message_append(m, "(ss)", p->strv[i], p->strv[i + 1]);
		return r < 0 ? r : sd_bus_message_close_container(m);
	}
	if (strcmp(p->signature, "(bas)") == 0) {
		r = sd_bus_message_open_container(m, 'r', "bas");
		if (r >= 0)
			r = sd_bus_message_append(m, "b", (int)p->flag);
		if (r >= 0)
			r = sd_bus_message_append_strv(m, (char **)p->strv);
		return r < 0 ? r : sd_bus_message_close_container(m);
	}
	return -EINVAL;
}

/* Appends each property of table as one (sv). */
static int append_table(sd_bus_message *m, const struct unit_property *table, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++) {
		r = sd_bus_message_open_container(m, 'r', "sv");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", table[i].name);
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'v', table[i].signature);
		if (r >= 0)
			r = append_value(m, &table[i]);
		for (int close = 0; close < 2 && r >= 0; close++)
			r = sd_bus_message_close_container(m);
	}
	return r;
}

int unit_append_properties(sd_bus_message *m, const struct unit_request *req, struct diag *diag)
{
	const struct domain *domain = req->domain;
	_cleanup_(unit_strv_freep) char **argv = NULL;
	char description[64 + VM_NAME_MAX];
	struct unit_settings settings;
	bool focus;
	int r;

	unit_settings_resolve(domain, req->config, &settings);
	/* focus_on_start is for a VM that starts, not for one that runs already. */
	focus = req->focus || (settings.focus_on_start && !req->no_focus_on_start);
	r = unit_helper_argv(req->helper, domain, req->config, focus, &argv, diag);
	if (r < 0)
		return r;
	snprintf(description, sizeof(description), "vfio-kvm input devices of VM %s", domain->name);

	r = sd_bus_message_append(m, "(sv)(sv)(sv)", "Description", "s", description,
				  "TimeoutStartUSec", "t",
				  (uint64_t)req->config->start_timeout_sec * USEC_PER_SEC,
				  "TimeoutStopUSec", "t",
				  (uint64_t)req->config->stop_timeout_sec * USEC_PER_SEC);
	if (r >= 0)
		r = append_table(m, unit_service, ARRAY_SIZE(unit_service));
	if (r >= 0)
		r = append_table(m, unit_sandbox, ARRAY_SIZE(unit_sandbox));
	if (r >= 0)
		r = append_ip_deny_any(m);
	if (r >= 0)
		r = append_exec(m, "ExecStart", argv);
	if (r >= 0)
		r = append_exec(m, "ExecReload",
				(char **)STRV(req->helper, HELPER_RELOAD_OPTION, "$MAINPID"));
	if (r < 0)
		return diag_set(diag, r, "%s: cannot build the unit's properties: %s", domain->name,
				strerror(-r));
	return 0;
}

/* Waiting for one job: JobRemoved's job path is compared with ours. */
struct unit_job {
	char *path;       /* set once the method call returned it */
	bool done;
	char result[32];  /* "done", "failed", "canceled", "timeout", "dependency", … */
};

static int unit_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct unit_job *job = userdata;
	const char *path, *unit, *result;
	uint32_t id;

	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (job->path && strcmp(job->path, path) == 0) {
		snprintf(job->result, sizeof(job->result), "%s", result);
		job->done = true;
	}
	return 0;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

/* Dispatches bus messages until job is done or deadline (CLOCK_MONOTONIC, µs) passes. */
static int unit_job_wait(sd_bus *bus, struct unit_job *job, uint64_t deadline)
{
	int r;

	for (;;) {
		uint64_t now;

		if (job->done)
			return 0;
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		now = now_usec();
		if (now >= deadline)
			return -ETIMEDOUT;
		r = sd_bus_wait(bus, deadline - now);
		if (r < 0 && r != -EINTR)
			return r;
	}
}

/* Reads the job path out of a StartTransientUnit/StopUnit reply into job. */
static int unit_job_take(struct unit_job *job, sd_bus_message *reply)
{
	const char *path;
	int r;

	r = sd_bus_message_read(reply, "o", &path);
	if (r < 0)
		return r;
	job->path = strdup(path);
	return job->path ? 0 : -ENOMEM;
}

static int unit_property_string(sd_bus *bus, const char *unit, const char *interface,
				const char *property, char **ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(freep) char *path = NULL;
	int r;

	r = sd_bus_path_encode(SD_UNIT_PREFIX, unit, &path);
	if (r < 0)
		return r;
	return sd_bus_get_property_string(bus, SD_SERVICE, path, interface, property, &error, ret);
}

/* ActiveState of a loaded unit; -ENOENT when systemd has no such unit loaded. */
static int unit_active_state(sd_bus *bus, const char *unit, char **ret, struct diag *diag)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *path;
	int r;

	r = sd_bus_call_method(bus, SD_SERVICE, SD_PATH, SD_MANAGER, "GetUnit", &error, &reply, "s",
			       unit);
	if (r < 0) {
		if (sd_bus_error_has_name(&error, SD_SERVICE ".NoSuchUnit"))
			return -ENOENT;
		return diag_set(diag, r, "%s: cannot look up: %s", unit,
				error.message ? error.message : strerror(-r));
	}
	r = sd_bus_message_read(reply, "o", &path);
	if (r >= 0)
		r = sd_bus_get_property_string(bus, SD_SERVICE, path, SD_SERVICE ".Unit",
					       "ActiveState", &error, ret);
	if (r < 0)
		return diag_set(diag, r, "%s: cannot read its state: %s", unit,
				error.message ? error.message : strerror(-r));
	return 0;
}

static bool state_is_running(const char *state)
{
	return strcmp(state, "active") == 0 || strcmp(state, "activating") == 0 ||
	       strcmp(state, "reloading") == 0;
}

int unit_is_active(sd_bus *bus, const char *vm, struct diag *diag)
{
	_cleanup_(freep) char *state = NULL;
	char unit[UNIT_NAME_BUF];
	int r;

	r = unit_name_from_vm(vm, unit, sizeof(unit), diag);
	if (r < 0)
		return r;
	r = unit_active_state(bus, unit, &state, diag);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return state_is_running(state);
}

static int unit_call_start(sd_bus *bus, const struct unit_request *req, const char *unit,
			   uint64_t timeout, sd_bus_error *error, sd_bus_message **ret_reply,
			   struct diag *diag)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, SD_SERVICE, SD_PATH, SD_MANAGER,
					   "StartTransientUnit");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", unit, "fail");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r < 0)
		return diag_set(diag, r, "%s: cannot build the start request: %s", req->domain->name,
				strerror(-r));
	r = unit_append_properties(m, req, diag);
	if (r < 0)
		return r;
	r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r < 0)
		return diag_set(diag, r, "%s: cannot build the start request: %s", req->domain->name,
				strerror(-r));
	r = sd_bus_call(bus, m, timeout, error, ret_reply);
	if (r < 0 && !sd_bus_error_is_set(error))
		return diag_set(diag, r, "%s: cannot start %s: %s", req->domain->name, unit,
				strerror(-r));
	return r;
}

/* One line for a start job that did not end in "done". */
static int unit_start_failed(sd_bus *bus, const char *vm, const char *unit, const char *result,
			     struct diag *diag)
{
	_cleanup_(freep) char *service_result = NULL;

	/* The service's Result says more ("exit-code", "timeout", "signal") than the job's. */
	if (unit_property_string(bus, unit, SD_SERVICE ".Service", "Result", &service_result) >= 0 &&
	    service_result[0] && strcmp(service_result, "success") != 0)
		result = service_result;
	return diag_set(diag, -EIO, "%s: %s failed to start (%s); see: journalctl -u %s", vm, unit,
			result, unit);
}

int unit_start(sd_bus *bus, const struct unit_request *req, struct diag *diag)
{
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *vm = req->domain->name;
	struct unit_job job = {};
	char unit[UNIT_NAME_BUF];
	uint64_t timeout, deadline;
	int r;

	r = unit_name_from_vm(vm, unit, sizeof(unit), diag);
	if (r < 0)
		return r;
	timeout = (uint64_t)req->config->start_timeout_sec * USEC_PER_SEC + UNIT_WAIT_SLACK_USEC;
	deadline = now_usec() + timeout;

	/* Before the job exists, so its JobRemoved cannot slip past us. */
	r = sd_bus_match_signal(bus, &slot, SD_SERVICE, SD_PATH, SD_MANAGER, "JobRemoved",
				unit_job_removed, &job);
	if (r < 0)
		return diag_set(diag, r, "%s: cannot watch systemd's jobs: %s", vm, strerror(-r));

	for (int attempt = 0;; attempt++) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		_cleanup_(freep) char *state = NULL;

		r = unit_call_start(bus, req, unit, timeout, &error, &reply, diag);
		if (r >= 0)
			break;
		if (!sd_bus_error_is_set(&error))
			return r;  /* diag set by unit_call_start() */
		if (!sd_bus_error_has_name(&error, SD_SERVICE ".UnitExists"))
			return diag_set(diag, r, "%s: cannot start %s: %s", vm, unit,
					error.message ? error.message : error.name);

		/* Loaded already: running (ours to keep), or failed (reset it, retry once). */
		r = unit_active_state(bus, unit, &state, diag);
		if (r == -ENOENT && attempt == 0)
			continue;  /* collected meanwhile */
		if (r < 0)
			return r == -ENOENT ? diag_set(diag, -EBUSY, "%s: %s cannot be started",
						       vm, unit) :
					      r;
		if (state_is_running(state))
			return diag_set(diag, -EEXIST, "%s: %s is already running", vm, unit);
		if (strcmp(state, "failed") != 0 || attempt > 0)
			return diag_set(diag, -EBUSY, "%s: %s is %s; try again when it is inactive",
					vm, unit, state);
		sd_bus_error_free(&error);
		r = sd_bus_call_method(bus, SD_SERVICE, SD_PATH, SD_MANAGER, "ResetFailedUnit",
				       &error, NULL, "s", unit);
		if (r < 0)
			return diag_set(diag, r, "%s: cannot reset failed %s: %s", vm, unit,
					error.message ? error.message : strerror(-r));
	}

	r = unit_job_take(&job, reply);
	if (r >= 0)
		r = unit_job_wait(bus, &job, deadline);
	if (r == -ETIMEDOUT) {
		/* Do not leave a half-started unit behind; do not wait for the stop either. */
		(void)sd_bus_call_method(bus, SD_SERVICE, SD_PATH, SD_MANAGER, "StopUnit", NULL,
					 NULL, "ss", unit, "replace");
		r = diag_set(diag, r, "%s: %s did not start within %u s; see: journalctl -u %s", vm,
			     unit, req->config->start_timeout_sec, unit);
	} else if (r < 0) {
		r = diag_set(diag, r, "%s: lost systemd while starting %s: %s", vm, unit,
			     strerror(-r));
	} else if (strcmp(job.result, "done") != 0) {
		r = unit_start_failed(bus, vm, unit, job.result, diag);
	}
	free(job.path);
	return r;
}

/*
 * What unit_stop() and unit_reload() share: systemd's METHOD(unit, mode) for
 * vm's unit, then its job waited for until timeout_usec. verb ("stop",
 * "reload") and doing ("stopping", "reloading") make the messages. Returns 0
 * when the job is done; -ENOENT without diag when there is no such unit;
 * else a negative errno with diag.
 */
static int unit_job_run(sd_bus *bus, const char *vm, const char *method, const char *mode,
			const char *verb, const char *doing, uint64_t timeout_usec,
			struct diag *diag)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct unit_job job = {};
	char unit[UNIT_NAME_BUF];
	uint64_t deadline = now_usec() + timeout_usec;
	int r;

	r = unit_name_from_vm(vm, unit, sizeof(unit), diag);
	if (r < 0)
		return r;
	r = sd_bus_match_signal(bus, &slot, SD_SERVICE, SD_PATH, SD_MANAGER, "JobRemoved",
				unit_job_removed, &job);
	if (r < 0)
		return diag_set(diag, r, "%s: cannot watch systemd's jobs: %s", vm, strerror(-r));
	r = sd_bus_call_method(bus, SD_SERVICE, SD_PATH, SD_MANAGER, method, &error, &reply,
			       "ss", unit, mode);
	if (r < 0) {
		if (sd_bus_error_has_name(&error, SD_SERVICE ".NoSuchUnit"))
			return -ENOENT;
		return diag_set(diag, r, "%s: cannot %s %s: %s", vm, verb, unit,
				error.message ? error.message : strerror(-r));
	}
	r = unit_job_take(&job, reply);
	if (r >= 0)
		r = unit_job_wait(bus, &job, deadline);
	if (r == -ETIMEDOUT)
		r = diag_set(diag, r, "%s: %s did not %s in time; see: journalctl -u %s", vm, unit,
			     verb, unit);
	else if (r < 0)
		r = diag_set(diag, r, "%s: lost systemd while %s %s: %s", vm, doing, unit,
			     strerror(-r));
	else if (strcmp(job.result, "done") != 0)
		r = diag_set(diag, -EIO, "%s: %s %s ended with '%s'; see: journalctl -u %s", vm,
			     doing, unit, job.result, unit);
	free(job.path);
	return r;
}

int unit_stop(sd_bus *bus, const char *vm, uint64_t timeout_usec, struct diag *diag)
{
	int r = unit_job_run(bus, vm, "StopUnit", "replace", "stop", "stopping", timeout_usec,
			     diag);

	/* Release runs after a failed prepare too: no unit is fine. */
	return r == -ENOENT ? 0 : r;
}

int unit_reload(sd_bus *bus, const char *vm, uint64_t timeout_usec, struct diag *diag)
{
	char unit[UNIT_NAME_BUF];
	/* "fail": never queue a start for a unit that is not running. */
	int r = unit_job_run(bus, vm, "ReloadUnit", "fail", "reload", "reloading", timeout_usec,
			     diag);

	if (r == -ENOENT && unit_name_from_vm(vm, unit, sizeof(unit), diag) >= 0)
		return diag_set(diag, -ENOENT, "%s: %s is not running", vm, unit);
	return r;
}
