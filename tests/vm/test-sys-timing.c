/* SPDX-License-Identifier: MIT */
/*
 * Guest measurements, printed as TAP comments; they fail only when what a
 * user relies on does not hold.
 *
 * First, how long the installed libvirt hook takes from `prepare begin` until
 * it exits, i.e. until the VM's unit is ready (the helper sent READY=1 with
 * every clone in place), against a bare `systemd-run -p Type=notify` of a
 * program that says READY=1 at once (this program, see main()): the cost of a
 * transient unit alone. Medians of a few runs.
 *
 * Second, a real domain (tiny, TCG, no disk): from `virsh start` until its
 * unit vfio-kvm-vmtime.service is ready (systemd's ActiveEnterTimestamp on
 * CLOCK_MONOTONIC), and how long `virsh start` takes in all. The hook blocks
 * QEMU until the clones exist, so the unit is ready before virsh returns.
 * VFIO_KVM_TIMING_RUNS (1..10, default 1) says how many starts: each takes
 * up to half a minute under nested emulation.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "vmtest.h"

#define BYID "/dev/input/by-id"
#define HOOK_PATH "/etc/libvirt/hooks/qemu.d/vfio-kvm"
#define RUNS 5

/* The real domain of the second measurement; no other guest test uses it. */
#define VM "vmtime"
#define UNIT "vfio-kvm-" VM ".service"
/* Starting a domain under nested emulation is slow, but it ends. */
#define VIRSH "timeout 180 virsh -q"
#define VM_RUNS_MAX 10

/* `hook VM prepare begin` as libvirt runs it; its exit is the unit's READY=1. */
static int hook_prepare_ms(const char *xml, long long *ret)
{
	char out[2048];
	long long t0 = vt_now_ms();
	int r = vt_sh(out, sizeof(out), "timeout 120 " HOOK_PATH " vmt prepare begin - <%s", xml);

	*ret = vt_now_ms() - t0;
	if (r != 0)
		printf("# hook prepare: %s", out);
	if (vt_sh(out, sizeof(out), "timeout 120 " HOOK_PATH " vmt release end - </dev/null") != 0)
		printf("# hook release: %s", out);
	return r == 0 ? 0 : -EIO;
}

