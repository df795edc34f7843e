/* SPDX-License-Identifier: MIT */
/*
 * Guest test: host keys, a pinned device and a device with only a by-path
 * link, all three through libvirt at once, as a user sets them up. One
 * domain, started with `virsh create` (a tiny TCG domain without disk; the
 * installed hook starts vfio-kvm-<vm>.service), takes three "physical"
 * keyboards of this test with <input type='passthrough'>:
 *
 * - the keyboard, with KEY_VOLUMEUP and KEY_MUTE as <vfiokvm:host-keys>:
 *   while the VM has focus they reach "vfio-kvm host keys (<vm>)", not the
 *   clone; other keys reach the clone, not the host device;
 * - a pad, pinned with <vfiokvm:device focus='always'/>: forwarded while the
 *   host has the focus, when the keyboard's keys are not;
 * - a laptop-like keyboard with only a /dev/input/by-path link, named in the
 *   XML as /dev/input/by-id/<vm>-<by-path name>: cloned, and forwards.
 *
 * QEMU holds every clone grabbed, so nobody else can read its events: a
 * clone's key state (EVIOCGKEY) tells what reached it. The domain starts once
 * for all the tests (half a minute under nested emulation); each test leaves
 * focus on the host, and the program tears everything down at exit.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "vmtest.h"

#define BYID "/dev/input/by-id"
#define BYPATH "/dev/input/by-path"
#define VM "routing1"
/* Starting a domain under nested emulation is slow, but it ends. */
#define VIRSH "timeout 180 virsh -q"

/* Not a link any real device of the guest has. */
#define LAPTOP_NAME "platform-vktest-serio-0-event-kbd"

static const unsigned cycle_keys[] = {KEY_LEFTCTRL, KEY_RIGHTCTRL};

static const char inputs[] =
    "    <input type='passthrough' bus='virtio'><source evdev='" BYID "/" VM "-vkr-kbd'/></input>\n"
    "    <input type='passthrough' bus='virtio'><source evdev='" BYID "/" VM "-vkr-pad'/></input>\n"
    "    <input type='passthrough' bus='virtio'><source evdev='" BYID "/" VM "-" LAPTOP_NAME
    "'/></input>\n";
static const char metadata[] =
    "<metadata>\n"
    "  <vfiokvm:settings xmlns:vfiokvm='https://kvm.vfio/xmlns/libvirt/domain/1.0'>\n"
    "    <vfiokvm:host-keys>\n"
    "      <vfiokvm:key value='KEY_VOLUMEUP'/>\n"
    "      <vfiokvm:key value='KEY_MUTE'/>\n"
    "    </vfiokvm:host-keys>\n"
    "    <vfiokvm:device name='vkr-pad' focus='always'/>\n"
    "  </vfiokvm:settings>\n"
    "</metadata>\n";

struct routing {
	struct vt_dev *kbd, *pad, *laptop;
	char dir[64];
	char xml[128];
	int state; /* 0: not tried, 1: running, < 0: failed */
};

static struct routing shared;

static void teardown(struct routing *s)
{
	/* A destroy runs the release hook, which stops the unit. */
	vt_sh(NULL, 0,
	      VIRSH " destroy " VM "; timeout 60 systemctl stop vfio-kvm-" VM ".service;"
	            " systemctl reset-failed vfio-kvm-" VM ".service");
	s->kbd = vt_dev_free(s->kbd);
	s->pad = vt_dev_free(s->pad);
	s->laptop = vt_dev_free(s->laptop);
	if (s->dir[0])
		vt_sh(NULL, 0, "rm -rf '%s'", s->dir);
	s->dir[0] = '\0';
}

/* The devices and the domain's XML, made on first use. Returns 0 or a negative errno. */
static int make_devices(struct routing *s)
{
	int r;

	if (s->dir[0])
		return s->kbd && s->pad && s->laptop ? 0 : -ENODEV;
	snprintf(s->dir, sizeof(s->dir), "/tmp/vktest-routing.XXXXXX");
	if (!mkdtemp(s->dir)) {
		s->dir[0] = '\0';
		return -errno;
	}
	snprintf(s->xml, sizeof(s->xml), "%s/" VM ".xml", s->dir);
	r = vt_dev_new_keyboard("vkr-kbd", &s->kbd);
	if (r >= 0)
		r = vt_dev_new_keyboard("vkr-pad", &s->pad);
	if (r >= 0)
		r = vt_dev_new_keyboard_in(BYPATH, LAPTOP_NAME, &s->laptop);
	if (r >= 0)
		r = vt_domain_write(s->xml, VM, metadata, inputs);
	return r;
}

