/* SPDX-License-Identifier: MIT */
/*
 * common/unit.c: unit names, the helper's argv, and the D-Bus conversation
 * with systemd, played against a stand-in for org.freedesktop.systemd1 on a
 * socketpair (a direct sd-bus connection in a child process). The stand-in
 * decodes what arrives, so the properties are checked as they go on the wire.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test.h"
#include "helper-argv.h"
#include "unit.h"

#define HELPER "/usr/libexec/vfio-kvm-helper"
#define JOB_START "/org/freedesktop/systemd1/job/7"
#define JOB_STOP "/org/freedesktop/systemd1/job/8"
#define JOB_OTHER "/org/freedesktop/systemd1/job/6"

static const char xml_two[] =
	"<domain type='kvm'><name>vm1</name><devices>"
	"<input type='passthrough' bus='virtio'><source evdev='/dev/input/by-id/vm1-kbd'/></input>"
	"<input type='evdev'><source dev='/dev/input/by-id/vm1-mouse' grab='all' "
	"grabToggle='scrolllock'/></input>"
	"</devices></domain>";

static const char xml_linux_meta[] =
	"<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
	"<name>vm1</name><metadata>"
	"<vfiokvm:hotkey xmlns:vfiokvm='https://kvm.vfio/xmlns/libvirt/domain/1.0'>"
	"<vfiokvm:key value='KEY_LEFTCTRL'/><vfiokvm:key value='KEY_F1'/></vfiokvm:hotkey>"
	"</metadata><devices/><qemu:commandline><qemu:arg value='-object'/>"
	"<qemu:arg value='input-linux,id=k,evdev=/dev/input/by-id/vm1-pad'/>"
	"</qemu:commandline></domain>";

static void load(const char *xml, const char *conf, struct domain *domain, struct config *config)
{
	struct diag diag = {};

	if (domain_xml_parse(xml, strlen(xml), domain, &diag) < 0) {
		printf("# xml: %s\n", diag.msg);
		abort();
	}
	if (config_parse_string(conf, "test.conf", config, &diag) < 0) {
		printf("# config: %s\n", diag.msg);
		abort();
	}
}

static char *join(char **argv)
{
	static char buf[4096];
	size_t n = 0;

	buf[0] = '\0';
	for (char **a = argv; *a; a++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", a == argv ? "" : " ", *a);
	return buf;
}

static size_t argv_count(char **argv)
{
	size_t n = 0;

	while (argv[n])
		n++;
	return n;
}

TEST(unit_name_plain)
{
	char buf[UNIT_NAME_BUF];

	ASSERT_EQ(unit_name_from_vm("vm1", buf, sizeof(buf), NULL), strlen("vfio-kvm-vm1.service"));
	ASSERT_STREQ(buf, "vfio-kvm-vm1.service");
	unit_name_from_vm("my.vm", buf, sizeof(buf), NULL);
	ASSERT_STREQ(buf, "vfio-kvm-my.vm.service");
	unit_name_from_vm("A_b:9", buf, sizeof(buf), NULL);
	ASSERT_STREQ(buf, "vfio-kvm-A_b:9.service");
}

TEST(unit_name_escaped)
{
	char buf[UNIT_NAME_BUF];

	unit_name_from_vm("a-b", buf, sizeof(buf), NULL);
	ASSERT_STREQ(buf, "vfio-kvm-a\\x2db.service");
	unit_name_from_vm(".x", buf, sizeof(buf), NULL);
	ASSERT_STREQ(buf, "vfio-kvm-\\x2ex.service");
	unit_name_from_vm("x.", buf, sizeof(buf), NULL);
	ASSERT_STREQ(buf, "vfio-kvm-x..service");
	unit_name_from_vm("w~1@", buf, sizeof(buf), NULL);
	ASSERT_STREQ(buf, "vfio-kvm-w\\x7e1\\x40.service");
}

TEST(unit_name_limits)
{
	char name[VM_NAME_MAX + 1], buf[UNIT_NAME_BUF], small[8];
	struct diag diag = {};

	/* 64 plain bytes fit; 64 escaped ones (4 bytes each) do not. */
	memset(name, 'a', VM_NAME_MAX);
	name[VM_NAME_MAX] = '\0';
	ASSERT_EQ(unit_name_from_vm(name, buf, sizeof(buf), NULL), 9 + VM_NAME_MAX + 8);
	memset(name + 1, '-', VM_NAME_MAX - 1);
	ASSERT_EQ(unit_name_from_vm(name, buf, sizeof(buf), &diag), -ENAMETOOLONG);
	ASSERT_CONTAINS(diag.msg, "longer than 255 bytes");
	ASSERT_EQ(unit_name_from_vm("vm1", small, sizeof(small), NULL), -ENOBUFS);
	ASSERT_STREQ(small, "");
}

