/* SPDX-License-Identifier: MIT */
/*
 * Guest test: the product path, end to end, as a user meets it. `virsh start`
 * runs the installed hook (/etc/libvirt/hooks/qemu.d/vfio-kvm), which starts
 * vfio-kvm-<vm>.service; its helper clones the "physical" keyboard and mouse
 * (uinput devices of this test, /dev/input/by-id/kbd and /dev/input/by-id/mouse),
 * joins the ring and the bus, and QEMU (a tiny TCG domain without disk) opens
 * the clones. Hotkeys typed on the physical keyboard move focus; `vfio-kvm
 * status` and the FocusChanged signals seen by dbus-monitor say where it is.
 * Also checked: the installed files (hook program, udev rule, D-Bus policy,
 * tmpfiles.d) and libvirtd restarts.
 *
 * vm1 takes the clones with <input type='passthrough'> and has a direct hotkey
 * in the original vfio-kvm's <vfiokvm:settings> form; vm2 takes them with
 * <input type='evdev' grab='all'> and has a bare <vfiokvm:hotkey>. Domains
 * that are not ours (a 200-byte name, 2 MiB of metadata, a non-ASCII name)
 * start and stop with the hook installed as if it were not there. A domain
 * takes half a minute to start under nested emulation, so the two run once for
 * all the tests that need them, each of which leaves focus on the host; the
 * last one destroys them, and the program tears down whatever is left at exit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "vmtest.h"

#define BYID "/dev/input/by-id"
#define HOOK_PATH "/etc/libvirt/hooks/qemu.d/vfio-kvm"
#define RUN "/run/vfio-kvm"
#define CONFIG "/etc/vfio-kvm.conf"
/* Starting a domain under nested emulation is slow, but it ends. */
#define VIRSH "timeout 180 virsh -q"

extern char **environ;

/* dbus-monitor watching FocusChanged from vfio.kvm, its stdout on a pipe. */
struct sys_monitor {
	pid_t pid;
	int fd;
	size_t len;
	char buf[16384];
};

struct sys {
	struct vt_dev *kbd, *mouse;
	char dir[64]; /* the domain XML files */
	struct sys_monitor mon;
};

static const unsigned cycle_keys[] = {KEY_LEFTCTRL, KEY_RIGHTCTRL};
static const unsigned vm1_keys[] = {KEY_LEFTCTRL, KEY_LEFTALT, KEY_KP1};
static const unsigned vm2_keys[] = {KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_2};
static const unsigned release_keys[] = {KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_ESC};

/* --- dbus-monitor ------------------------------------------------------------------- */