/* The domain running, once for all tests; a failed start is not retried. */
static int domain_up(void)
{
	char out[4096];
	long long t0;
	int r;

	if (shared.state != 0)
		return shared.state < 0 ? shared.state : 0;
	r = make_devices(&shared);
	if (r < 0) {
		shared.state = r;
		return r;
	}
	t0 = vt_now_ms();
	if (vt_sh(out, sizeof(out), VIRSH " create %s", shared.xml) != 0) {
		vt_comment("virsh create", out);
		vt_sh(out, sizeof(out),
		      "journalctl -b -q --no-pager -o cat -n 20 -u vfio-kvm-" VM ".service");
		vt_comment("unit journal", out);
		shared.state = -EIO;
		return -EIO;
	}
	printf("# virsh create " VM ": %lld ms\n", vt_now_ms() - t0);
	shared.state = 1;
	return 0;
}

static const char *const vms[] = {VM};

/* Focus on TARGET as `vfio-kvm status` says, the keyboard grabbed iff the VM has it. */
static int wait_focus(const char *target)
{
	return vt_wait_focus(target, vms, 1, &shared.kbd, 1);
}

/* The domain up, no key held and the focus on the host, whatever an earlier failure left. */
static int begin(void)
{
	int r = domain_up();

	if (r < 0) {
		printf("# " VM " did not start\n");
		return r;
	}
	r = vt_dev_release_held(shared.kbd);
	if (r >= 0)
		r = vt_dev_release_held(shared.pad);
	if (r >= 0)
		r = vt_dev_release_held(shared.laptop);
	if (r < 0)
		return r;
	if (vt_sh(NULL, 0, "timeout 20 vfio-kvm release") != 0)
		return -EIO;
	return wait_focus("host");
}

/* Opens the clone of DEV (QEMU holds it grabbed: for its key state). Fd or -errno. */
static int clone_open(const struct vt_dev *dev)
{
	char link[160];
	struct stat st;
	int fd;

	snprintf(link, sizeof(link), BYID "/" VM "-%s", dev->name);
	if (stat(link, &st) < 0 || !S_ISCHR(st.st_mode)) {
		printf("# %s is no clone\n", link);
		return -ENODEV;
	}
	fd = open(link, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* No key held on any clone of the domain. */
static int clones_keys_up(void)
{
	struct vt_dev *devs[] = {shared.kbd, shared.pad, shared.laptop};

	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		_cleanup_(closep) int fd = clone_open(devs[i]);
		int held;

		if (fd < 0)
			return fd;
		held = vt_keys_down(fd);
		if (held != 0) {
			printf("# the clone of %s: %d keys down\n", devs[i]->name, held);
			return held < 0 ? held : -EBUSY;
		}
	}
	return 0;
}

/* --- tests --------------------------------------------------------------------------- */

/* What a user checks before starting the domain. */
TEST(check_shows_host_keys_pinned_device_and_by_path_link)
{
	char out[4096];

	ASSERT_EQ(make_devices(&shared), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "vfio-kvm check --xml %s", shared.xml), 0);
	vt_comment("vfio-kvm check", out);
	ASSERT_CONTAINS(out, "  host_keys: KEY_MUTE,KEY_VOLUMEUP (domain XML)\n");
	ASSERT_CONTAINS(out, BYID "/vkr-pad -> " BYID "/" VM "-vkr-pad (focus=always)\n");
	ASSERT_CONTAINS(out, BYID "/vkr-kbd -> " BYID "/" VM "-vkr-kbd\n");
	ASSERT_CONTAINS(out, BYID "/" LAPTOP_NAME " -> " BYID "/" VM "-" LAPTOP_NAME
	                          " (present as " BYPATH "/" LAPTOP_NAME ")\n");
}

TEST(pinned_device_forwards_while_the_host_has_focus)
{
	_cleanup_(closep) int kfd = -1, pfd = -1;

	ASSERT_EQ(begin(), 0);
	/* The helper holds the pad for the VM; the host keeps its keyboard. */
	ASSERT_EQ(vt_wait_grabbed(shared.pad->node, true), 0);
	ASSERT_EQ(vt_is_grabbed(shared.kbd->node), 0);
	kfd = clone_open(shared.kbd);
	pfd = clone_open(shared.pad);
	ASSERT_TRUE(kfd >= 0);
	ASSERT_TRUE(pfd >= 0);

	ASSERT_EQ(vt_dev_frame(shared.kbd, EV_KEY, KEY_C, 1), 0);
	ASSERT_EQ(vt_dev_frame(shared.pad, EV_KEY, KEY_B, 1), 0);
	if (vt_wait_key(pfd, KEY_B, true, VT_TIMEOUT_MS) < 0)
		TEST_FAIL("the pinned device's KEY_B did not reach its clone");
	if (vt_wait_key(kfd, KEY_C, true, VT_QUIET_MS) != -ETIMEDOUT)
		TEST_FAIL("the keyboard's KEY_C reached the clone while the host has focus");
	ASSERT_EQ(vt_keys_down(kfd), 0);
	ASSERT_EQ(vt_dev_frame(shared.pad, EV_KEY, KEY_B, 0), 0);
	ASSERT_EQ(vt_dev_frame(shared.kbd, EV_KEY, KEY_C, 0), 0);
	ASSERT_EQ(vt_wait_key(pfd, KEY_B, false, VT_TIMEOUT_MS), 0);
	ASSERT_EQ(clones_keys_up(), 0);
	ASSERT_EQ(wait_focus("host"), 0);
}