TEST(argv_passthrough_and_evdev_defaults)
{
	_cleanup_(unit_strv_freep) char **argv = NULL;
	struct domain domain;
	struct config config;

	load(xml_two, "", &domain, &config);
	ASSERT_EQ(unit_helper_argv(HELPER, &domain, &config, false, &argv, NULL), 0);
	ASSERT_STREQ(join(argv),
		     HELPER " --vm vm1"
			    " --device /dev/input/by-id/kbd=/dev/input/by-id/vm1-kbd"
			    " --device /dev/input/by-id/mouse=/dev/input/by-id/vm1-mouse,"
			    "toggle=KEY_SCROLLLOCK"
			    " --hotkey cycle=KEY_LEFTCTRL+KEY_RIGHTCTRL"
			    " --hotkey host=KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_H"
			    " --hotkey release=KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_ESC"
			    " --config /etc/vfio-kvm.conf");
}

TEST(argv_direct_from_config_host_disabled_focus)
{
	_cleanup_(unit_strv_freep) char **argv = NULL;
	static struct helper_args args;
	struct domain domain;
	struct config config;

	load(xml_two,
	     "[hotkeys]\nhost =\ncycle = KEY_PAUSE\n[vm \"vm1\"]\nhotkey = KEY_LEFTALT+KEY_1\n",
	     &domain, &config);
	ASSERT_EQ(unit_helper_argv(HELPER, &domain, &config, true, &argv, NULL), 0);
	/* "host =" disables it: written as such, or the helper would use its default. */
	ASSERT_CONTAINS(join(argv), "toggle=KEY_SCROLLLOCK --focus --hotkey cycle=KEY_PAUSE "
				    "--hotkey host= --hotkey release=");
	ASSERT_CONTAINS(join(argv), " --hotkey direct=KEY_LEFTALT+KEY_1");
	ASSERT_EQ(argv[0] == NULL, 0);
	ASSERT_EQ(helper_args_parse((int)argv_count(argv), argv, &args, NULL), 0);
	ASSERT_EQ(args.hotkeys[HOTKEY_HOST].keys.n, 0);
	ASSERT_EQ(args.hotkeys[HOTKEY_CYCLE].keys.n, 1);
}

TEST(argv_direct_metadata_wins_input_linux_default_toggle)
{
	_cleanup_(unit_strv_freep) char **argv = NULL;
	struct domain domain;
	struct config config;

	load(xml_linux_meta, "[vm \"vm1\"]\nhotkey = KEY_LEFTALT+KEY_1\n", &domain, &config);
	ASSERT_EQ(unit_helper_argv(HELPER, &domain, &config, false, &argv, NULL), 0);
	/* input-linux without grab-toggle: QEMU's default, ctrl-ctrl. */
	ASSERT_CONTAINS(join(argv), " --device /dev/input/by-id/pad=/dev/input/by-id/vm1-pad,"
				    "toggle=KEY_LEFTCTRL+KEY_RIGHTCTRL --hotkey");
	ASSERT_CONTAINS(join(argv), " --hotkey direct=KEY_LEFTCTRL+KEY_F1");
	ASSERT_FALSE(strstr(join(argv), "KEY_LEFTALT"));
}

TEST(argv_no_direct_hotkey)
{
	_cleanup_(unit_strv_freep) char **argv = NULL;
	struct domain domain;
	struct config config;

	load(xml_two, "[vm \"other\"]\nhotkey = KEY_LEFTALT+KEY_1\n", &domain, &config);
	ASSERT_EQ(unit_helper_argv(HELPER, &domain, &config, false, &argv, NULL), 0);
	ASSERT_FALSE(strstr(join(argv), "direct="));
}

TEST(check_sources_missing)
{
	struct domain domain;
	struct config config;
	struct diag diag = {};

	load(xml_two, "", &domain, &config);
	/* No such device on a test machine: the message names the VM and the path. */
	ASSERT_EQ(unit_check_sources(&domain, &diag), -ENOENT);
	ASSERT_STREQ(diag.msg, "vm1: /dev/input/by-id/kbd does not exist");
}

TEST(argv_no_host_when_the_host_is_out_of_the_cycle)
{
	_cleanup_(unit_strv_freep) char **argv = NULL, **argv2 = NULL;
	struct domain domain;
	struct config config;

	load(xml_two, "[ring]\ninclude_host = no\n", &domain, &config);
	ASSERT_EQ(unit_helper_argv(HELPER, &domain, &config, true, &argv, NULL), 0);
	ASSERT_CONTAINS(join(argv), "toggle=KEY_SCROLLLOCK --focus --no-host --hotkey cycle=");
	load(xml_two, "[ring]\ninclude_host = yes\n", &domain, &config);
	ASSERT_EQ(unit_helper_argv(HELPER, &domain, &config, false, &argv2, NULL), 0);
	ASSERT_FALSE(strstr(join(argv2), "--no-host"));
}

