/* SPDX-License-Identifier: MIT */
/*
 * Shared parts of the guest tests: "physical" devices made with uinput, the
 * helper run as a transient systemd unit, and bounded reads from its clones.
 * These tests change the system (units, /dev/input/by-id) and so run only in
 * the disposable test guest (VFIO_KVM_GUEST=1); elsewhere they skip.
 */
#pragma once

#include <linux/input.h>
#include <stdbool.h>
#include <stddef.h>

#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>

#include "macro.h"

/* How long any one wait in a guest test may take: TCG is slow, not stuck. */
#define VT_TIMEOUT_MS 10000

/* What a guest test takes as proof that nothing arrives: a bound, not a wait. */
#define VT_QUIET_MS 1000

/* CLOCK_MONOTONIC in µs and in ms. */
long long vt_now_us(void);
long long vt_now_ms(void);

/* Prints TEXT (command output, say) under "# WHAT:" as TAP comments, a line each. */
void vt_comment(const char *what, const char *text);

/*
 * Writes PATH: a libvirt domain named VM without disk or network (under
 * emulation it sits in the firmware, which is enough), with METADATA (NULL:
 * none) in <domain> and INPUTS in <devices>, and runs `virsh define PATH`
 * (its output as TAP comments when it fails). Returns 0 or a negative errno.
 */
int vt_domain_define(const char *path, const char *vm, const char *metadata, const char *inputs);

/* Only writes the domain XML of vt_domain_define() to PATH: for `virsh create`. */
int vt_domain_write(const char *path, const char *vm, const char *metadata, const char *inputs);

/* A "physical" input device made with uinput, reachable as BYID. */
struct vt_dev {
	struct libevdev_uinput *uidev;
	char *node;     /* /dev/input/eventN */
	char *byid;     /* /dev/input/by-id/<name> -> node */
	char *name;     /* <name>, the part the clone's link is named after */
};

/*
 * Skips the whole program (TAP "1..0 # SKIP") unless it runs as root in the
 * test guest with /dev/uinput. Returns only when the tests can run.
 */
void vt_require_guest(void);

/* TEST_MAIN() for a guest test: runs the tests only in the guest. */
#define VT_TEST_MAIN()                                                                             \
	TEST_GLOBALS();                                                                            \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		vt_require_guest();                                                                \
		return test_run_all(argc, argv);                                                   \
	}

/*
 * Creates a keyboard (letters, modifiers, volume and mute, LEDs, autorepeat) or a mouse
 * (relative X/Y/wheels, three buttons) named "vktest <name>", with fixed
 * USB IDs, and links /dev/input/by-id/<name> to it. Returns 0 and a device
 * the caller frees with vt_dev_free(), or a negative errno.
 */
int vt_dev_new_keyboard(const char *name, struct vt_dev **ret);
int vt_dev_new_mouse(const char *name, struct vt_dev **ret);

/* A keyboard as above whose link is DIR/<name> instead (a by-path link, say). */
int vt_dev_new_keyboard_in(const char *dir, const char *name, struct vt_dev **ret);

/* Destroys the device and removes its link. Accepts NULL, returns NULL. */
struct vt_dev *vt_dev_free(struct vt_dev *dev);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vt_dev *, vt_dev_free)

/* Writes one event to the device. Returns 0 or a negative errno. */
int vt_dev_emit(struct vt_dev *dev, unsigned type, unsigned code, int value);

/* Writes one event and a SYN_REPORT: a whole frame. Returns 0 or -errno. */
int vt_dev_frame(struct vt_dev *dev, unsigned type, unsigned code, int value);

/* A helper run as the transient unit vktest-<vm>.service. */
struct vt_helper {
	char unit[64];
	char vm[32];
};

/*
 * Starts the helper for VM with one --device per entry of DEVS (each cloned
 * as /dev/input/by-id/<vm>-<dev>), with --focus if FOCUS, through
 * `systemd-run -p Type=notify`, which returns once the helper sent READY=1.
 * The unit stays loaded after the helper exits, so its result can be read.
 * Returns 0 or a negative errno (the unit failed or timed out).
 */
int vt_helper_start(struct vt_helper *h, const char *vm, struct vt_dev *const *devs, size_t n_devs,
		    bool focus);

/*
 * vt_helper_start() with OPTS[i] appended to device i's --device argument
 * (",focus=always"; OPTS NULL or an entry NULL: nothing) and the
 * NULL-terminated EXTRA arguments (NULL: none) after the others. Each
 * device is given as /dev/input/by-id/<name>, wherever its link is.
 */
int vt_helper_start_with(struct vt_helper *h, const char *vm, struct vt_dev *const *devs,
			 const char *const *opts, size_t n_devs, bool focus,
			 const char *const *extra);

/* Stops the unit and forgets it; for cleanup, errors ignored. Accepts NULL. */
void vt_helper_stop(struct vt_helper *h);