/* Next whole line of the monitor's output into LINE, waiting until DEADLINE (ms). */
static int monitor_line(struct sys_monitor *m, char *line, size_t n, long long deadline)
{
	for (;;) {
		char *nl = memchr(m->buf, '\n', m->len);
		struct pollfd p = {.fd = m->fd, .events = POLLIN};
		long long left;
		ssize_t got;

		if (nl) {
			size_t len = (size_t)(nl - m->buf);

			snprintf(line, n, "%.*s", (int)len, m->buf);
			m->len -= len + 1;
			memmove(m->buf, nl + 1, m->len);
			return 0;
		}
		if (m->len == sizeof(m->buf))
			m->len = 0; /* a line this long is no line of ours */
		left = deadline - vt_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		got = read(m->fd, m->buf + m->len, sizeof(m->buf) - m->len);
		if (got == 0)
			return -EPIPE;
		if (got < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (got > 0)
			m->len += (size_t)got;
	}
}

/*
 * Starts dbus-monitor and waits until its match is in place: the bus sends a
 * monitor NameLost for its unique name once it became a monitor.
 */
static int monitor_start(struct sys_monitor *m)
{
	char *argv[] = {
	    (char *)"stdbuf",
	    (char *)"-oL",
	    (char *)"dbus-monitor",
	    (char *)"--system",
	    (char *)"type='signal',sender='vfio.kvm',interface='vfio.kvm',member='FocusChanged'",
	    NULL,
	};
	long long deadline = vt_now_ms() + VT_TIMEOUT_MS;
	posix_spawn_file_actions_t fa;
	char line[1024];
	int p[2], r;

	m->pid = 0;
	m->len = 0;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	m->fd = p[0];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	r = posix_spawnp(&m->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		m->pid = 0;
		close(p[0]);
		return -r;
	}
	while ((r = monitor_line(m, line, sizeof(line), deadline)) == 0)
		if (strstr(line, "member=NameLost"))
			return 0;
	printf("# dbus-monitor did not become a monitor (%s)\n", strerror(-r));
	return r;
}

static void monitor_stop(struct sys_monitor *m)
{
	if (m->pid > 0) {
		kill(m->pid, SIGTERM);
		waitpid(m->pid, NULL, 0);
		m->pid = 0;
		close(m->fd);
	}
}

/* Reads the string argument on the next line (`   string "vm1"`) into ARG. */
static int monitor_arg(struct sys_monitor *m, char *arg, size_t n, long long deadline)
{
	char line[1024], *q;
	int r = monitor_line(m, line, sizeof(line), deadline);

	if (r < 0)
		return r;
	q = strstr(line, "string \"");
	if (!q || !strchr(q + 8, '"'))
		return -EBADMSG;
	q += 8;
	snprintf(arg, n, "%.*s", (int)(strchr(q, '"') - q), q);
	return 0;
}

/* Next FocusChanged within TIMEOUT_MS: its arguments, or -ETIMEDOUT. */
static int monitor_next(struct sys_monitor *m, char *target, char *previous, size_t n,
                        int timeout_ms)
{
	long long deadline = vt_now_ms() + timeout_ms;
	char line[1024];
	int r;

	while ((r = monitor_line(m, line, sizeof(line), deadline)) == 0) {
		if (!strstr(line, "member=FocusChanged"))
			continue;
		r = monitor_arg(m, target, n, deadline);
		if (r >= 0)
			r = monitor_arg(m, previous, n, deadline);
		return r;
	}
	return r;
}

/* Exactly one FocusChanged(TARGET, PREVIOUS) next, nothing else before it. */
static int monitor_expect(struct sys_monitor *m, const char *target, const char *previous)
{
	char t[64], p[64];
	int r = monitor_next(m, t, p, sizeof(t), VT_TIMEOUT_MS);

	if (r < 0) {
		printf("# no FocusChanged(%s, %s) seen: %s\n", target, previous, strerror(-r));
		return r;
	}
	if (strcmp(t, target) != 0 || strcmp(p, previous) != 0) {
		printf("# FocusChanged(%s, %s) seen, expected (%s, %s)\n", t, p, target, previous);
		return -EBADMSG;
	}
	return 0;
}

/* No further FocusChanged within VT_QUIET_MS: a bound, not a wait. */
static int monitor_quiet(struct sys_monitor *m)
{
	char t[64], p[64];
	int r = monitor_next(m, t, p, sizeof(t), VT_QUIET_MS);

	if (r == 0) {
		printf("# an extra FocusChanged(%s, %s) was seen\n", t, p);
		return -EEXIST;
	}
	return r == -ETIMEDOUT ? 0 : r;
}

/* --- domains, units, devices ------------------------------------------------------- */

/* Domains that are not ours, addressed by UUID: their names are awkward in a shell. */
#define NOT_OURS_UUID_LONG "6b1c2f2e-0d3a-4c51-9e7a-1f0000000a01"
#define NOT_OURS_UUID_UTF8 "6b1c2f2e-0d3a-4c51-9e7a-1f0000000a02"

static const char vm1_inputs[] =
    "    <input type='passthrough' bus='virtio'><source evdev='" BYID "/vm1-kbd'/></input>\n"
    "    <input type='passthrough' bus='virtio'><source evdev='" BYID "/vm1-mouse'/></input>\n";
/* The original vfio-kvm's documented form, verbatim. */
static const char vm1_metadata[] =
    "<metadata>\n"
    "  <vfiokvm:settings xmlns:vfiokvm=\"https://kvm.vfio/xmlns/libvirt/domain/1.0\">\n"
    "    <vfiokvm:hotkey>\n"
    "      <vfiokvm:key value=\"KEY_LEFTCTRL\"/>\n"
    "      <vfiokvm:key value=\"KEY_LEFTALT\"/>\n"
    "      <vfiokvm:key value=\"KEY_KP1\"/>\n"
    "    </vfiokvm:hotkey>\n"
    "  </vfiokvm:settings>\n"
    "</metadata>\n";
static const char vm2_inputs[] =
    "    <input type='evdev'><source dev='" BYID "/vm2-kbd' grab='all' repeat='on'/></input>\n"
    "    <input type='evdev'><source dev='" BYID "/vm2-mouse'/></input>\n";
static const char vm2_metadata[] =
    "  <metadata>\n"
    "    <vfiokvm:hotkey xmlns:vfiokvm='https://kvm.vfio/xmlns/libvirt/domain/1.0'>\n"
    "      <vfiokvm:key value='KEY_LEFTCTRL'/><vfiokvm:key value='KEY_RIGHTCTRL'/>"
    "<vfiokvm:key value='KEY_2'/>\n"
    "    </vfiokvm:hotkey>\n"
    "  </metadata>\n";
/* One physical device of vm3 exists, the other does not. */
static const char vm3_inputs[] =
    "    <input type='passthrough' bus='virtio'><source evdev='" BYID "/vm3-kbd'/></input>\n"
    "    <input type='passthrough' bus='virtio'><source evdev='" BYID "/vm3-nokbd'/></input>\n";

static int sys_define(struct sys *s, const char *vm, const char *inputs, const char *metadata)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s.xml", s->dir, vm);
	return vt_domain_define(path, vm, metadata, inputs);
}

/* Tears down everything the program made; at exit, and after a failed setup. */
static void sys_teardown(struct sys *s)
{
	monitor_stop(&s->mon);
	/* A destroy runs the release hook, which stops the unit. */
	vt_sh(NULL, 0,
	      VIRSH " list --all --name | while read -r vm; do case $vm in vm[1-3])"
	            " " VIRSH " destroy $vm; " VIRSH " undefine $vm;; esac; done;"
	            " timeout 60 systemctl stop vfio-kvm-vm1.service vfio-kvm-vm2.service"
	            " vfio-kvm-vm3.service vfio-kvm-vm4.service;"
	            " systemctl reset-failed vfio-kvm-vm1.service vfio-kvm-vm2.service"
	            " vfio-kvm-vm3.service vfio-kvm-vm4.service; rm -f " CONFIG ";"
	            " for u in " NOT_OURS_UUID_LONG " " NOT_OURS_UUID_UTF8 "; do"
	            " " VIRSH " destroy $u; " VIRSH " undefine $u; done");
	s->kbd = vt_dev_free(s->kbd);
	s->mouse = vt_dev_free(s->mouse);
	if (s->dir[0])
		vt_sh(NULL, 0, "rm -rf '%s'", s->dir);
	s->dir[0] = '\0';
}

/*
 * The physical devices and a directory for XML files, shared by every test:
 * made once, on first use. Returns 0 or a negative errno.
 */
static struct sys shared;