/* Per-VM settings: the XML over [vm "NAME"] over the global key over the default. */
TEST(settings_in_effect_and_their_origin)
{
	static const char xml_settings[] =
	    "<domain type='kvm'><name>vm1</name><metadata><vfiokvm:settings "
	    "xmlns:vfiokvm='https://kvm.vfio/xmlns/libvirt/domain/1.0'><vfiokvm:host-keys>"
	    "<vfiokvm:key value='KEY_MUTE'/></vfiokvm:host-keys><vfiokvm:device name='pad' "
	    "focus='always'/><vfiokvm:on-stop value='host'/></vfiokvm:settings></metadata>"
	    "<devices><input type='passthrough' bus='virtio'><source "
	    "evdev='/dev/input/by-id/vm1-kbd'/></input><input type='passthrough' bus='virtio'>"
	    "<source evdev='/dev/input/by-id/vm1-pad'/></input></devices></domain>";
	_cleanup_(unit_strv_freep) char **argv = NULL;
	struct unit_settings st;
	struct helper_args a;
	struct domain domain;
	struct config config;

	/* Defaults. */
	load(xml_two, "", &domain, &config);
	unit_settings_resolve(&domain, &config, &st);
	ASSERT_EQ(st.host_keys.n, 0);
	ASSERT_EQ(st.host_keys_from, UNIT_FROM_DEFAULT);
	ASSERT_FALSE(st.focus_on_start);
	ASSERT_EQ(st.focus_on_start_from, UNIT_FROM_DEFAULT);
	ASSERT_EQ(st.on_stop, FOCUS_ON_STOP_NEXT);
	ASSERT_EQ(st.on_stop_from, UNIT_FROM_DEFAULT);
	ASSERT_EQ(st.direct.n, 0);

	/* Global, then [vm] over it key by key. */
	load(xml_two, "[ring]\nfocus_on_start = yes\non_stop = host\n[keys]\nhost_keys = KEY_MUTE\n"
		      "[vm \"vm1\"]\non_stop = next\nhotkey = KEY_F1\n",
	     &domain, &config);
	unit_settings_resolve(&domain, &config, &st);
	ASSERT_EQ(st.host_keys.n, 1);
	ASSERT_EQ(st.host_keys_from, UNIT_FROM_CONFIG);
	ASSERT_TRUE(st.focus_on_start);
	ASSERT_EQ(st.focus_on_start_from, UNIT_FROM_CONFIG);
	ASSERT_EQ(st.on_stop, FOCUS_ON_STOP_NEXT);
	ASSERT_EQ(st.on_stop_from, UNIT_FROM_CONFIG_VM);
	ASSERT_EQ(st.direct_from, UNIT_FROM_CONFIG_VM);
	ASSERT_STREQ(unit_origin_to_string(st.on_stop_from), "config [vm]");

	/* The XML over all of them; what it sets is fixed for a reload. */
	load(xml_settings, "[ring]\non_stop = next\nfocus_on_start = yes\n[keys]\n"
			   "host_keys = KEY_VOLUMEUP, KEY_VOLUMEDOWN\n"
			   "[vm \"vm1\"]\non_stop = next\n",
	     &domain, &config);
	unit_settings_resolve(&domain, &config, &st);
	ASSERT_EQ(st.host_keys.n, 1);
	ASSERT_EQ(st.host_keys_from, UNIT_FROM_XML);
	ASSERT_EQ(st.on_stop, FOCUS_ON_STOP_HOST);
	ASSERT_EQ(st.on_stop_from, UNIT_FROM_XML);
	ASSERT_EQ(st.focus_on_start_from, UNIT_FROM_CONFIG);
	ASSERT_STREQ(unit_origin_to_string(st.on_stop_from), "domain XML");
	ASSERT_EQ(unit_helper_args(&domain, &config, false, &a, NULL), 0);
	ASSERT_FALSE(a.devices[0].pinned);
	ASSERT_TRUE(a.devices[1].pinned);
	ASSERT_EQ(a.host_keys.n, 1);
	ASSERT_EQ(a.fixed, HELPER_FIXED_HOST_KEYS | HELPER_FIXED_ON_STOP);
	ASSERT_EQ(unit_helper_argv(HELPER, &domain, &config, false, &argv, NULL), 0);
	ASSERT_CONTAINS(join(argv), " --on-stop host --config /etc/vfio-kvm.conf "
				    "--fixed host-keys,on-stop");
}

