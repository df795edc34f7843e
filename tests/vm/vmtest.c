/* SPDX-License-Identifier: MIT */
/*
 * Shared parts of the guest tests; see vmtest.h. Waiting is bounded
 * everywhere: an event on a fd (poll), a process exit (pidfd), or, for state
 * the kernel announces nowhere (a grab, a unit's result), a re-check until a
 * deadline.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "vmtest.h"

#define VT_BYID_DIR "/dev/input/by-id"

extern char **environ;

void vt_require_guest(void)
{
	const char *guest = getenv("VFIO_KVM_GUEST");

	if (!guest || strcmp(guest, "1") != 0)
		test_skip_all("runs only in the test guest (tests/vm/run)");
	if (geteuid() != 0)
		test_skip_all("needs root");
	if (access("/dev/uinput", W_OK) < 0)
		test_skip_all("no /dev/uinput");
	setvbuf(stdout, NULL, _IOLBF, 0);
}

long long vt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long vt_now_ms(void)
{
	return vt_now_us() / 1000;
}

int vt_domain_write(const char *path, const char *vm, const char *metadata, const char *inputs)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f,
		"<domain type='qemu'>\n"
		"  <name>%s</name>\n"
		"%s"
		"  <memory unit='MiB'>64</memory>\n"
		"  <vcpu>1</vcpu>\n"
		"  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n"
		"  <on_poweroff>destroy</on_poweroff>\n"
		"  <devices>\n"
		"    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
		"%s"
		"    <memballoon model='none'/>\n"
		"  </devices>\n"
		"</domain>\n",
		vm, metadata ? metadata : "", inputs);
	return fclose(f) == 0 ? 0 : -errno;
}

int vt_domain_define(const char *path, const char *vm, const char *metadata, const char *inputs)
{
	char out[2048];
	int r = vt_domain_write(path, vm, metadata, inputs);

	if (r < 0)
		return r;
	r = vt_sh(out, sizeof(out), "timeout 180 virsh -q define %s", path);
	if (r != 0)
		vt_comment("virsh define", out);
	return r == 0 ? 0 : -EIO;
}

void vt_comment(const char *what, const char *text)
{
	printf("# %s:\n", what);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");

		printf("#   %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* One step of a bounded re-check: 20 ms, or -ETIMEDOUT past DEADLINE. */
static int vt_tick(long long deadline)
{
	if (vt_now_ms() >= deadline)
		return -ETIMEDOUT;
	nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000}, NULL);
	return 0;
}

static int vt_dev_create(struct libevdev *evdev, const char *dir, const char *name,
			 struct vt_dev **ret)
{
	_cleanup_(vt_dev_freep) struct vt_dev *dev = NULL;
	char full[128];
	int r;

	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	snprintf(full, sizeof(full), "vktest %s", name);
	libevdev_set_name(evdev, full);
	libevdev_set_id_bustype(evdev, BUS_USB);
	libevdev_set_id_vendor(evdev, 0x1d6b);
	libevdev_set_id_product(evdev, 0x0104);
	libevdev_set_id_version(evdev, 0x0111);
	r = libevdev_uinput_create_from_device(evdev, LIBEVDEV_UINPUT_OPEN_MANAGED, &dev->uidev);
	if (r < 0)
		return r;
	dev->name = strdup(name);
	dev->node = strdup(libevdev_uinput_get_devnode(dev->uidev) ?: "");
	if (!dev->name || !dev->node || asprintf(&dev->byid, "%s/%s", dir, name) < 0) {
		dev->byid = NULL;
		return -ENOMEM;
	}
	if (dev->node[0] == '\0')
		return -ENODEV;

	/* Autorepeat far away: a held key must not add events a test did not inject. */
	if (libevdev_has_event_type(evdev, EV_REP)) {
		_cleanup_(closep) int fd = open(dev->node, O_RDWR | O_CLOEXEC);
		unsigned rep[2] = {30000, 1000};

		if (fd < 0 || ioctl(fd, EVIOCSREP, rep) < 0)
			return -errno;
	}

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	unlink(dev->byid);
	if (symlink(dev->node, dev->byid) < 0)
		return -errno;
	*ret = TAKE_PTR(dev);
	return 0;
}