TEST(host_keys_stay_with_the_host_while_the_vm_has_focus)
{
	_cleanup_(closep) int kfd = -1, hfd = -1;
	struct input_event seen[32];
	char node[64];
	size_t n;

	ASSERT_EQ(begin(), 0);
	ASSERT_EQ(vt_dev_combo(shared.kbd, cycle_keys, ARRAY_SIZE(cycle_keys)), 0);
	ASSERT_EQ(wait_focus(VM), 0);
	kfd = clone_open(shared.kbd);
	hfd = vt_host_keys_open(VM, node, sizeof(node));
	ASSERT_TRUE(kfd >= 0);
	if (hfd < 0)
		TEST_FAIL("no device \"vfio-kvm host keys (" VM ")\": %s", strerror(-hfd));
	/* Nobody grabs it: the host's libinput reads it. */
	ASSERT_EQ(vt_is_grabbed(node), 0);
	ASSERT_TRUE(vt_drain(hfd) >= 0);

	/* KEY_A, then KEY_VOLUMEUP, both held. */
	ASSERT_EQ(vt_dev_frame(shared.kbd, EV_KEY, KEY_A, 1), 0);
	ASSERT_EQ(vt_dev_frame(shared.kbd, EV_KEY, KEY_VOLUMEUP, 1), 0);
	ASSERT_EQ(vt_read_until(hfd, EV_KEY, KEY_VOLUMEUP, 1, seen, ARRAY_SIZE(seen), &n), 0);
	for (size_t i = 0; i < n; i++)
		if (seen[i].type == EV_KEY)
			TEST_FAIL("the host device got %s %d",
			          libevdev_event_code_get_name(EV_KEY, seen[i].code) ?: "?",
			          seen[i].value);
	ASSERT_EQ(vt_key_down(hfd, KEY_A), 0);
	if (vt_wait_key(kfd, KEY_A, true, VT_TIMEOUT_MS) < 0)
		TEST_FAIL("KEY_A did not reach the clone");
	if (vt_wait_key(kfd, KEY_VOLUMEUP, true, VT_QUIET_MS) != -ETIMEDOUT)
		TEST_FAIL("KEY_VOLUMEUP reached the clone");

	/* Each key-up where its key-down went. */
	ASSERT_EQ(vt_dev_frame(shared.kbd, EV_KEY, KEY_VOLUMEUP, 0), 0);
	ASSERT_EQ(vt_dev_frame(shared.kbd, EV_KEY, KEY_A, 0), 0);
	ASSERT_EQ(vt_read_until(hfd, EV_KEY, KEY_VOLUMEUP, 0, seen, ARRAY_SIZE(seen), &n), 0);
	ASSERT_EQ(vt_wait_key(kfd, KEY_A, false, VT_TIMEOUT_MS), 0);
	ASSERT_EQ(vt_keys_down(hfd), 0);
	ASSERT_EQ(clones_keys_up(), 0);

	ASSERT_EQ(vt_sh(NULL, 0, "timeout 20 vfio-kvm release"), 0);
	ASSERT_EQ(wait_focus("host"), 0);
}

TEST(device_with_only_a_by_path_link_is_cloned_and_forwards)
{
	_cleanup_(closep) int lfd = -1;
	char out[1024];

	ASSERT_EQ(begin(), 0);
	lfd = clone_open(shared.laptop);
	ASSERT_TRUE(lfd >= 0);
	/* The host has focus: the laptop keyboard stays the host's. */
	ASSERT_EQ(vt_is_grabbed(shared.laptop->node), 0);

	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 30 vfio-kvm focus " VM), 0);
	ASSERT_EQ(wait_focus(VM), 0);
	ASSERT_EQ(vt_wait_grabbed(shared.laptop->node, true), 0);
	ASSERT_EQ(vt_dev_frame(shared.laptop, EV_KEY, KEY_Z, 1), 0);
	if (vt_wait_key(lfd, KEY_Z, true, VT_TIMEOUT_MS) < 0)
		TEST_FAIL("the by-path device's KEY_Z did not reach its clone");
	ASSERT_EQ(vt_dev_frame(shared.laptop, EV_KEY, KEY_Z, 0), 0);
	ASSERT_EQ(vt_wait_key(lfd, KEY_Z, false, VT_TIMEOUT_MS), 0);
	ASSERT_EQ(clones_keys_up(), 0);

	ASSERT_EQ(vt_sh(NULL, 0, "timeout 20 vfio-kvm release"), 0);
	ASSERT_EQ(wait_focus("host"), 0);
	ASSERT_EQ(vt_wait_grabbed(shared.laptop->node, false), 0);
}

TEST_GLOBALS();

int main(int argc, char **argv)
{
	int r;

	vt_require_guest();
	r = test_run_all(argc, argv);
	teardown(&shared);
	return r;
}