static int shared_devices(void)
{
	int r;

	if (shared.dir[0])
		return shared.kbd && shared.mouse ? 0 : -ENODEV;
	snprintf(shared.dir, sizeof(shared.dir), "/tmp/vktest-sys.XXXXXX");
	if (!mkdtemp(shared.dir)) {
		shared.dir[0] = '\0';
		return -errno;
	}
	r = vt_dev_new_keyboard("kbd", &shared.kbd);
	if (r >= 0)
		r = vt_dev_new_mouse("mouse", &shared.mouse);
	return r;
}

/* `virsh start VM`; on failure its output and the unit's journal as comments. */
static int sys_start(const char *vm)
{
	char out[4096];
	long long t0 = vt_now_ms();
	int r = vt_sh(out, sizeof(out), VIRSH " start %s", vm);

	if (r != 0) {
		vt_comment("virsh start", out);
		vt_sh(out, sizeof(out),
		      "journalctl -b -q --no-pager -o cat -n 20 -u vfio-kvm-%s.service", vm);
		vt_comment("unit journal", out);
		return -EIO;
	}
	printf("# virsh start %s: %lld ms\n", vm, vt_now_ms() - t0);
	return 0;
}

/*
 * vm1 and vm2 defined and started, once for all the tests that use them: a
 * domain takes half a minute to start under nested emulation. Each such test
 * leaves focus on the host; a failed start is not retried.
 */
static int shared_vms(void)
{
	static int state; /* 0: not tried, 1: up, < 0: failed */
	int r;

	if (state == 0) {
		r = shared_devices();
		if (r >= 0)
			r = sys_define(&shared, "vm1", vm1_inputs, vm1_metadata);
		if (r >= 0)
			r = sys_define(&shared, "vm2", vm2_inputs, vm2_metadata);
		if (r >= 0)
			r = sys_start("vm1");
		if (r >= 0)
			r = sys_start("vm2");
		state = r < 0 ? r : 1;
	}
	return state < 0 ? state : 0;
}

static int sys_wait_focus(struct sys *s, const char *target, const char *const *vms, size_t n)
{
	struct vt_dev *devs[] = {s->kbd, s->mouse};

	return vt_wait_focus(target, vms, n, devs, 2);
}

/* The node behind a by-id link, or "" when it does not resolve. */
static const char *node_of(const char *link, char *buf)
{
	if (!realpath(link, buf))
		buf[0] = '\0';
	return buf;
}

static bool is_char_device(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

/* True when process PID has the node behind LINK open. */
static bool holds_open(long pid, const char *link)
{
	char node[PATH_MAX], fd_dir[64], fd_path[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (!realpath(link, node))
		return false;
	snprintf(fd_dir, sizeof(fd_dir), "/proc/%ld/fd", pid);
	d = opendir(fd_dir);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		ssize_t n;

		snprintf(fd_path, sizeof(fd_path), "%s/%s", fd_dir, de->d_name);
		n = readlink(fd_path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found = strcmp(target, node) == 0;
		}
	}
	closedir(d);
	if (!found)
		printf("# process %ld does not hold %s open\n", pid, node);
	return found;
}

/* A number from a file or command output; -1 when there is none. */
static long read_long_file(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static long unit_main_pid(const char *vm)
{
	char out[64];

	if (vt_sh(out, sizeof(out), "systemctl show -p MainPID --value vfio-kvm-%s.service", vm) !=
	    0)
		return -1;
	return strtol(out, NULL, 10);
}

static const char *const both[] = {"vm1", "vm2"};

/*
 * The shared VMs up, focus on the host (whatever an earlier failure left),
 * and a fresh dbus-monitor: what it sees from now on is this test's.
 */
static int shared_begin(void)
{
	int r = shared_vms();

	if (r < 0) {
		printf("# vm1 and vm2 did not start\n");
		return r;
	}
	monitor_stop(&shared.mon);
	if (vt_sh(NULL, 0, "timeout 20 vfio-kvm release") != 0)
		return -EIO;
	r = sys_wait_focus(&shared, "host", both, 2);
	if (r >= 0)
		r = monitor_start(&shared.mon);
	return r;
}

/* No key held on any clone of VMS. */
static int clones_keys_up(struct sys *s, const char *const *vms, size_t n)
{
	struct vt_dev *devs[] = {s->kbd, s->mouse};

	for (size_t v = 0; v < n; v++)
		for (size_t d = 0; d < ARRAY_SIZE(devs); d++) {
			char link[128];
			_cleanup_(closep) int fd = -1;
			int held;

			snprintf(link, sizeof(link), BYID "/%s-%s", vms[v], devs[d]->name);
			fd = open(link, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (fd < 0)
				return -errno;
			held = vt_keys_down(fd);
			if (held != 0) {
				printf("# %s: %d keys down\n", link, held);
				return held < 0 ? held : -EBUSY;
			}
		}
	return 0;
}

/* The physical devices grabbed (by some helper) iff a VM has focus. */
static int physical_grabbed(struct sys *s, bool want)
{
	if (vt_is_grabbed(s->kbd->node) != want || vt_is_grabbed(s->mouse->node) != want) {
		printf("# the physical devices are %s\n", want ? "not grabbed" : "still grabbed");
		return -EBUSY;
	}
	return 0;
}

/* --- tests --------------------------------------------------------------------------- */

/* First, before any VM of this program ran. */
TEST(installed_files_are_where_the_system_looks)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	char out[2048];
	struct stat st;

	/*
	 * The hook: the program itself where libvirt looks, not a link out of
	 * /etc/libvirt/hooks (AppArmor would refuse to run it, and every VM).
	 */
	ASSERT_EQ(vt_sh(out, sizeof(out), "ls -l " HOOK_PATH), 0);
	printf("# %s", out);
	ASSERT_EQ(lstat(HOOK_PATH, &st), 0);
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_EQ(access(HOOK_PATH, X_OK), 0);
	ASSERT_TRUE(access("/usr/libexec/vfio-kvm-hook", F_OK) < 0);

	/* tmpfiles.d made the run directory at boot; and does so again from its file. */
	ASSERT_EQ(stat(RUN, &st), 0);
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0755);
	ASSERT_EQ(st.st_uid, 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "ls -A " RUN "/ring"), 0);
	ASSERT_STREQ(out, "");
	ASSERT_EQ(vt_sh(out, sizeof(out),
	                "rm -rf " RUN " && timeout 30 systemd-tmpfiles --create vfio-kvm.conf"),
	          0);
	ASSERT_EQ(stat(RUN, &st), 0);
	ASSERT_EQ(st.st_mode & 07777, 0755);
	ASSERT_EQ(stat(RUN "/ring", &st), 0);
	ASSERT_TRUE(S_ISDIR(st.st_mode));

	/* The D-Bus policy: root may own vfio.kvm (the system bus denies it by default). */
	ASSERT_EQ(sd_bus_open_system(&bus), 0);
	ASSERT_TRUE(sd_bus_request_name(bus, "vfio.kvm", 0) >= 0);
	ASSERT_TRUE(sd_bus_release_name(bus, "vfio.kvm") >= 0);
}

