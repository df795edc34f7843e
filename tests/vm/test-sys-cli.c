/* SPDX-License-Identifier: MIT */
/*
 * Guest test: `vfio-kvm start VM --xml FILE` and `vfio-kvm stop VM` without
 * libvirt, for two VMs (vm1 with passthrough inputs, vm2 with evdev ones) on
 * one "physical" keyboard and mouse. With no QEMU holding the clones, this
 * test reads them itself: at every step of a focus cycle host -> vm1 -> vm2 ->
 * host, driven by `vfio-kvm next` and by the cycle hotkey, what is typed on
 * the physical devices reaches exactly the focused VM's clones, in order,
 * none lost, and no key is left down on any clone.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "vmtest.h"

#define BYID "/dev/input/by-id"
#define N_MOTION 40

struct cli {
	struct vt_dev *kbd, *mouse;
	char dir[64];
	int fds[2][2]; /* [vm1, vm2][keyboard, mouse] clone */
};

static const char *const vms[] = {"vm1", "vm2"};
static const unsigned typed_keys[] = {KEY_A, KEY_B, KEY_C,     KEY_Q,
                                      KEY_W, KEY_Z, KEY_SPACE, KEY_ENTER};
static const unsigned cycle_keys[] = {KEY_LEFTCTRL, KEY_RIGHTCTRL};

static void cli_teardown(struct cli *c)
{
	for (size_t v = 0; v < 2; v++)
		for (size_t d = 0; d < 2; d++)
			c->fds[v][d] = safe_close(c->fds[v][d]);
	vt_sh(NULL, 0,
	      "for vm in vm1 vm2; do timeout 60 vfio-kvm stop $vm;"
	      " systemctl reset-failed vfio-kvm-$vm.service; done");
	c->kbd = vt_dev_free(c->kbd);
	c->mouse = vt_dev_free(c->mouse);
	if (c->dir[0])
		vt_sh(NULL, 0, "rm -rf '%s'", c->dir);
}

static int write_xml(struct cli *c, const char *vm, const char *inputs)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.xml", c->dir, vm);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f,
	        "<domain type='kvm'>\n"
	        "  <name>%s</name>\n"
	        "  <memory unit='MiB'>64</memory>\n"
	        "  <devices>\n%s  </devices>\n"
	        "</domain>\n",
	        vm, inputs);
	return fclose(f) == 0 ? 0 : -errno;
}

/* The physical devices, both VMs started from their XML files, their clones open. */
static int cli_up(struct cli *c)
{
	char out[2048];
	int r;

	for (size_t v = 0; v < 2; v++)
		c->fds[v][0] = c->fds[v][1] = -1;
	snprintf(c->dir, sizeof(c->dir), "/tmp/vktest-cli.XXXXXX");
	if (!mkdtemp(c->dir)) {
		c->dir[0] = '\0';
		return -errno;
	}
	r = vt_dev_new_keyboard("kbd", &c->kbd);
	if (r >= 0)
		r = vt_dev_new_mouse("mouse", &c->mouse);
	if (r >= 0)
		r = write_xml(c, "vm1",
		              "    <input type='passthrough' bus='virtio'>"
		              "<source evdev='" BYID "/vm1-kbd'/></input>\n"
		              "    <input type='passthrough' bus='virtio'>"
		              "<source evdev='" BYID "/vm1-mouse'/></input>\n");
	if (r >= 0)
		r = write_xml(c, "vm2",
		              "    <input type='evdev'>"
		              "<source dev='" BYID "/vm2-kbd' grab='all' repeat='on'/></input>\n"
		              "    <input type='evdev'><source dev='" BYID
		              "/vm2-mouse'/></input>\n");
	for (size_t v = 0; v < 2 && r >= 0; v++) {
		r = vt_sh(out, sizeof(out), "timeout 120 vfio-kvm start %s --xml %s/%s.xml", vms[v],
		          c->dir, vms[v]);
		if (r != 0) {
			printf("# vfio-kvm start %s: %s", vms[v], out);
			return -EIO;
		}
	}
	for (size_t v = 0; v < 2 && r >= 0; v++) {
		struct vt_dev *devs[] = {c->kbd, c->mouse};

		for (size_t d = 0; d < 2; d++) {
			char link[128];

			snprintf(link, sizeof(link), BYID "/%s-%s", vms[v], devs[d]->name);
			c->fds[v][d] = open(link, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			if (c->fds[v][d] < 0)
				return -errno;
		}
	}
	return r;
}

static int cli_wait_focus(struct cli *c, const char *target)
{
	struct vt_dev *devs[] = {c->kbd, c->mouse};

	return vt_wait_focus(target, vms, 2, devs, 2);
}

/* Nothing arrives on any of FDS (N) within VT_QUIET_MS. */
static int all_quiet(struct pollfd *fds, size_t n)
{
	int r = poll(fds, n, VT_QUIET_MS);

	if (r < 0)
		return -errno;
	for (size_t i = 0; i < n && r > 0; i++) {
		struct input_event ev;

		if ((fds[i].revents & POLLIN) && vt_read_event(fds[i].fd, &ev, 0) == 0) {
			printf("# an unfocused clone got type %u code %u value %d\n", ev.type,
			       ev.code, ev.value);
			return -EEXIST;
		}
	}
	return 0;
}

/* The EV_KEY/EV_REL events of SEEN (N) are exactly WANT (N_WANT, type/code/value triples). */
static int same_events(const char *what, const struct input_event *seen, size_t n,
                       const int (*want)[3], size_t n_want)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		if (seen[i].type != EV_KEY && seen[i].type != EV_REL)
			continue;
		if (w >= n_want || seen[i].type != want[w][0] || seen[i].code != want[w][1] ||
		    seen[i].value != want[w][2]) {
			printf("# %s: event %zu is %u/%u/%d, expected %d/%d/%d\n", what, w,
			       seen[i].type, seen[i].code, seen[i].value,
			       w < n_want ? want[w][0] : -1, w < n_want ? want[w][1] : -1,
			       w < n_want ? want[w][2] : -1);
			return -EBADMSG;
		}
		w++;
	}
	if (w != n_want) {
		printf("# %s: %zu of %zu events arrived\n", what, w, n_want);
		return -EBADMSG;
	}
	return 0;
}