TEST(argv_every_option_at_once_fits)
{
	_cleanup_(unit_strv_freep) char **argv = NULL;
	char xml[8192], *p = xml;
	struct domain domain;
	struct config config;
	size_t n = 0;

	p += sprintf(p, "<domain type='kvm'><name>vm1</name><metadata><vfiokvm:settings "
			"xmlns:vfiokvm='https://kvm.vfio/xmlns/libvirt/domain/1.0'><vfiokvm:hotkey>"
			"<vfiokvm:key value='KEY_F1'/></vfiokvm:hotkey><vfiokvm:host-keys>"
			"<vfiokvm:key value='KEY_MUTE'/></vfiokvm:host-keys><vfiokvm:on-stop "
			"value='host'/></vfiokvm:settings></metadata><devices>");
	for (int i = 0; i < DOMAIN_SOURCES_MAX; i++)
		p += sprintf(p, "<input type='passthrough' bus='virtio'><source "
				"evdev='/dev/input/by-id/vm1-k%d'/></input>", i);
	sprintf(p, "</devices></domain>");
	load(xml, "[ring]\ninclude_host = no\n", &domain, &config);
	ASSERT_EQ(domain.n_sources, DOMAIN_SOURCES_MAX);
	ASSERT_EQ(unit_helper_argv(HELPER, &domain, &config, true, &argv, NULL), 0);
	while (argv[n])
		n++;
	ASSERT_TRUE(n <= UNIT_ARGV_MAX);
	ASSERT_CONTAINS(join(argv), " --focus --no-host --hotkey cycle=");
	ASSERT_CONTAINS(join(argv), " --hotkey direct=KEY_F1 --host-keys KEY_MUTE --on-stop host "
				    "--config /etc/vfio-kvm.conf --fixed direct,host-keys,on-stop");
}

TEST(vm_named_host_is_refused)
{
	static const char xml_host[] =
		"<domain type='kvm'><name>host</name><devices><input type='passthrough' "
		"bus='virtio'><source evdev='/dev/input/by-id/host-kbd'/></input></devices></domain>";
	_cleanup_(unit_strv_freep) char **argv = NULL;
	struct domain domain;
	struct config config;
	struct diag diag = {};

	load(xml_host, "", &domain, &config);
	ASSERT_EQ(unit_check_sources(&domain, &diag), -EINVAL);
	ASSERT_STREQ(diag.msg, "host: a VM may not be named 'host': the name stands for the host "
			       "as a focus target; rename the VM");
	ASSERT_EQ(unit_helper_argv(HELPER, &domain, &config, false, &argv, &diag), -EINVAL);
	ASSERT_TRUE(argv == NULL);
	ASSERT_EQ(unit_check_name("vm1", NULL), 0);
	ASSERT_EQ(unit_check_name("hosts", NULL), 0);
	ASSERT_EQ(unit_check_name("host", NULL), -EINVAL);
}

/* ---- a stand-in for systemd on the other end of a socketpair ---- */

struct mock {
	const char *start_error;     /* error for StartTransientUnit, NULL: succeed */
	bool reset_clears_error;     /* ResetFailedUnit makes the next start succeed */
	const char *job_result;      /* JobRemoved's result for our job */
	const char *service_result;  /* Service.Result */
	const char *active_state;    /* NULL: GetUnit says NoSuchUnit */
	const char *stop_error;
	FILE *report;                /* what arrived, one line each */
};