int vt_dev_new_keyboard(const char *name, struct vt_dev **ret)
{
	return vt_dev_new_keyboard_in(VT_BYID_DIR, name, ret);
}

int vt_dev_new_keyboard_in(const char *dir, const char *name, struct vt_dev **ret)
{
	static const unsigned keys[] = {
		KEY_ESC, KEY_1, KEY_2, KEY_A, KEY_B, KEY_C, KEY_H, KEY_Q, KEY_W, KEY_Z,
		KEY_SPACE, KEY_ENTER, KEY_KP1,
		KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_LEFTALT,
		KEY_RIGHTALT, KEY_LEFTMETA, KEY_SCROLLLOCK, KEY_CAPSLOCK, KEY_NUMLOCK,
		KEY_MUTE, KEY_VOLUMEDOWN, KEY_VOLUMEUP,
	};
	struct libevdev *evdev = libevdev_new();
	int r;

	if (!evdev)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		libevdev_enable_event_code(evdev, EV_KEY, keys[i], NULL);
	libevdev_enable_event_code(evdev, EV_MSC, MSC_SCAN, NULL);
	libevdev_enable_event_code(evdev, EV_LED, LED_NUML, NULL);
	libevdev_enable_event_code(evdev, EV_LED, LED_CAPSL, NULL);
	libevdev_enable_event_code(evdev, EV_LED, LED_SCROLLL, NULL);
	libevdev_enable_event_type(evdev, EV_REP);
	r = vt_dev_create(evdev, dir, name, ret);
	libevdev_free(evdev);
	return r;
}

int vt_dev_new_mouse(const char *name, struct vt_dev **ret)
{
	static const unsigned rels[] = {REL_X, REL_Y, REL_WHEEL, REL_HWHEEL};
	static const unsigned btns[] = {BTN_LEFT, BTN_RIGHT, BTN_MIDDLE};
	struct libevdev *evdev = libevdev_new();
	int r;

	if (!evdev)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(rels); i++)
		libevdev_enable_event_code(evdev, EV_REL, rels[i], NULL);
	for (size_t i = 0; i < ARRAY_SIZE(btns); i++)
		libevdev_enable_event_code(evdev, EV_KEY, btns[i], NULL);
	libevdev_enable_property(evdev, INPUT_PROP_POINTER);
	r = vt_dev_create(evdev, VT_BYID_DIR, name, ret);
	libevdev_free(evdev);
	return r;
}

struct vt_dev *vt_dev_free(struct vt_dev *dev)
{
	if (!dev)
		return NULL;
	if (dev->byid)
		unlink(dev->byid);
	if (dev->uidev)
		libevdev_uinput_destroy(dev->uidev);
	free(dev->byid);
	free(dev->node);
	free(dev->name);
	free(dev);
	return NULL;
}

int vt_dev_emit(struct vt_dev *dev, unsigned type, unsigned code, int value)
{
	return libevdev_uinput_write_event(dev->uidev, type, code, value);
}

int vt_dev_frame(struct vt_dev *dev, unsigned type, unsigned code, int value)
{
	int r = vt_dev_emit(dev, type, code, value);

	return r < 0 ? r : vt_dev_emit(dev, EV_SYN, SYN_REPORT, 0);
}

/* Runs ARGV, waits for it; returns its exit status or a negative errno. */
static int vt_spawn(char *const *argv)
{
	pid_t pid;
	int r, status;

	r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (r != 0)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Reads one property of UNIT (systemctl show) into BUF. Returns 0 or -errno. */
static int vt_unit_property(const char *unit, const char *prop, char *buf, size_t n)
{
	char cmd[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "systemctl show -p %s --value %s", prop, unit);
	f = popen(cmd, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)n, f))
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return pclose(f) == 0 ? 0 : -EIO;
}

const char *vt_clone_link(const struct vt_helper *h, const struct vt_dev *dev, char *buf, size_t n)
{
	snprintf(buf, n, VT_BYID_DIR "/%s-%s", h->vm, dev->name);
	return buf;
}

int vt_helper_start(struct vt_helper *h, const char *vm, struct vt_dev *const *devs, size_t n_devs,
		    bool focus)
{
	return vt_helper_start_with(h, vm, devs, NULL, n_devs, focus, NULL);
}