/* Sends SIG to the helper's main process. Returns 0 or a negative errno. */
int vt_helper_kill(struct vt_helper *h, int sig);

/*
 * Waits (bounded) until the helper's process has exited, then stores its
 * systemd Result ("success", "signal", …) in RESULT (size N). Returns 0,
 * -ETIMEDOUT or a negative errno.
 */
int vt_helper_wait_exit(struct vt_helper *h, char *result, size_t n);

/* Returns the clone link's path for DEV under H: /dev/input/by-id/<vm>-<dev>. */
const char *vt_clone_link(const struct vt_helper *h, const struct vt_dev *dev, char *buf, size_t n);

/*
 * Opens the clone of DEV (through its link) for reading, non-blocking.
 * Returns the fd, or a negative errno.
 */
int vt_clone_open(const struct vt_helper *h, const struct vt_dev *dev);

/*
 * Reads the next event from FD, waiting at most TIMEOUT_MS. Returns 0,
 * -ETIMEDOUT when nothing came, -ENODEV when the device went away, or another
 * negative errno.
 */
int vt_read_event(int fd, struct input_event *ret, int timeout_ms);

/*
 * Reads events from FD until one equal to TYPE/CODE/VALUE came (stored
 * before it in SEEN, at most N_SEEN, count in *RET_N if not NULL). Returns
 * 0, -ETIMEDOUT or a negative errno.
 */
int vt_read_until(int fd, unsigned type, unsigned code, int value, struct input_event *seen,
		  size_t n_seen, size_t *ret_n);

/* Discards what FD has queued now. Returns how many events, or -errno. */
int vt_drain(int fd);

/*
 * Tells whether someone holds an EVIOCGRAB on NODE: 1 grabbed, 0 free, or a
 * negative errno. Takes the grab for a moment when it is free.
 */
int vt_is_grabbed(const char *node);

/* Waits (bounded) until vt_is_grabbed(NODE) == WANT. Returns 0 or -ETIMEDOUT. */
int vt_wait_grabbed(const char *node, bool want);

/* Waits (bounded) until PATH no longer resolves. Returns 0 or -ETIMEDOUT. */
int vt_wait_gone(const char *path);

/* Returns how many keys FD's device reports held (EVIOCGKEY), or -errno. */
int vt_keys_down(int fd);

/*
 * Whether FD's device reports CODE held (EVIOCGKEY): 1, 0 or -errno. The
 * key state tells what reached a device that someone else (QEMU) has grabbed.
 */
int vt_key_down(int fd, unsigned code);

/* Waits at most TIMEOUT_MS until vt_key_down(FD, CODE) == DOWN. Returns 0, -ETIMEDOUT or -errno. */
int vt_wait_key(int fd, unsigned code, bool down, int timeout_ms);

/*
 * Releases every key DEV reports held, a frame each: what a failed test left
 * down must not hold back the next one's grab. Returns 0 or a negative errno.
 */
int vt_dev_release_held(struct vt_dev *dev);

/*
 * Opens the host-keys device of VM ("vfio-kvm host keys (<vm>)", found by its
 * name in sysfs) for reading, non-blocking; its node goes to NODE (size N).
 * Returns the fd, -ENOENT when there is none, or another negative errno.
 */
int vt_host_keys_open(const char *vm, char *node, size_t n);

/*
 * Presses KEYS (N of them) on DEV in order, one frame each, then releases
 * them in reverse order: a hotkey typed the way a person types it.
 * Returns 0 or a negative errno.
 */
int vt_dev_combo(struct vt_dev *dev, const unsigned *keys, size_t n);

/*
 * Runs the command FMT (printf-style) with /bin/sh -c, stdin from /dev/null,
 * and collects its stdout and stderr into OUT (size N, always NUL-terminated,
 * cut short when longer; OUT may be NULL to discard them). The command must
 * bound itself (timeout(1)). Returns its exit status (128 + signal when
 * killed) or a negative errno.
 */
int vt_sh(char *out, size_t n, const char *fmt, ...) _printf_(3, 4);

/*
 * Re-runs the command FMT until it exits 0, at most TIMEOUT_MS: for state of
 * other daemons that nothing here can wait on. Returns 0, -ETIMEDOUT or a
 * negative errno.
 */
int vt_wait_sh(int timeout_ms, const char *fmt, ...) _printf_(2, 3);

/*
 * Waits (bounded) until `vfio-kvm status --json` says focus is on TARGET
 * ("host" or a VM name) and, for each of the running VMS (N_VMS of them, each
 * with the clones /dev/input/by-id/<vm>-<dev name> of DEVS), that its helper
 * holds the grab of every physical device if it is TARGET and of none
 * otherwise. Returns 0, or -ETIMEDOUT after printing the last status as TAP
 * comments.
 */
int vt_wait_focus(const char *target, const char *const *vms, size_t n_vms,
		  struct vt_dev *const *devs, size_t n_devs);