static void mock_record_properties(struct mock *mk, sd_bus_message *m)
{
	const char *name, *contents;
	char type;

	sd_bus_message_enter_container(m, 'a', "(sv)");
	while (sd_bus_message_enter_container(m, 'r', "sv") > 0) {
		sd_bus_message_read(m, "s", &name);
		sd_bus_message_peek_type(m, &type, &contents);
		if ((strcmp(name, "ExecStart") == 0 || strcmp(name, "ExecReload") == 0) &&
		    strcmp(contents, "a(sasb)") == 0) {
			const char *path, *arg;
			int ignore;

			sd_bus_message_enter_container(m, 'v', contents);
			sd_bus_message_enter_container(m, 'a', "(sasb)");
			while (sd_bus_message_enter_container(m, 'r', "sasb") > 0) {
				sd_bus_message_read(m, "s", &path);
				fprintf(mk->report, "%s=%s [", name, path);
				sd_bus_message_enter_container(m, 'a', "s");
				while (sd_bus_message_read(m, "s", &arg) > 0)
					fprintf(mk->report, " %s", arg);
				sd_bus_message_exit_container(m);
				sd_bus_message_read(m, "b", &ignore);
				fprintf(mk->report, " ] %d\n", ignore);
				sd_bus_message_exit_container(m);
			}
			sd_bus_message_exit_container(m);
			sd_bus_message_exit_container(m);
		} else if (strcmp(contents, "as") == 0 || strcmp(contents, "(bas)") == 0) {
			const char *item;
			int flag;

			/* Lists as "Name=a,b", "(bas)" as "Name=yes:a,b" (the bool first). */
			fprintf(mk->report, "%s=", name);
			sd_bus_message_enter_container(m, 'v', contents);
			if (contents[0] == '(') {
				sd_bus_message_enter_container(m, 'r', "bas");
				sd_bus_message_read(m, "b", &flag);
				fprintf(mk->report, "%s:", flag ? "yes" : "no");
			}
			sd_bus_message_enter_container(m, 'a', "s");
			for (int i = 0; sd_bus_message_read(m, "s", &item) > 0; i++)
				fprintf(mk->report, "%s%s", i ? "," : "", item);
			sd_bus_message_exit_container(m);
			if (contents[0] == '(')
				sd_bus_message_exit_container(m);
			sd_bus_message_exit_container(m);
			fprintf(mk->report, "\n");
		} else if (strcmp(contents, "a(ss)") == 0) {
			const char *a, *b;

			/* Pairs as "Name=a:b,c:d". */
			fprintf(mk->report, "%s=", name);
			sd_bus_message_enter_container(m, 'v', contents);
			sd_bus_message_enter_container(m, 'a', "(ss)");
			for (int i = 0; sd_bus_message_read(m, "(ss)", &a, &b) > 0; i++)
				fprintf(mk->report, "%s%s:%s", i ? "," : "", a, b);
			sd_bus_message_exit_container(m);
			sd_bus_message_exit_container(m);
			fprintf(mk->report, "\n");
		} else if (strcmp(contents, "a(iayu)") == 0) {
			const void *addr;
			size_t size;
			int32_t family;
			uint32_t prefix;

			/* Address lists as "Name=family/bytes/prefix,…" (bytes as their sum). */
			fprintf(mk->report, "%s=", name);
			sd_bus_message_enter_container(m, 'v', contents);
			sd_bus_message_enter_container(m, 'a', "(iayu)");
			for (int i = 0; sd_bus_message_enter_container(m, 'r', "iayu") > 0; i++) {
				unsigned sum = 0;

				sd_bus_message_read(m, "i", &family);
				sd_bus_message_read_array(m, 'y', &addr, &size);
				sd_bus_message_read(m, "u", &prefix);
				for (size_t j = 0; j < size; j++)
					sum += ((const uint8_t *)addr)[j];
				fprintf(mk->report, "%s%d/%zu:%u/%u", i ? "," : "", family, size,
					sum, prefix);
				sd_bus_message_exit_container(m);
			}
			sd_bus_message_exit_container(m);
			sd_bus_message_exit_container(m);
			fprintf(mk->report, "\n");
		} else if (strlen(contents) == 1 && strchr("sbtu", contents[0])) {
			union {
				const char *s;
				int b;
				uint64_t t;
				uint32_t u;
			} v;
			sd_bus_message_read(m, "v", contents, &v);
			if (contents[0] == 's')
				fprintf(mk->report, "%s=%s\n", name, v.s);
			else if (contents[0] == 'b')
				fprintf(mk->report, "%s=%s\n", name, v.b ? "yes" : "no");
			else if (contents[0] == 't')
				fprintf(mk->report, "%s=%llu\n", name, (unsigned long long)v.t);
			else
				fprintf(mk->report, "%s=%u\n", name, v.u);
		} else {
			fprintf(mk->report, "%s:%s\n", name, contents);
			sd_bus_message_skip(m, "v");
		}
		sd_bus_message_exit_container(m);
	}
	sd_bus_message_exit_container(m);
}

static void mock_job_removed(sd_bus *bus, uint32_t id, const char *job, const char *unit,
			     const char *result)
{
	sd_bus_emit_signal(bus, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
			   "JobRemoved", "uoss", id, job, unit, result);
}

static int mock_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct mock *mk = userdata;
	sd_bus *bus = sd_bus_message_get_bus(m);
	const char *member = sd_bus_message_get_member(m), *unit, *mode;

	if (!sd_bus_message_is_method_call(m, NULL, NULL))
		return 0;
	if (strcmp(member, "StartTransientUnit") == 0) {
		fprintf(mk->report, "call StartTransientUnit %s\n",
			sd_bus_message_get_signature(m, true));
		sd_bus_message_read(m, "ss", &unit, &mode);
		fprintf(mk->report, "unit=%s mode=%s\n", unit, mode);
		if (mk->start_error)
			return sd_bus_reply_method_errorf(m, mk->start_error, "Unit %s exists.",
							  unit);
		mock_record_properties(mk, m);
		sd_bus_reply_method_return(m, "o", JOB_START);
		/* Someone else's job first: it must not end our wait. */
		mock_job_removed(bus, 6, JOB_OTHER, unit, "failed");
		mock_job_removed(bus, 7, JOB_START, unit, mk->job_result);
	} else if (strcmp(member, "StopUnit") == 0) {
		sd_bus_message_read(m, "ss", &unit, &mode);
		fprintf(mk->report, "call StopUnit %s %s\n", unit, mode);
		if (mk->stop_error)
			return sd_bus_reply_method_errorf(m, mk->stop_error, "Unit %s not loaded.",
							  unit);
		sd_bus_reply_method_return(m, "o", JOB_STOP);
		mock_job_removed(bus, 8, JOB_STOP, unit, mk->job_result);
	} else if (strcmp(member, "GetUnit") == 0) {
		sd_bus_message_read(m, "s", &unit);
		fprintf(mk->report, "call GetUnit %s\n", unit);
		if (!mk->active_state)
			return sd_bus_reply_method_errorf(m, "org.freedesktop.systemd1.NoSuchUnit",
							  "Unit %s not loaded.", unit);
		sd_bus_reply_method_return(m, "o", "/org/freedesktop/systemd1/unit/x");
	} else if (strcmp(member, "ResetFailedUnit") == 0) {
		sd_bus_message_read(m, "s", &unit);
		fprintf(mk->report, "call ResetFailedUnit %s\n", unit);
		if (mk->reset_clears_error)
			mk->start_error = NULL;
		sd_bus_reply_method_return(m, "");
	} else if (strcmp(member, "Get") == 0) {
		const char *iface, *prop;
		sd_bus_message_read(m, "ss", &iface, &prop);
		fprintf(mk->report, "call Get %s %s %s\n", sd_bus_message_get_path(m), iface,
			prop);
		sd_bus_reply_method_return(m, "v", "s",
					   strcmp(prop, "Result") == 0 ? mk->service_result :
									 mk->active_state);
	} else {
		return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_UNKNOWN_METHOD, "no %s", member);
	}
	return 1;
}