int vt_helper_start_with(struct vt_helper *h, const char *vm, struct vt_dev *const *devs,
			 const char *const *opts, size_t n_devs, bool focus,
			 const char *const *extra)
{
	const char *helper = getenv("VFIO_KVM_HELPER") ?: "/usr/libexec/vfio-kvm-helper";
	char *argv[64], specs[8][256], unit_arg[96];
	size_t a = 0;
	int r;

	if (n_devs > ARRAY_SIZE(specs))
		return -E2BIG;
	snprintf(h->vm, sizeof(h->vm), "%s", vm);
	snprintf(h->unit, sizeof(h->unit), "vktest-%s.service", vm);
	snprintf(unit_arg, sizeof(unit_arg), "--unit=%s", h->unit);
	/* A unit left over from a failed test would make this start fail. */
	vt_helper_stop(h);

	argv[a++] = (char *)"systemd-run";
	argv[a++] = (char *)"--quiet";
	argv[a++] = unit_arg;
	argv[a++] = (char *)"-p";
	argv[a++] = (char *)"Type=notify";
	argv[a++] = (char *)"-p";
	argv[a++] = (char *)"TimeoutStartSec=60";
	argv[a++] = (char *)"-p";
	argv[a++] = (char *)"RemainAfterExit=yes";
	argv[a++] = (char *)helper;
	argv[a++] = (char *)"--vm";
	argv[a++] = (char *)vm;
	for (size_t i = 0; i < n_devs; i++) {
		char link[128];

		/* By its by-id name even when its link is elsewhere (by-path). */
		snprintf(specs[i], sizeof(specs[i]), VT_BYID_DIR "/%s=%s%s", devs[i]->name,
			 vt_clone_link(h, devs[i], link, sizeof(link)),
			 opts && opts[i] ? opts[i] : "");
		argv[a++] = (char *)"--device";
		argv[a++] = specs[i];
	}
	if (focus)
		argv[a++] = (char *)"--focus";
	for (; extra && *extra && a < ARRAY_SIZE(argv) - 1; extra++)
		argv[a++] = (char *)*extra;
	argv[a] = NULL;

	r = vt_spawn(argv);
	if (r != 0) {
		printf("# systemd-run %s failed (%d); journal:\n", h->unit, r);
		fflush(stdout);
		char cmd[160];
		snprintf(cmd, sizeof(cmd),
			 "journalctl -b --no-pager -q -o cat -n 15 -u %s | sed 's/^/#   /'", h->unit);
		(void)!system(cmd);
		return r < 0 ? r : -EIO;
	}
	return 0;
}

void vt_helper_stop(struct vt_helper *h)
{
	if (!h || h->unit[0] == '\0')
		return;
	char *stop[] = {(char *)"systemctl", (char *)"stop", h->unit, NULL};
	char *reset[] = {(char *)"systemctl", (char *)"reset-failed", h->unit, NULL};
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC), saved = dup(STDERR_FILENO);

	/* Quiet: the unit is usually not loaded at all. */
	if (null >= 0)
		dup2(null, STDERR_FILENO);
	vt_spawn(stop);
	vt_spawn(reset);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	safe_close(null);
}

int vt_helper_kill(struct vt_helper *h, int sig)
{
	char buf[32];
	int r;
	long pid;

	r = vt_unit_property(h->unit, "MainPID", buf, sizeof(buf));
	if (r < 0)
		return r;
	pid = strtol(buf, NULL, 10);
	if (pid <= 1)
		return -ESRCH;
	return kill((pid_t)pid, sig) < 0 ? -errno : 0;
}

int vt_helper_wait_exit(struct vt_helper *h, char *result, size_t n)
{
	long long deadline = vt_now_ms() + VT_TIMEOUT_MS;
	char state[64];
	int r;

	/* systemd notices the exit a moment after it happened: re-check its view. */
	for (;;) {
		r = vt_unit_property(h->unit, "SubState", state, sizeof(state));
		if (r < 0)
			return r;
		if (strcmp(state, "running") != 0 && strcmp(state, "start") != 0 &&
		    strcmp(state, "stop-sigterm") != 0)
			break;
		r = vt_tick(deadline);
		if (r < 0)
			return r;
	}
	return vt_unit_property(h->unit, "Result", result, n);
}