TEST(missing_source_refuses_start_and_leaves_nothing)
{
	char out[4096];
	struct stat st;

	ASSERT_EQ(shared_devices(), 0);
	ASSERT_EQ(sys_define(&shared, "vm3", vm3_inputs, NULL), 0);
	/* What the install docs say after installing the hook; libvirtd rereads it. */
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 60 systemctl reload libvirtd.service"), 0);
	ASSERT_EQ(vt_wait_sh(60000, VIRSH " version"), 0);
	ASSERT_NE(vt_sh(out, sizeof(out), VIRSH " start vm3"), 0);
	vt_comment("virsh start vm3", out);
	ASSERT_CONTAINS(out, "vfio-kvm: vm3: " BYID "/nokbd does not exist");

	ASSERT_EQ(
	    vt_sh(out, sizeof(out), "systemctl show -p LoadState --value vfio-kvm-vm3.service"), 0);
	ASSERT_STREQ(out, "not-found\n");
	ASSERT_TRUE(lstat(BYID "/vm3-kbd", &st) < 0 && errno == ENOENT);
	ASSERT_TRUE(lstat(RUN "/ring/vm3", &st) < 0 && errno == ENOENT);
	ASSERT_TRUE(lstat(RUN "/status/vm3", &st) < 0 && errno == ENOENT);
	ASSERT_EQ(vt_sh(out, sizeof(out), VIRSH " domstate vm3"), 0);
	ASSERT_CONTAINS(out, "shut off");
	ASSERT_EQ(vt_sh(out, sizeof(out), VIRSH " undefine vm3"), 0);
}

/*
 * libvirt runs the hook for every VM: domains that name no path of ours start
 * and stop as if vfio-kvm were not installed, whatever their XML holds.
 */