/*
 * Types on both physical devices and checks where it went: to the clones of
 * vms[FOCUSED] only, or (FOCUSED < 0, the host) to no clone.
 */
static int type_and_check(struct cli *c, int focused)
{
	int want_kbd[2 * ARRAY_SIZE(typed_keys)][3], want_mouse[N_MOTION + 1][3];
	struct input_event seen[512];
	struct pollfd quiet[4];
	size_t n_want_kbd = 0, n_want_mouse = 0, n_quiet = 0, n_seen;
	int r;

	for (size_t v = 0; v < 2; v++)
		for (size_t d = 0; d < 2; d++)
			if (vt_drain(c->fds[v][d]) < 0)
				return -EIO;

	for (size_t i = 0; i < ARRAY_SIZE(typed_keys); i++) {
		r = vt_dev_frame(c->kbd, EV_KEY, typed_keys[i], 1);
		if (r >= 0)
			r = vt_dev_frame(c->kbd, EV_KEY, typed_keys[i], 0);
		if (r < 0)
			return r;
		memcpy(want_kbd[n_want_kbd++], (int[3]){EV_KEY, (int)typed_keys[i], 1},
		       sizeof(int[3]));
		memcpy(want_kbd[n_want_kbd++], (int[3]){EV_KEY, (int)typed_keys[i], 0},
		       sizeof(int[3]));
	}
	for (int i = 1; i <= N_MOTION; i++) {
		r = vt_dev_frame(c->mouse, EV_REL, i % 2 ? REL_X : REL_Y, i);
		if (r < 0)
			return r;
		memcpy(want_mouse[n_want_mouse++], (int[3]){EV_REL, i % 2 ? REL_X : REL_Y, i},
		       sizeof(int[3]));
	}
	r = vt_dev_frame(c->mouse, EV_KEY, BTN_LEFT, 1);
	if (r >= 0)
		r = vt_dev_frame(c->mouse, EV_KEY, BTN_LEFT, 0);
	if (r < 0)
		return r;
	memcpy(want_mouse[n_want_mouse++], (int[3]){EV_KEY, BTN_LEFT, 1}, sizeof(int[3]));

	if (focused >= 0) {
		/* The last event of each device ends the read; all before it must match. */
		r = vt_read_until(c->fds[focused][0], EV_KEY, KEY_ENTER, 0, seen, ARRAY_SIZE(seen),
		                  &n_seen);
		if (r < 0) {
			printf("# %s's keyboard clone: the last key did not arrive\n",
			       vms[focused]);
			return r;
		}
		r = same_events("keyboard clone", seen, n_seen, want_kbd, n_want_kbd - 1);
		if (r < 0)
			return r;
		r = vt_read_until(c->fds[focused][1], EV_KEY, BTN_LEFT, 0, seen, ARRAY_SIZE(seen),
		                  &n_seen);
		if (r < 0) {
			printf("# %s's mouse clone: the last button did not arrive\n",
			       vms[focused]);
			return r;
		}
		r = same_events("mouse clone", seen, n_seen, want_mouse, n_want_mouse);
		if (r < 0)
			return r;
	}
	for (size_t v = 0; v < 2; v++)
		for (size_t d = 0; d < 2; d++)
			if ((int)v != focused)
				quiet[n_quiet++] =
				    (struct pollfd){.fd = c->fds[v][d], .events = POLLIN};
	return all_quiet(quiet, n_quiet);
}