int vt_clone_open(const struct vt_helper *h, const struct vt_dev *dev)
{
	char link[128];
	int fd = open(vt_clone_link(h, dev, link, sizeof(link)), O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vt_read_event(int fd, struct input_event *ret, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct input_event ev;
	ssize_t len;
	int r;

	for (;;) {
		len = read(fd, &ev, sizeof(ev));
		if (len == (ssize_t)sizeof(ev)) {
			*ret = ev;
			return 0;
		}
		if (len >= 0)
			return -EIO;
		if (errno == ENODEV)
			return -ENODEV;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
	}
}

int vt_read_until(int fd, unsigned type, unsigned code, int value, struct input_event *seen,
		  size_t n_seen, size_t *ret_n)
{
	long long deadline = vt_now_ms() + VT_TIMEOUT_MS;
	struct input_event ev;
	size_t n = 0;
	int r;

	for (;;) {
		long long left = deadline - vt_now_ms();

		r = vt_read_event(fd, &ev, left > 0 ? (int)left : 0);
		if (r < 0)
			break;
		if (ev.type == type && ev.code == code && ev.value == value)
			break;
		if (seen && n < n_seen)
			seen[n++] = ev;
	}
	if (ret_n)
		*ret_n = n;
	return r;
}

int vt_drain(int fd)
{
	struct input_event ev;
	int n = 0, r;

	while ((r = vt_read_event(fd, &ev, 0)) == 0)
		n++;
	return r == -ETIMEDOUT ? n : r;
}

int vt_is_grabbed(const char *node)
{
	_cleanup_(closep) int fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, EVIOCGRAB, 1) < 0)
		return errno == EBUSY ? 1 : -errno;
	ioctl(fd, EVIOCGRAB, 0);
	return 0;
}