TEST(domains_that_are_not_ours_start_untouched)
{
	static const char meta_open[] = "<uuid>" NOT_OURS_UUID_LONG "</uuid>\n  <metadata>\n"
					"    <blob:data xmlns:blob='urn:example:blob'>";
	static const char meta_close[] = "</blob:data>\n  </metadata>\n";
	static const char utf8_name[] = "Développement виртуалка 開発";
	static const char utf8_extra[] =
	    "<uuid>" NOT_OURS_UUID_UTF8 "</uuid>\n"
	    "  <qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
	    "    <qemu:arg value='-fw_cfg'/><qemu:arg value='name=opt/vfio-kvm.test,string=1'/>\n"
	    "  </qemu:commandline>\n";
	const size_t blob = 2 * 1024 * 1024;
	char path[128], long_name[201], out[4096], since[64];
	_cleanup_(freep) char *metadata = malloc(sizeof(meta_open) + blob + sizeof(meta_close));
	long long t0;
	size_t n;
	struct stat st;

	ASSERT_EQ(shared_devices(), 0);
	ASSERT_TRUE(metadata != NULL);
	/* 200 bytes: letters, digits, spaces, dashes. */
	n = (size_t)snprintf(long_name, sizeof(long_name), "not ours - a name of 200 bytes ");
	for (; n < 200; n++)
		long_name[n] = "abcdefghij0123456789 -"[n % 22];
	long_name[200] = '\0';
	memcpy(metadata, meta_open, strlen(meta_open));
	n = strlen(meta_open);
	for (size_t i = 0; i < blob; i++)
		metadata[n++] = i % 77 == 76 ? '\n' : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"[i % 32];
	memcpy(metadata + n, meta_close, sizeof(meta_close));

	snprintf(path, sizeof(path), "%s/not-ours-long.xml", shared.dir);
	ASSERT_EQ(vt_domain_define(path, long_name, metadata, ""), 0);
	snprintf(path, sizeof(path), "%s/not-ours-utf8.xml", shared.dir);
	ASSERT_EQ(vt_domain_define(path, utf8_name, utf8_extra, ""), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), VIRSH " dumpxml " NOT_OURS_UUID_LONG " | wc -c"), 0);
	printf("# the long-named domain's XML: %s", out);
	ASSERT_TRUE(strtol(out, NULL, 10) > (long)blob);

	/* Both at once: the hook runs for each. */
	ASSERT_EQ(vt_sh(since, sizeof(since), "date '+%%Y-%%m-%%d %%H:%%M:%%S'"), 0);
	since[strcspn(since, "\n")] = '\0';
	t0 = vt_now_ms();
	if (vt_sh(out, sizeof(out),
	          "(" VIRSH " start " NOT_OURS_UUID_LONG " 2>&1) & a=$!; "
	          VIRSH " start " NOT_OURS_UUID_UTF8 " 2>&1; b=$?; wait $a && [ $b = 0 ]") != 0) {
		vt_comment("virsh start", out);
		TEST_FAIL("a domain that is not ours did not start");
	}
	printf("# virsh start of both: %lld ms\n", vt_now_ms() - t0);
	ASSERT_EQ(vt_sh(out, sizeof(out), VIRSH " domstate " NOT_OURS_UUID_LONG), 0);
	ASSERT_CONTAINS(out, "running");
	ASSERT_EQ(vt_sh(out, sizeof(out), VIRSH " domstate " NOT_OURS_UUID_UTF8), 0);
	ASSERT_CONTAINS(out, "running");
	ASSERT_EQ(vt_sh(out, sizeof(out), VIRSH " domname " NOT_OURS_UUID_UTF8), 0);
	ASSERT_CONTAINS(out, utf8_name);

	/* Nothing of ours appeared: no unit (but the guest's test runner), no ring entry, no
	 * clone. */
	ASSERT_EQ(vt_sh(out, sizeof(out),
	                "systemctl list-units --all --plain --no-legend --full 'vfio-kvm-*' "
	                "| grep -o 'vfio-kvm-[^ ]*' "
	                "| grep -v -x -E 'vfio-kvm-(vm[123]|guest-tests)\\.service'; "
	                "ls -A " RUN "/ring | grep -v -x -E 'vm[123]'; "
	                "ls " BYID " | grep -e '^not ours' -e '^D'; true"),
	          0);
	if (out[0]) {
		vt_comment("units, ring entries and links that appeared", out);
		TEST_FAIL("a domain that is not ours got something of ours");
	}
	ASSERT_TRUE(lstat(BYID "/kbd", &st) == 0);

	ASSERT_EQ(vt_sh(out, sizeof(out),
	                VIRSH " destroy " NOT_OURS_UUID_LONG " && " VIRSH " undefine "
	                NOT_OURS_UUID_LONG " && " VIRSH " destroy " NOT_OURS_UUID_UTF8 " && "
	                VIRSH " undefine " NOT_OURS_UUID_UTF8),
	          0);
	/* libvirtd says so when a hook fails, at start or at release. */
	if (vt_sh(out, sizeof(out),
	          "journalctl -q --no-pager -o cat --since '%s' -u libvirtd.service "
	          "| grep -i -e hook -e vfio-kvm",
	          since) != 1) {
		vt_comment("libvirtd's journal", out);
		TEST_FAIL("libvirtd logged about the hook");
	}
}

TEST(hook_starts_units_and_qemu_holds_clones)
{
	char out[4096], node[PATH_MAX], link[128];
	const char *pid_line;
	long pid1, pid2, owner;

	ASSERT_EQ(shared_vms(), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out),
	                "systemctl is-active vfio-kvm-vm1.service vfio-kvm-vm2.service"),
	          0);
	for (size_t v = 0; v < ARRAY_SIZE(both); v++) {
		struct vt_dev *devs[] = {shared.kbd, shared.mouse};

		for (size_t d = 0; d < ARRAY_SIZE(devs); d++) {
			snprintf(link, sizeof(link), BYID "/%s-%s", both[v], devs[d]->name);
			if (!is_char_device(link))
				TEST_FAIL("%s is no clone", link);
		}
	}

	/* QEMU holds the clones: passthrough grabs both, evdev grab='all' the keyboard. */
	pid1 = read_long_file("/run/libvirt/qemu/vm1.pid");
	pid2 = read_long_file("/run/libvirt/qemu/vm2.pid");
	ASSERT_TRUE(pid1 > 1 && pid2 > 1);
	ASSERT_TRUE(holds_open(pid1, BYID "/vm1-kbd"));
	ASSERT_TRUE(holds_open(pid1, BYID "/vm1-mouse"));
	ASSERT_TRUE(holds_open(pid2, BYID "/vm2-kbd"));
	ASSERT_TRUE(holds_open(pid2, BYID "/vm2-mouse"));
	ASSERT_EQ(vt_is_grabbed(node_of(BYID "/vm1-kbd", node)), 1);
	ASSERT_EQ(vt_is_grabbed(node_of(BYID "/vm1-mouse", node)), 1);
	ASSERT_EQ(vt_is_grabbed(node_of(BYID "/vm2-kbd", node)), 1);

	/* Nobody has focus yet: the host keeps its keyboard. */
	ASSERT_EQ(sys_wait_focus(&shared, "host", both, 2), 0);
	ASSERT_EQ(physical_grabbed(&shared, false), 0);

	/* The udev rule marked the clones and made their links. */
	ASSERT_EQ(vt_sh(NULL, 0, "udevadm settle --timeout=30"), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "udevadm info --query=property --name=%s",
	                node_of(BYID "/vm1-kbd", node)),
	          0);
	ASSERT_CONTAINS(out, "ID_VFIO_KVM_CLONE=1\n");
	ASSERT_CONTAINS(out, "LIBINPUT_IGNORE_DEVICE=1\n");
	ASSERT_CONTAINS(out, BYID "/vm1-kbd");
	ASSERT_EQ(vt_sh(out, sizeof(out), "udevadm info --query=property --name=%s",
	                node_of(BYID "/vm2-mouse", node)),
	          0);
	ASSERT_CONTAINS(out, "ID_VFIO_KVM_CLONE=1\n");
	ASSERT_CONTAINS(out, BYID "/vm2-mouse");
	/* Not a clone: the physical device is left alone. */
	ASSERT_EQ(
	    vt_sh(out, sizeof(out), "udevadm info --query=property --name=%s", shared.kbd->node),
	    0);
	if (strstr(out, "ID_VFIO_KVM_CLONE"))
		TEST_FAIL("the physical keyboard is marked as a clone");

	/* The D-Bus policy let a helper own vfio.kvm. */
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 20 busctl --system status vfio.kvm"), 0);
	pid_line = strncmp(out, "PID=", 4) == 0 ? out : strstr(out, "\nPID=");
	owner = pid_line ? strtol(pid_line + (*pid_line == '\n') + 4, NULL, 10) : -1;
	if (owner != unit_main_pid("vm1") && owner != unit_main_pid("vm2")) {
		vt_comment("busctl status vfio.kvm", out);
		TEST_FAIL("vfio.kvm is owned by pid %ld, not by a helper", owner);
	}
	ASSERT_EQ(
	    vt_sh(out, sizeof(out),
	          "timeout 20 busctl --system get-property vfio.kvm /vfio/kvm vfio.kvm Target"),
	    0);
	ASSERT_STREQ(out, "s \"host\"\n");
}