_Noreturn static void mock_serve(int fd, struct mock *mk, int report_fd)
{
	sd_bus *bus = NULL;
	sd_id128_t id;

	mk->report = fdopen(report_fd, "w");
	setvbuf(mk->report, NULL, _IOLBF, 0);
	sd_id128_randomize(&id);
	if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fd, fd) < 0 ||
	    sd_bus_set_server(bus, 1, id) < 0 || sd_bus_set_sender(bus, ":1.1") < 0 ||
	    sd_bus_add_filter(bus, NULL, mock_filter, mk) < 0 || sd_bus_start(bus) < 0)
		_exit(3);
	for (;;) {
		int r = sd_bus_process(bus, NULL);
		if (r < 0)
			break;
		if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
			break;
	}
	fclose(mk->report);
	_exit(0);
}

struct mock_run {
	sd_bus *bus;
	pid_t pid;
	int report_fd;
	char report[8192];
};

static int mock_start(struct mock_run *run, struct mock *mk)
{
	int sv[2], rp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(rp, O_CLOEXEC) < 0)
		return -errno;
	run->pid = fork();
	if (run->pid == 0) {
		close(sv[0]);
		close(rp[0]);
		mock_serve(sv[1], mk, rp[1]);
	}
	close(sv[1]);
	close(rp[1]);
	run->report_fd = rp[0];
	if (sd_bus_new(&run->bus) < 0 || sd_bus_set_fd(run->bus, sv[0], sv[0]) < 0 ||
	    sd_bus_start(run->bus) < 0)
		return -EIO;
	return 0;
}