int vt_wait_grabbed(const char *node, bool want)
{
	long long deadline = vt_now_ms() + VT_TIMEOUT_MS;
	int r;

	while ((r = vt_is_grabbed(node)) != (int)want) {
		if (r < 0)
			return r;
		r = vt_tick(deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

int vt_wait_gone(const char *path)
{
	long long deadline = vt_now_ms() + VT_TIMEOUT_MS;
	struct stat st;
	int r;

	while (stat(path, &st) == 0) {
		r = vt_tick(deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

int vt_keys_down(int fd)
{
	unsigned long bits[BITSET_LONGS(KEY_CNT)] = {0};
	int n = 0;

	if (ioctl(fd, EVIOCGKEY(sizeof(bits)), bits) < 0)
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++)
		n += __builtin_popcountl(bits[i]);
	return n;
}

int vt_key_down(int fd, unsigned code)
{
	unsigned long bits[BITSET_LONGS(KEY_CNT)] = {0};

	if (code >= KEY_CNT)
		return -EINVAL;
	if (ioctl(fd, EVIOCGKEY(sizeof(bits)), bits) < 0)
		return -errno;
	return !!(bits[code / (8 * sizeof(long))] & (1UL << (code % (8 * sizeof(long)))));
}

int vt_wait_key(int fd, unsigned code, bool down, int timeout_ms)
{
	long long deadline = vt_now_ms() + timeout_ms;
	int r;

	while ((r = vt_key_down(fd, code)) != (int)down) {
		if (r < 0)
			return r;
		r = vt_tick(deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

int vt_dev_release_held(struct vt_dev *dev)
{
	_cleanup_(closep) int fd = open(dev->node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	for (unsigned code = 0; code < KEY_CNT && r >= 0; code++)
		if (vt_key_down(fd, code) == 1)
			r = vt_dev_frame(dev, EV_KEY, code, 0);
	return r;
}

int vt_host_keys_open(const char *vm, char *node, size_t n)
{
	DIR *d = opendir("/sys/class/input");
	char name[128];
	struct dirent *de;
	int fd = -ENOENT;

	if (!d)
		return -errno;
	snprintf(name, sizeof(name), "vfio-kvm host keys (%s)", vm);
	while (fd == -ENOENT && (de = readdir(d))) {
		char path[300], got[128] = "";
		FILE *f;

		if (strncmp(de->d_name, "event", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/input/%s/device/name", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(got, sizeof(got), f))
			got[strcspn(got, "\n")] = '\0';
		fclose(f);
		if (strcmp(got, name) != 0)
			continue;
		snprintf(node, n, "/dev/input/%.20s", de->d_name);
		fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	}
	closedir(d);
	return fd;
}

int vt_dev_combo(struct vt_dev *dev, const unsigned *keys, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n && r >= 0; i++)
		r = vt_dev_frame(dev, EV_KEY, keys[i], 1);
	for (size_t i = n; i > 0 && r >= 0; i--)
		r = vt_dev_frame(dev, EV_KEY, keys[i - 1], 0);
	return r;
}

static int vt_vsh(char *out, size_t n, const char *fmt, va_list ap)
{
	char cmd[4096], chunk[1024];
	char *argv[] = {(char *)"/bin/sh", (char *)"-c", cmd, NULL};
	posix_spawn_file_actions_t fa;
	int p[2], r, status;
	size_t len = 0;
	pid_t pid;

	if (vsnprintf(cmd, sizeof(cmd), fmt, ap) >= (int)sizeof(cmd))
		return -ENAMETOOLONG;
	if (out && n > 0)
		out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return -r;
	}
	/* Read to the end even past N: a child must never block on a full pipe. */
	for (;;) {
		ssize_t got = read(p[0], chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (out && len + 1 < n) {
			size_t take = MIN((size_t)got, n - 1 - len);

			memcpy(out + len, chunk, take);
			len += take;
			out[len] = '\0';
		}
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int vt_sh(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vt_vsh(out, n, fmt, ap);
	va_end(ap);
	return r;
}

int vt_wait_sh(int timeout_ms, const char *fmt, ...)
{
	long long deadline = vt_now_ms() + timeout_ms;
	va_list ap;
	int r;

	for (;;) {
		va_start(ap, fmt);
		r = vt_vsh(NULL, 0, fmt, ap);
		va_end(ap);
		if (r <= 0)
			return r;
		r = vt_tick(deadline);
		if (r < 0)
			return r;
	}
}

/* Whether the one-line JSON of `vfio-kvm status --json` matches the wanted focus. */
static bool vt_focus_matches(const char *json, const char *target, const char *const *vms,
			     size_t n_vms, struct vt_dev *const *devs, size_t n_devs)
{
	char want[512];

	snprintf(want, sizeof(want), "{\"focus\":{\"target\":\"%s\",", target);
	if (strncmp(json, want, strlen(want)) != 0)
		return false;
	for (size_t v = 0; v < n_vms; v++) {
		bool focused = strcmp(vms[v], target) == 0;

		snprintf(want, sizeof(want), "{\"name\":\"%s\",\"host\":false,\"focus\":%s,",
			 vms[v], focused ? "true" : "false");
		if (!strstr(json, want))
			return false;
		for (size_t d = 0; d < n_devs; d++) {
			snprintf(want, sizeof(want),
				 "\"physical\":\"%s\",\"clone\":\"" VT_BYID_DIR
				 "/%s-%s\",\"present\":true,\"grabbed\":%s}",
				 devs[d]->byid, vms[v], devs[d]->name, focused ? "true" : "false");
			if (!strstr(json, want))
				return false;
		}
	}
	return true;
}

int vt_wait_focus(const char *target, const char *const *vms, size_t n_vms,
		  struct vt_dev *const *devs, size_t n_devs)
{
	long long deadline = vt_now_ms() + VT_TIMEOUT_MS;
	char json[8192];
	int r;

	for (;;) {
		r = vt_sh(json, sizeof(json), "timeout 20 vfio-kvm status --json");
		if (r == 0 && vt_focus_matches(json, target, vms, n_vms, devs, n_devs))
			return 0;
		r = vt_tick(deadline);
		if (r < 0)
			break;
	}
	json[strcspn(json, "\n")] = '\0';
	printf("# focus did not settle on '%s'; vfio-kvm status --json says:\n# %s\n", target,
	       json);
	/* The focus file tells which event made the last switch (event=). */
	vt_sh(json, sizeof(json), "sed 's/^/#   focus file: /' /run/vfio-kvm/focus");
	printf("%s", json);
	return -ETIMEDOUT;
}