TEST(cycle_hotkey_moves_focus_around_the_ring)
{
	static const char *const order[] = {"host", "vm1", "vm2", "host"};
	char out[4096], want[64];

	ASSERT_EQ(shared_begin(), 0);
	for (size_t i = 1; i < ARRAY_SIZE(order); i++) {
		ASSERT_EQ(vt_dev_combo(shared.kbd, cycle_keys, ARRAY_SIZE(cycle_keys)), 0);
		if (sys_wait_focus(&shared, order[i], both, 2) < 0)
			TEST_FAIL("step %zu: focus did not move to %s", i, order[i]);
		ASSERT_EQ(physical_grabbed(&shared, strcmp(order[i], "host") != 0), 0);
		ASSERT_EQ(monitor_expect(&shared.mon, order[i], order[i - 1]), 0);
		ASSERT_EQ(clones_keys_up(&shared, both, 2), 0);
		/* What a user reads. */
		ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 20 vfio-kvm status"), 0);
		if (i == 1)
			vt_comment("vfio-kvm status", out);
		snprintf(want, sizeof(want), "focus: %s (", order[i]);
		ASSERT_CONTAINS(out, want);
		snprintf(want, sizeof(want), "\n* %s", order[i]);
		ASSERT_CONTAINS(out, want);
	}
	ASSERT_EQ(monitor_quiet(&shared.mon), 0);
}

/*
 * vm's direct hotkey (shown so in `vfio-kvm status`) moves focus to it from the
 * host, the release hotkey brings it back; every switch announced once, no key
 * left down on a clone.
 */