/* Hangs up, lets the stand-in exit and collects its report. */
static int mock_finish(struct mock_run *run)
{
	size_t n = 0;
	ssize_t k;
	int status;

	run->bus = sd_bus_flush_close_unref(run->bus);
	while (n < sizeof(run->report) - 1 &&
	       (k = read(run->report_fd, run->report + n, sizeof(run->report) - 1 - n)) > 0)
		n += (size_t)k;
	run->report[n] = '\0';
	close(run->report_fd);
	waitpid(run->pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int mock_unit_start(struct mock *mk, struct mock_run *run, struct diag *diag)
{
	struct domain domain;
	struct config config;
	int r;

	load(xml_two, "[timeouts]\nstart = 7\nstop = 3\n", &domain, &config);
	if (mock_start(run, mk) < 0)
		return -999;
	r = unit_start(run->bus,
		       &(struct unit_request){ .helper = HELPER, .domain = &domain, .config = &config },
		       diag);
	if (mock_finish(run) != 0)
		return -998;
	return r;
}

/* The names of the properties in a report, in order, space-separated. */
static const char *property_names(const char *report)
{
	static char names[4096];
	const char *line = strstr(report, "unit=");
	size_t n = 0;

	names[0] = '\0';
	line = line ? strchr(line, '\n') : NULL;
	for (; line && line[1]; line = strchr(line + 1, '\n')) {
		const char *name = line + 1;
		int len = (int)strcspn(name, "=:\n");

		if (strncmp(name, "call ", 5) == 0)
			break;
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%.*s", n ? " " : "", len,
				      name);
	}
	return names;
}

TEST(start_sends_properties_and_waits_for_our_job)
{
	struct mock mk = { .job_result = "done" };
	struct mock_run run = {};
	struct diag diag = {};

	ASSERT_EQ(mock_unit_start(&mk, &run, &diag), 0);
	ASSERT_CONTAINS(run.report, "call StartTransientUnit ssa(sv)a(sa(sv))\n");
	ASSERT_CONTAINS(run.report, "unit=vfio-kvm-vm1.service mode=fail\n");
	ASSERT_CONTAINS(run.report, "\nType=notify\n");
	ASSERT_CONTAINS(run.report, "\nCollectMode=inactive-or-failed\n");
	ASSERT_CONTAINS(run.report, "\nTimeoutStartUSec=7000000\n");
	ASSERT_CONTAINS(run.report, "\nTimeoutStopUSec=3000000\n");
	ASSERT_CONTAINS(run.report, "\nAddRef=yes\n");
	ASSERT_CONTAINS(run.report, "\nRestart=on-abnormal\n");
	ASSERT_CONTAINS(run.report, "\nFileDescriptorStoreMax=64\n");
	ASSERT_CONTAINS(run.report, "\nDeviceAllow=/dev/uinput:rw,char-input:rw\n");
	ASSERT_CONTAINS(run.report, "\nDevicePolicy=closed\n");
	/* The sandbox: each line one property, so a weakened one shows. */
	ASSERT_CONTAINS(run.report, "\nRestrictAddressFamilies=yes:AF_UNIX\n");
	ASSERT_CONTAINS(run.report, "\nReadWritePaths=-" RUN_DIR "\n");
	ASSERT_CONTAINS(run.report, "\nStateDirectory=vfio-kvm\n");
	ASSERT_CONTAINS(run.report, "\nNoNewPrivileges=yes\n");
	ASSERT_CONTAINS(run.report, "\nProtectSystem=strict\n");
	ASSERT_CONTAINS(run.report, "\nProtectHome=yes\n");
	ASSERT_CONTAINS(run.report, "\nPrivateTmp=yes\n");
	ASSERT_CONTAINS(run.report, "\nPrivateNetwork=yes\n");
	ASSERT_CONTAINS(run.report, "\nPrivateMounts=yes\n");
	ASSERT_CONTAINS(run.report, "\nCapabilityBoundingSet=0\n");
	ASSERT_CONTAINS(run.report, "\nProtectKernelTunables=yes\n");
	ASSERT_CONTAINS(run.report, "\nProtectKernelModules=yes\n");
	ASSERT_CONTAINS(run.report, "\nProtectKernelLogs=yes\n");
	ASSERT_CONTAINS(run.report, "\nProtectControlGroups=yes\n");
	ASSERT_CONTAINS(run.report, "\nProtectClock=yes\n");
	ASSERT_CONTAINS(run.report, "\nProtectHostname=yes\n");
	ASSERT_CONTAINS(run.report, "\nProtectProc=invisible\n");
	ASSERT_CONTAINS(run.report, "\nProcSubset=pid\n");
	ASSERT_CONTAINS(run.report, "\nRestrictNamespaces=0\n");
	ASSERT_CONTAINS(run.report, "\nRestrictRealtime=yes\n");
	ASSERT_CONTAINS(run.report, "\nRestrictSUIDSGID=yes\n");
	ASSERT_CONTAINS(run.report, "\nLockPersonality=yes\n");
	ASSERT_CONTAINS(run.report, "\nMemoryDenyWriteExecute=yes\n");
	ASSERT_CONTAINS(run.report, "\nSystemCallArchitectures=native\n");
	/* An allow list first, then what it takes out of it: systemd applies them in order. */
	ASSERT_CONTAINS(run.report, "\nSystemCallFilter=yes:@system-service\n"
				    "SystemCallFilter=no:@privileged,@resources\n");
	/* Every IPv4 and every IPv6 address: AF_INET 0.0.0.0/0, AF_INET6 ::/0. */
	ASSERT_CONTAINS(run.report, "\nIPAddressDeny=2/4:0/0,10/16:0/0\n");
	ASSERT_CONTAINS(run.report, "\nDescription=vfio-kvm input devices of VM vm1\n");
	ASSERT_CONTAINS(run.report,
			"\nExecStart=" HELPER " [ " HELPER " --vm vm1 --device "
			"/dev/input/by-id/kbd=/dev/input/by-id/vm1-kbd --device "
			"/dev/input/by-id/mouse=/dev/input/by-id/vm1-mouse,toggle=KEY_SCROLLLOCK "
			"--hotkey cycle=KEY_LEFTCTRL+KEY_RIGHTCTRL --hotkey "
			"host=KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_H --hotkey "
			"release=KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_ESC --config /etc/vfio-kvm.conf ] 0\n");
	/* systemd puts the main pid in for $MAINPID. */
	ASSERT_CONTAINS(run.report, "\nExecReload=" HELPER " [ " HELPER " --reload $MAINPID ] 0\n");
	/* Never StandardOutput= etc.: systemd's defaults send them to the journal. */
	ASSERT_FALSE(strstr(run.report, "Standard"));
	/* Exactly these properties, in this order: none added, none lost. */
	ASSERT_STREQ(property_names(run.report),
		     "Description TimeoutStartUSec TimeoutStopUSec Type NotifyAccess CollectMode "
		     "AddRef Restart FileDescriptorStoreMax DevicePolicy DeviceAllow "
		     "NoNewPrivileges ProtectSystem ReadWritePaths StateDirectory ProtectHome "
		     "PrivateTmp PrivateNetwork RestrictAddressFamilies ProtectKernelTunables "
		     "ProtectKernelModules ProtectControlGroups LockPersonality "
		     "MemoryDenyWriteExecute RestrictSUIDSGID CapabilityBoundingSet "
		     "ProtectKernelLogs ProtectClock ProtectHostname ProtectProc ProcSubset "
		     "PrivateMounts RestrictNamespaces RestrictRealtime SystemCallArchitectures "
		     "SystemCallFilter SystemCallFilter IPAddressDeny ExecStart ExecReload");
}

TEST(start_failure_says_result_and_journal)
{
	struct mock mk = { .job_result = "failed", .service_result = "exit-code" };
	struct mock_run run = {};
	struct diag diag = {};

	ASSERT_EQ(mock_unit_start(&mk, &run, &diag), -EIO);
	ASSERT_STREQ(diag.msg, "vm1: vfio-kvm-vm1.service failed to start (exit-code); see: "
			       "journalctl -u vfio-kvm-vm1.service");
	ASSERT_CONTAINS(run.report, "call Get /org/freedesktop/systemd1/unit/"
				    "vfio_2dkvm_2dvm1_2eservice org.freedesktop.systemd1.Service "
				    "Result\n");
}

TEST(start_failure_without_service_result_uses_job_result)
{
	struct mock mk = { .job_result = "dependency", .service_result = "success" };
	struct mock_run run = {};
	struct diag diag = {};

	ASSERT_EQ(mock_unit_start(&mk, &run, &diag), -EIO);
	ASSERT_CONTAINS(diag.msg, "failed to start (dependency)");
}

TEST(start_already_running)
{
	struct mock mk = { .start_error = "org.freedesktop.systemd1.UnitExists",
			   .active_state = "active" };
	struct mock_run run = {};
	struct diag diag = {};

	ASSERT_EQ(mock_unit_start(&mk, &run, &diag), -EEXIST);
	ASSERT_STREQ(diag.msg, "vm1: vfio-kvm-vm1.service is already running");
}

TEST(start_resets_a_failed_unit_once)
{
	struct mock mk = { .start_error = "org.freedesktop.systemd1.UnitExists",
			   .reset_clears_error = true,
			   .active_state = "failed",
			   .job_result = "done" };
	struct mock_run run = {};
	struct diag diag = {};

	ASSERT_EQ(mock_unit_start(&mk, &run, &diag), 0);
	ASSERT_CONTAINS(run.report, "call ResetFailedUnit vfio-kvm-vm1.service\n");
}

TEST(start_other_error_is_one_line)
{
	struct mock mk = { .start_error = "org.freedesktop.DBus.Error.AccessDenied" };
	struct mock_run run = {};
	struct diag diag = {};

	ASSERT_EQ(mock_unit_start(&mk, &run, &diag) < 0, 1);
	ASSERT_STREQ(diag.msg, "vm1: cannot start vfio-kvm-vm1.service: "
			       "Unit vfio-kvm-vm1.service exists.");
}

static int mock_stop(struct mock *mk, struct mock_run *run, struct diag *diag)
{
	int r;

	if (mock_start(run, mk) < 0)
		return -999;
	r = unit_stop(run->bus, "vm1", 5000000, diag);
	if (mock_finish(run) != 0)
		return -998;
	return r;
}

TEST(stop_waits_for_job)
{
	struct mock mk = { .job_result = "done" };
	struct mock_run run = {};

	ASSERT_EQ(mock_stop(&mk, &run, NULL), 0);
	ASSERT_CONTAINS(run.report, "call StopUnit vfio-kvm-vm1.service replace\n");
}

TEST(stop_without_unit_is_fine)
{
	struct mock mk = { .stop_error = "org.freedesktop.systemd1.NoSuchUnit" };
	struct mock_run run = {};

	ASSERT_EQ(mock_stop(&mk, &run, NULL), 0);
}

TEST(stop_job_not_done)
{
	struct mock mk = { .job_result = "canceled" };
	struct mock_run run = {};
	struct diag diag = {};

	ASSERT_EQ(mock_stop(&mk, &run, &diag), -EIO);
	ASSERT_CONTAINS(diag.msg, "vm1: stopping vfio-kvm-vm1.service ended with 'canceled'");
}

static int mock_is_active(const char *state)
{
	struct mock mk = { .active_state = state };
	struct mock_run run = {};
	int r;

	if (mock_start(&run, &mk) < 0)
		return -999;
	r = unit_is_active(run.bus, "vm1", NULL);
	if (mock_finish(&run) != 0)
		return -998;
	return r;
}

TEST(is_active)
{
	ASSERT_EQ(mock_is_active(NULL), 0);
	ASSERT_EQ(mock_is_active("active"), 1);
	ASSERT_EQ(mock_is_active("activating"), 1);
	ASSERT_EQ(mock_is_active("deactivating"), 0);
	ASSERT_EQ(mock_is_active("failed"), 0);
}

TEST_MAIN()
