/* SPDX-License-Identifier: MIT */
/*
 * Guest measurement: how long the installed libvirt hook takes from `prepare
 * begin` until it exits, i.e. until the VM's unit is ready (the helper sent
 * READY=1 with every clone in place), against a bare `systemd-run -p
 * Type=notify` of a program that says READY=1 at once (this program, see
 * main()): the cost of a transient unit alone. Printed as one TAP comment,
 * medians of a few runs; it fails only when a start fails.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "vmtest.h"

#define BYID "/dev/input/by-id"
#define HOOK_LINK "/etc/libvirt/hooks/qemu.d/vfio-kvm"
#define RUNS 5

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* `hook VM prepare begin` as libvirt runs it; its exit is the unit's READY=1. */
static int hook_prepare_ms(const char *xml, long long *ret)
{
	char out[2048];
	long long t0 = now_ms();
	int r = vt_sh(out, sizeof(out), "timeout 120 " HOOK_LINK " vmt prepare begin - <%s", xml);

	*ret = now_ms() - t0;
	if (r != 0)
		printf("# hook prepare: %s", out);
	if (vt_sh(out, sizeof(out), "timeout 120 " HOOK_LINK " vmt release end - </dev/null") != 0)
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
	t0 = now_ms();
	r = vt_sh(out, sizeof(out),
	          "timeout 120 systemd-run --quiet --unit=vktest-notify.service -p Type=notify "
	          "%s --notify-ready",
	          self);
	*ret = now_ms() - t0;
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

struct test_case test_cases[TEST_CASES_MAX];
unsigned test_n_cases;
bool test_failed;

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