static int bare_notify_ms(long long *ret)
{
	char out[2048], self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	long long t0;
	int r;

	if (n <= 0)
		return -errno;
	self[n] = '\0';
	t0 = vt_now_ms();
	r = vt_sh(out, sizeof(out),
	          "timeout 120 systemd-run --quiet --unit=vktest-notify.service -p Type=notify "
	          "%s --notify-ready",
	          self);
	*ret = vt_now_ms() - t0;
	if (r != 0)
		printf("# systemd-run: %s", out);
	vt_sh(NULL, 0, "timeout 60 systemctl stop vktest-notify.service");
	return r == 0 ? 0 : -EIO;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

TEST(hook_prepare_to_ready_against_bare_notify_unit)
{
	_cleanup_(vt_dev_freep) struct vt_dev *kbd = NULL, *mouse = NULL;
	long long hook[RUNS], bare[RUNS];
	char xml[] = "/tmp/vktest-timing.XXXXXX";
	int fd;
	FILE *f;

	ASSERT_EQ(vt_dev_new_keyboard("tkbd", &kbd), 0);
	ASSERT_EQ(vt_dev_new_mouse("tmouse", &mouse), 0);
	fd = mkstemp(xml);
	ASSERT_TRUE(fd >= 0);
	f = fdopen(fd, "w");
	ASSERT_TRUE(f != NULL);
	fprintf(f, "<domain type='kvm'><name>vmt</name><devices>\n"
	           "<input type='passthrough' bus='virtio'><source evdev='" BYID
	           "/vmt-tkbd'/></input>\n"
	           "<input type='passthrough' bus='virtio'><source evdev='" BYID
	           "/vmt-tmouse'/></input>\n"
	           "</devices></domain>\n");
	ASSERT_EQ(fclose(f), 0);

	for (int i = 0; i < RUNS; i++) {
		if (hook_prepare_ms(xml, &hook[i]) < 0 || bare_notify_ms(&bare[i]) < 0) {
			unlink(xml);
			TEST_FAIL("run %d: a start failed", i);
		}
	}
	unlink(xml);
	qsort(hook, RUNS, sizeof(hook[0]), cmp_ll);
	qsort(bare, RUNS, sizeof(bare[0]), cmp_ll);
	printf("# hook prepare->ready: %lld ms; bare systemd-run Type=notify: %lld ms "
	       "(medians of %d; hook %lld..%lld ms, bare %lld..%lld ms)\n",
	       hook[RUNS / 2], bare[RUNS / 2], RUNS, hook[0], hook[RUNS - 1], bare[0],
	       bare[RUNS - 1]);
}

/* --- a real domain: virsh start until the unit is ready ---------------------------------- */

/* What the second measurement made; vm_teardown() undoes it on every path. */
struct vm_time {
	struct vt_dev *kbd, *mouse;
	char xml[64];
};

static void vm_teardown(struct vm_time *t)
{
	/* A destroy runs the release hook, which stops the unit; the rest is for a failure. */
	vt_sh(NULL, 0,
	      VIRSH " domstate " VM " >/dev/null 2>&1 && { " VIRSH " destroy " VM ";"
	            " " VIRSH " undefine " VM "; };"
	            " timeout 60 systemctl stop " UNIT "; systemctl reset-failed " UNIT);
	t->kbd = vt_dev_free(t->kbd);
	t->mouse = vt_dev_free(t->mouse);
	if (t->xml[0])
		unlink(t->xml);
	t->xml[0] = '\0';
}

/* VFIO_KVM_TIMING_RUNS, 1..VM_RUNS_MAX, or 1 when unset; -EINVAL otherwise. */
static int vm_runs(void)
{
	const char *v = getenv("VFIO_KVM_TIMING_RUNS");
	char *end;
	long n;

	if (!v || !*v)
		return 1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > VM_RUNS_MAX)
		return -EINVAL;
	return (int)n;
}

static int vm_define(struct vm_time *t)
{
	char inputs[512];
	int fd;

	snprintf(t->xml, sizeof(t->xml), "/tmp/vktest-" VM ".XXXXXX");
	fd = mkostemp(t->xml, O_CLOEXEC);
	if (fd < 0) {
		t->xml[0] = '\0';
		return -errno;
	}
	close(fd);
	snprintf(inputs, sizeof(inputs),
	         "    <input type='passthrough' bus='virtio'><source evdev='" BYID "/" VM
	         "-%s'/></input>\n"
	         "    <input type='passthrough' bus='virtio'><source evdev='" BYID "/" VM
	         "-%s'/></input>\n",
	         t->kbd->name, t->mouse->name);
	return vt_domain_define(t->xml, VM, NULL, inputs);
}

/* The unit's ActiveEnterTimestampMonotonic (µs of CLOCK_MONOTONIC), or -1. */
static long long unit_ready_us(void)
{
	char out[64], *end;
	long long v;

	if (vt_sh(out, sizeof(out), "systemctl show -P ActiveEnterTimestampMonotonic " UNIT) != 0)
		return -1;
	errno = 0;
	v = strtoll(out, &end, 10);
	if (errno != 0 || end == out || (*end != '\n' && *end != '\0') || v <= 0)
		return -1;
	return v;
}