static int keys_up_everywhere(struct cli *c)
{
	for (size_t v = 0; v < 2; v++)
		for (size_t d = 0; d < 2; d++)
			if (vt_keys_down(c->fds[v][d]) != 0) {
				printf("# %s: a key is left down on a clone\n", vms[v]);
				return -EBUSY;
			}
	return 0;
}

static int focus_index(const char *target)
{
	return strcmp(target, "host") == 0 ? -1 : strcmp(target, "vm1") == 0 ? 0 : 1;
}

static const char *const order[] = {"host", "vm1", "vm2", "host"};

TEST(next_moves_focus_and_events_follow_it)
{
	_cleanup_(cli_teardown) struct cli c = {.fds = {{-1, -1}, {-1, -1}}};
	char out[512], want[64];

	ASSERT_EQ(cli_up(&c), 0);
	ASSERT_EQ(cli_wait_focus(&c, "host"), 0);
	ASSERT_EQ(type_and_check(&c, -1), 0);
	for (size_t i = 1; i < ARRAY_SIZE(order); i++) {
		ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 20 vfio-kvm next"), 0);
		snprintf(want, sizeof(want), "focus: %s (was %s)\n", order[i], order[i - 1]);
		ASSERT_STREQ(out, want);
		if (cli_wait_focus(&c, order[i]) < 0)
			TEST_FAIL("step %zu: focus did not reach %s", i, order[i]);
		ASSERT_EQ(vt_is_grabbed(c.kbd->node), focus_index(order[i]) >= 0);
		ASSERT_EQ(keys_up_everywhere(&c), 0);
		if (type_and_check(&c, focus_index(order[i])) < 0)
			TEST_FAIL("step %zu: with focus on %s", i, order[i]);
	}
}

TEST(cycle_hotkey_moves_focus_and_events_follow_it)
{
	_cleanup_(cli_teardown) struct cli c = {.fds = {{-1, -1}, {-1, -1}}};

	ASSERT_EQ(cli_up(&c), 0);
	ASSERT_EQ(cli_wait_focus(&c, "host"), 0);
	for (size_t i = 1; i < ARRAY_SIZE(order); i++) {
		ASSERT_EQ(vt_dev_combo(c.kbd, cycle_keys, ARRAY_SIZE(cycle_keys)), 0);
		if (cli_wait_focus(&c, order[i]) < 0)
			TEST_FAIL("step %zu: focus did not reach %s", i, order[i]);
		ASSERT_EQ(vt_is_grabbed(c.kbd->node), focus_index(order[i]) >= 0);
		ASSERT_EQ(keys_up_everywhere(&c), 0);
		if (type_and_check(&c, focus_index(order[i])) < 0)
			TEST_FAIL("step %zu: with focus on %s", i, order[i]);
	}
}

TEST(start_twice_fails_and_stop_removes_everything)
{
	_cleanup_(cli_teardown) struct cli c = {.fds = {{-1, -1}, {-1, -1}}};
	char out[2048];
	struct stat st;

	ASSERT_EQ(cli_up(&c), 0);
	ASSERT_EQ(vt_sh(out, sizeof(out),
	                "systemctl is-active vfio-kvm-vm1.service vfio-kvm-vm2.service"),
	          0);
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 60 vfio-kvm start vm1 --xml %s/vm1.xml", c.dir),
	          1);
	ASSERT_CONTAINS(out, "vfio-kvm: vm1: vfio-kvm-vm1.service is already running");

	for (size_t v = 0; v < 2; v++) {
		ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 60 vfio-kvm stop %s", vms[v]), 0);
		ASSERT_STREQ(out, "");
	}
	for (size_t v = 0; v < 2; v++) {
		ASSERT_EQ(vt_sh(out, sizeof(out),
		                "systemctl show -p LoadState --value vfio-kvm-%s.service", vms[v]),
		          0);
		ASSERT_STREQ(out, "not-found\n");
	}
	ASSERT_TRUE(lstat(BYID "/vm1-kbd", &st) < 0 && lstat(BYID "/vm2-mouse", &st) < 0);
	ASSERT_TRUE(lstat("/run/vfio-kvm/ring/vm1", &st) < 0 &&
	            lstat("/run/vfio-kvm/ring/vm2", &st) < 0);
	/* Our fds on the clones see them go. */
	struct input_event ev;
	ASSERT_EQ(vt_read_event(c.fds[0][0], &ev, VT_TIMEOUT_MS), -ENODEV);
	/* Stopping what does not run is no error. */
	ASSERT_EQ(vt_sh(out, sizeof(out), "timeout 60 vfio-kvm stop vm1"), 0);
	ASSERT_EQ(vt_is_grabbed(c.kbd->node), 0);
}

VT_TEST_MAIN()