static void direct_then_release(const char *vm, const char *shown, const unsigned *keys,
				size_t n_keys)
{
	char out[4096];

	ASSERT_EQ(shared_begin(), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 20 vfio-kvm status"), 0);
	ASSERT_CONTAINS(out, shown);

	ASSERT_EQ(vt_dev_combo(shared.kbd, keys, n_keys), 0);
	ASSERT_EQ(sys_wait_focus(&shared, vm, both, 2), 0);
	ASSERT_EQ(physical_grabbed(&shared, true), 0);
	ASSERT_EQ(monitor_expect(&shared.mon, vm, "host"), 0);
	ASSERT_EQ(clones_keys_up(&shared, both, 2), 0);

	ASSERT_EQ(vt_dev_combo(shared.kbd, release_keys, ARRAY_SIZE(release_keys)), 0);
	ASSERT_EQ(sys_wait_focus(&shared, "host", both, 2), 0);
	ASSERT_EQ(physical_grabbed(&shared, false), 0);
	ASSERT_EQ(monitor_expect(&shared.mon, "host", vm), 0);
	ASSERT_EQ(clones_keys_up(&shared, both, 2), 0);
	ASSERT_EQ(monitor_quiet(&shared.mon), 0);
}

TEST(direct_hotkey_from_metadata_and_release_hotkey)
{
	direct_then_release("vm2", "hotkey KEY_LEFTCTRL+KEY_RIGHTCTRL+KEY_2", vm2_keys,
			    ARRAY_SIZE(vm2_keys));
}

/* The original vfio-kvm's <vfiokvm:settings> form, as its users write it. */
TEST(direct_hotkey_from_the_original_settings_form)
{
	direct_then_release("vm1", "hotkey KEY_LEFTCTRL+KEY_LEFTALT+KEY_KP1", vm1_keys,
			    ARRAY_SIZE(vm1_keys));
}

TEST(libvirtd_restart_keeps_the_units)
{
	char out[4096], since[64];
	long pid1, pid2;

	ASSERT_EQ(shared_begin(), 0);
	pid1 = unit_main_pid("vm1");
	pid2 = unit_main_pid("vm2");
	ASSERT_TRUE(pid1 > 1 && pid2 > 1);

	ASSERT_EQ(vt_sh(since, sizeof(since), "date '+%%Y-%%m-%%d %%H:%%M:%%S'"), 0);
	since[strcspn(since, "\n")] = '\0';
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 120 systemctl restart libvirtd.service"), 0);
	/*
	 * The reconnect hook runs inside libvirt's reconnect job on each domain;
	 * a monitor command needs a job too, so it returns after the hook did.
	 */
	for (size_t v = 0; v < ARRAY_SIZE(both); v++) {
		if (vt_wait_sh(60000, VIRSH " qemu-monitor-command %s --hmp 'info status'",
		               both[v]) < 0)
			TEST_FAIL("%s: libvirtd did not reconnect", both[v]);
		ASSERT_EQ(vt_sh(out, sizeof(out), VIRSH " domstate %s", both[v]), 0);
		ASSERT_CONTAINS(out, "running");
	}
	ASSERT_EQ(unit_main_pid("vm1"), pid1);
	ASSERT_EQ(unit_main_pid("vm2"), pid2);
	/* libvirtd says so when a hook fails. */
	if (vt_sh(out, sizeof(out),
	          "journalctl -q --no-pager -o cat --since '%s' -u libvirtd.service "
	          "| grep -i -e hook -e vfio-kvm",
	          since) != 1) {
		vt_comment("libvirtd's journal since the restart", out);
		TEST_FAIL("libvirtd logged about the hook");
	}
	ASSERT_EQ(sys_wait_focus(&shared, "host", both, 2), 0);
	/* Stopping the VMs afterwards: destroying_the_focused_vm_moves_focus_on. */
}

/* --- reload, focus_on_start, on_stop ------------------------------------------------ */

/* Keys the test keyboard has (vmtest.c): a new cycle hotkey of two of them. */
static const unsigned new_cycle_keys[] = {KEY_LEFTCTRL, KEY_Q};

/* Writes TEXT as the config ("" removes it: the defaults). Returns 0 or -EIO. */
static int config_write(const char *text)
{
	FILE *f;

	if (!text[0])
		return unlink(CONFIG) == 0 || errno == ENOENT ? 0 : -errno;
	f = fopen(CONFIG, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* Back to the defaults in the file and in the running helpers. */
static void config_reset(void)
{
	(void)config_write("");
	(void)vt_sh(NULL, 0, "timeout 60 vfio-kvm reload");
}

/*
 * The cycle hotkey changed in the config while two VMs run: after `vfio-kvm
 * reload` the new one cycles and the old one does not. A config with a typo
 * is refused with its file:line, by `vfio-kvm reload` and by `systemctl
 * reload`, and the helpers keep the hotkey they have.
 */
TEST(reload_changes_the_cycle_hotkey)
{
	char out[4096];

	ASSERT_EQ(shared_begin(), 0);
	ASSERT_EQ(config_write("[hotkeys]\ncycle = KEY_LEFTCTRL+KEY_Q\n"), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 60 vfio-kvm reload"), 0);
	ASSERT_CONTAINS(out, "vm1: reloaded\n");
	ASSERT_CONTAINS(out, "vm2: reloaded\n");

	/* The old combo first: had it cycled, the new one would take focus on to vm2. */
	ASSERT_EQ(vt_dev_combo(shared.kbd, cycle_keys, ARRAY_SIZE(cycle_keys)), 0);
	ASSERT_EQ(vt_dev_combo(shared.kbd, new_cycle_keys, ARRAY_SIZE(new_cycle_keys)), 0);
	ASSERT_EQ(sys_wait_focus(&shared, "vm1", both, 2), 0);
	ASSERT_EQ(monitor_expect(&shared.mon, "vm1", "host"), 0);
	ASSERT_EQ(monitor_quiet(&shared.mon), 0);
	ASSERT_EQ(clones_keys_up(&shared, both, 2), 0);

	/* A typo: refused, nothing asked of the helpers, the new hotkey stays. */
	ASSERT_EQ(config_write("[hotkeys]\ncycel = KEY_LEFTCTRL+KEY_F11\n"), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 60 vfio-kvm reload"), 1);
	ASSERT_CONTAINS(out, "vfio-kvm: " CONFIG ":2: unknown key 'cycel' in [hotkeys]\n");
	/* systemctl reload: the unit's reload fails, its journal names the line. */
	ASSERT_NE(vt_sh(out, sizeof(out), "timeout 60 systemctl reload vfio-kvm-vm1.service"), 0);
	/* journald reads the helper's stderr on its own time. */
	if (vt_wait_sh(VT_TIMEOUT_MS, "journalctl -q --no-pager -o cat -u vfio-kvm-vm1.service | "
	                              "grep -qF \"vm1: reload refused: " CONFIG ":2: unknown key "
	                              "'cycel' in [hotkeys]\"") < 0) {
		vt_sh(out, sizeof(out), "journalctl -q --no-pager -o cat -n 20 -u vfio-kvm-vm1.service");
		vt_comment("vm1's journal", out);
		TEST_FAIL("the helper did not log the refused config");
	}
	ASSERT_EQ(vt_sh(out, sizeof(out), "systemctl is-active vfio-kvm-vm1.service"), 0);
	/* The good file back, not reloaded: `vfio-kvm status` reads it too. */
	ASSERT_EQ(config_write("[hotkeys]\ncycle = KEY_LEFTCTRL+KEY_Q\n"), 0);
	ASSERT_EQ(vt_dev_combo(shared.kbd, new_cycle_keys, ARRAY_SIZE(new_cycle_keys)), 0);
	ASSERT_EQ(sys_wait_focus(&shared, "vm2", both, 2), 0);
	ASSERT_EQ(monitor_expect(&shared.mon, "vm2", "vm1"), 0);

	/* systemctl reload with a good config: the default cycle hotkey is back. */
	ASSERT_EQ(config_write(""), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 60 systemctl reload vfio-kvm-vm1.service "
	                                  "vfio-kvm-vm2.service"),
	          0);
	ASSERT_EQ(vt_dev_combo(shared.kbd, new_cycle_keys, ARRAY_SIZE(new_cycle_keys)), 0);
	ASSERT_EQ(vt_dev_combo(shared.kbd, cycle_keys, ARRAY_SIZE(cycle_keys)), 0);
	ASSERT_EQ(sys_wait_focus(&shared, "host", both, 2), 0);
	ASSERT_EQ(monitor_expect(&shared.mon, "host", "vm2"), 0);
	ASSERT_EQ(monitor_quiet(&shared.mon), 0);
	ASSERT_EQ(clones_keys_up(&shared, both, 2), 0);
}

/* vm4 takes the focus when it starts and gives it to the host when it stops. */
static const char vm4_inputs[] =
    "    <input type='passthrough' bus='virtio'><source evdev='" BYID "/vm4-kbd'/></input>\n"
    "    <input type='passthrough' bus='virtio'><source evdev='" BYID "/vm4-mouse'/></input>\n";
static const char vm4_metadata[] =
    "<metadata>\n"
    "  <vfiokvm:settings xmlns:vfiokvm='https://kvm.vfio/xmlns/libvirt/domain/1.0'>\n"
    "    <vfiokvm:focus-on-start value='yes'/>\n"
    "    <vfiokvm:on-stop value='host'/>\n"
    "  </vfiokvm:settings>\n"
    "</metadata>\n";

/*
 * Without the host in the cycle (include_host = no, reloaded into the running
 * helpers), "next" after vm4 would be vm1: on_stop = host sends focus to the
 * host all the same.
 */
TEST(focus_on_start_and_on_stop_host_through_virsh)
{
	static const char *const three[] = {"vm1", "vm2", "vm4"};
	char out[4096];

	ASSERT_EQ(shared_begin(), 0);
	ASSERT_EQ(config_write("[ring]\ninclude_host = no\n"), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 60 vfio-kvm reload"), 0);
	ASSERT_EQ(sys_define(&shared, "vm4", vm4_inputs, vm4_metadata), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "vfio-kvm check --xml %s/vm4.xml", shared.dir), 0);
	vt_comment("vfio-kvm check", out);
	ASSERT_CONTAINS(out, "  focus_on_start: yes (domain XML)\n");
	ASSERT_CONTAINS(out, "  on_stop: host (domain XML)\n");

	ASSERT_EQ(sys_start("vm4"), 0);
	ASSERT_EQ(sys_wait_focus(&shared, "vm4", three, 3), 0);
	ASSERT_EQ(monitor_expect(&shared.mon, "vm4", "host"), 0);

	ASSERT_EQ(vt_sh(out, sizeof(out), VIRSH " destroy vm4"), 0);
	ASSERT_EQ(vt_wait_sh(VT_TIMEOUT_MS, "! systemctl is-active -q vfio-kvm-vm4.service"), 0);
	ASSERT_EQ(sys_wait_focus(&shared, "host", both, 2), 0);
	ASSERT_EQ(physical_grabbed(&shared, false), 0);
	ASSERT_EQ(monitor_expect(&shared.mon, "host", "vm4"), 0);
	ASSERT_EQ(monitor_quiet(&shared.mon), 0);
	(void)vt_sh(NULL, 0, VIRSH " undefine vm4");
	config_reset();
}

/* Last of the tests on the shared VMs: it destroys them. */
TEST(destroying_the_focused_vm_moves_focus_on)
{
	char out[4096];

	ASSERT_EQ(shared_begin(), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 20 vfio-kvm focus vm1"), 0);
	ASSERT_EQ(sys_wait_focus(&shared, "vm1", both, 2), 0);
	ASSERT_EQ(monitor_expect(&shared.mon, "vm1", "host"), 0);

	/* vm1 goes: its unit and clones with it, focus to the next in the ring. */
	ASSERT_EQ(vt_sh(out, sizeof(out), VIRSH " destroy vm1"), 0);
	ASSERT_EQ(vt_wait_sh(VT_TIMEOUT_MS, "! systemctl is-active -q vfio-kvm-vm1.service"), 0);
	ASSERT_EQ(vt_wait_gone(BYID "/vm1-kbd"), 0);
	ASSERT_EQ(vt_wait_gone(BYID "/vm1-mouse"), 0);
	ASSERT_EQ(sys_wait_focus(&shared, "vm2", both + 1, 1), 0);
	ASSERT_EQ(physical_grabbed(&shared, true), 0);
	ASSERT_EQ(monitor_expect(&shared.mon, "vm2", "vm1"), 0);
	ASSERT_EQ(clones_keys_up(&shared, both + 1, 1), 0);

	/* The last VM goes: focus returns to the host, which gets its keyboard back. */
	ASSERT_EQ(vt_sh(out, sizeof(out), VIRSH " destroy vm2"), 0);
	ASSERT_EQ(vt_wait_sh(VT_TIMEOUT_MS, "! systemctl is-active -q vfio-kvm-vm2.service"), 0);
	ASSERT_EQ(vt_wait_gone(BYID "/vm2-kbd"), 0);
	ASSERT_EQ(sys_wait_focus(&shared, "host", NULL, 0), 0);
	ASSERT_EQ(physical_grabbed(&shared, false), 0);
	ASSERT_EQ(monitor_expect(&shared.mon, "host", "vm2"), 0);
	ASSERT_EQ(monitor_quiet(&shared.mon), 0);
	/* Nobody runs: nobody owns the name. */
	ASSERT_NE(vt_sh(out, sizeof(out), "timeout 20 busctl --system status vfio.kvm"), 0);
}

TEST_GLOBALS();

int main(int argc, char **argv)
{
	int r;

	vt_require_guest();
	r = test_run_all(argc, argv);
	sys_teardown(&shared);
	return r;
}