static bool is_char_device(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

static long long median(const long long *sorted, int n)
{
	return (sorted[(n - 1) / 2] + sorted[n / 2]) / 2;
}

TEST(virsh_start_to_unit_ready)
{
	_cleanup_(vm_teardown) struct vm_time t = {0};
	long long ready[VM_RUNS_MAX], total[VM_RUNS_MAX];
	char out[4096], link[128];
	int runs = vm_runs();

	if (runs < 0)
		TEST_FAIL("VFIO_KVM_TIMING_RUNS='%s' is not a number in 1..%d",
		          getenv("VFIO_KVM_TIMING_RUNS"), VM_RUNS_MAX);
	ASSERT_EQ(vt_dev_new_keyboard("tmkbd", &t.kbd), 0);
	ASSERT_EQ(vt_dev_new_mouse("tmmouse", &t.mouse), 0);
	ASSERT_EQ(vm_define(&t), 0);

	for (int i = 0; i < runs; i++) {
		struct vt_dev *devs[] = {t.kbd, t.mouse};
		long long t0, t1, up;
		int r;

		t0 = vt_now_us();
		r = vt_sh(out, sizeof(out), VIRSH " start " VM);
		t1 = vt_now_us();
		if (r != 0) {
			vt_comment("virsh start", out);
			vt_sh(out, sizeof(out),
			      "journalctl -b -q --no-pager -o cat -n 20 -u " UNIT);
			vt_comment("unit journal", out);
			TEST_FAIL("run %d: virsh start " VM " failed", i);
		}

		/* What a user relies on once virsh start returned. */
		if (vt_sh(out, sizeof(out), "systemctl is-active " UNIT) != 0)
			TEST_FAIL("run %d: " UNIT " is %s after virsh start", i,
			          strtok(out, "\n") ?: "?");
		up = unit_ready_us();
		if (up < t0 || up > t1)
			TEST_FAIL("run %d: unit ready at %lld us, not within virsh start "
			          "(%lld..%lld us)",
			          i, up, t0, t1);
		for (size_t d = 0; d < ARRAY_SIZE(devs); d++) {
			snprintf(link, sizeof(link), BYID "/" VM "-%s", devs[d]->name);
			if (!is_char_device(link))
				TEST_FAIL("run %d: %s is no clone", i, link);
		}
		ready[i] = (up - t0) / 1000;
		total[i] = (t1 - t0) / 1000;

		/* The release hook stops the unit: gone, not failed, and the clones with it. */
		if (vt_sh(out, sizeof(out), VIRSH " destroy " VM) != 0) {
			vt_comment("virsh destroy", out);
			TEST_FAIL("run %d: virsh destroy " VM " failed", i);
		}
		if (vt_wait_sh(VT_TIMEOUT_MS, "test \"$(systemctl show -P ActiveState " UNIT
		                              ")\" = inactive") < 0) {
			vt_sh(out, sizeof(out), "systemctl show -P ActiveState -P Result " UNIT);
			vt_comment("unit state after virsh destroy", out);
			TEST_FAIL("run %d: " UNIT " did not go away", i);
		}
		for (size_t d = 0; d < ARRAY_SIZE(devs); d++) {
			snprintf(link, sizeof(link), BYID "/" VM "-%s", devs[d]->name);
			if (vt_wait_gone(link) < 0)
				TEST_FAIL("run %d: %s is still there after virsh destroy", i, link);
		}
	}
	qsort(ready, (size_t)runs, sizeof(ready[0]), cmp_ll);
	qsort(total, (size_t)runs, sizeof(total[0]), cmp_ll);
	printf("# virsh start->unit ready: %lld ms; virsh start total: %lld ms "
	       "(medians of %d; ready %lld..%lld ms, total %lld..%lld ms)\n",
	       median(ready, runs), median(total, runs), runs, ready[0], ready[runs - 1], total[0],
	       total[runs - 1]);
}

TEST_GLOBALS();

int main(int argc, char **argv)
{
	/* The trivial notifier the hook is measured against. */
	if (argc == 2 && strcmp(argv[1], "--notify-ready") == 0) {
		(void)sd_notify(0, "READY=1");
		pause();
		return 0;
	}
	vt_require_guest();
	return test_run_all(argc, argv);
}
