/* SPDX-License-Identifier: MIT */
/*
 * The hot path: physical evdev fd → clone's uinput fd. It works on plain fds
 * (tests feed it pipes) and never allocates, logs, or makes a syscall per
 * event. Per wakeup: read() raw events in batches, copy whole frames (up to
 * SYN_REPORT) into an output buffer, and write every committed frame with one
 * write(); a partial frame waits for the next batch.
 */
#pragma once

#include <linux/input.h>
#include <stdbool.h>
#include <stdint.h>

#include "hotkey.h"
#include "macro.h"

enum forward_mode {
	FORWARD_OFF,  /* no focus: read (for hotkeys) but write nothing */
	FORWARD_WAIT, /* focus, not grabbed yet: keys were down; write nothing */
	FORWARD_ON,   /* focus, grabbed: forward */
};

/* Events per read(); a shorter read means the kernel queue is drained. */
#define FORWARD_READ_MAX 64
/* Events buffered for one write(); a longer frame is written in pieces. */
#define FORWARD_OUT_MAX 256
/* read()s per wakeup before other sources get their turn (the fd stays readable). */
#define FORWARD_READS_MAX 8
/* Host-key events buffered for one write() to the host device. */
#define FORWARD_HOST_OUT_MAX 64

/*
 * Host keys (helper/host-keys.h): while a source is forwarded, a key-down of
 * a code in keys goes to the host device fd instead of the clone. Shared by
 * every source of a helper; the forwarder never changes it.
 */
struct forward_host {
	int fd;                                     /* the host device's uinput fd; not owned */
	unsigned long keys[BITSET_LONGS(KEY_CNT)];  /* the codes routed to it */
};

/*
 * Multitouch slots followed on the clone; a device's slots beyond these are
 * neither tracked nor ended (their events still pass).
 */
#define FORWARD_MT_SLOTS_MAX 64

struct forward {
	int src_fd;                  /* physical device, O_NONBLOCK; not owned */
	int dst_fd;                  /* clone's uinput fd; not owned */
	struct hotkey *hotkey;       /* NULL: this source cannot complete a hotkey */
	enum forward_mode mode;
	bool drop_repeats;           /* the clone repeats keys itself (EV_REP) */
	bool discarding;             /* after SYN_DROPPED, until the next SYN_REPORT */
	bool frame_payload;          /* the pending frame holds more than SYN/MSC */
	bool echo_pending;           /* EV_MSC was written: the input core hands it back to
				      * the uinput fd; the caller reads it now, or the fd
				      * wakes the loop once more per frame */
	const struct hotkey_binding *fired; /* set when a hotkey fired; the caller clears it */
	uint64_t fired_sec;          /* time of the event that fired it: after SYN_DROPPED */
	uint32_t fired_usec;         /* the SYN_REPORT ending the gap; 0 in forward_resync */
	int write_error;             /* last failed write (-errno), for the caller to log once */
	/* Device state queries (EVIOCG*): ioctl(2), as 0/positive or -errno; tests replace it. */
	int (*query)(int fd, unsigned long request, void *arg);
	uint64_t n_writes;           /* write() calls on dst_fd: for tests and benchmarks */
	size_t n_out;                /* events in out[] */
	size_t n_committed;          /* events of complete frames at the start of out[] */
	unsigned long abs_axes[BITSET_LONGS(ABS_CNT)];  /* axes restored after SYN_DROPPED */
	unsigned long switches[BITSET_LONGS(SW_CNT)];   /* switches restored after SYN_DROPPED */
	unsigned long src_keys[BITSET_LONGS(KEY_CNT)];  /* down on the source, as read */
	unsigned long clone_keys[BITSET_LONGS(KEY_CNT)]; /* down on the clone, as written */
	/* Multitouch (abs_axes has ABS_MT_SLOT): what the clone was written, to end its contacts. */
	int src_slot;                /* the device's current slot, as read (-1: unknown) */
	int clone_slot;              /* the clone's current slot, as written (-1: unknown) */
	int32_t clone_tracking[FORWARD_MT_SLOTS_MAX]; /* ABS_MT_TRACKING_ID per slot (-1: none) */
	struct input_event out[FORWARD_OUT_MAX];
	/* Host keys: NULL for none. Same frame rules as out[], on the host device. */
	const struct forward_host *host;
	unsigned long host_down[BITSET_LONGS(KEY_CNT)]; /* down on the host device, as written */
	uint64_t n_host_writes;      /* write() calls on host->fd */
	size_t n_host_out;           /* events in host_out[] */
	size_t n_host_committed;     /* events of complete frames at the start of host_out[] */
	struct input_event host_out[FORWARD_HOST_OUT_MAX];
};

/*
 * Sets up *f for src_fd → dst_fd, mode FORWARD_OFF, nothing down, no contact
 * on the clone, device state queried with ioctl(2), no host keys. hk (may be
 * NULL) is shared by the sources of one helper and must outlive f. The
 * caller then sets drop_repeats, abs_axes (ABS_MT_SLOT among them makes the
 * clone's contacts followed), switches from the device's capabilities, and
 * host (which must outlive f).
 *
 * Host keys, in FORWARD_ON only (without focus the host reads the device
 * itself): a key-down of a host key goes to host->fd, every other event to
 * the clone. A key-up or repeat goes where its key is down (host_down or
 * clone_keys), so key-ups follow their key-downs even if host->keys changes
 * between them; a key-down already down on either side is not written.
 * Repeats go to the host device as the device sends them (it has no
 * repeat of its own). Each side gets its committed frames in one write()
 * per forward_read().
 */
void forward_init(struct forward *f, int src_fd, int dst_fd, struct hotkey *hk);

/*
 * Reads what src_fd has (at most FORWARD_READS_MAX reads), then writes the
 * committed frames with one write(). Returns 0, or a negative errno when
 * reading failed (-ENODEV: device gone, or EOF on a pipe); a failed write
 * sets write_error instead, so reading goes on.
 */
int forward_read(struct forward *f);

/*
 * Reads src_fd until it is empty and forwards nothing (hotkeys and the key
 * state are still tracked; a hotkey firing here is dropped): events queued
 * before a grab were seen by the host. Returns 0 or a negative errno.
 */
int forward_drain(struct forward *f);

/*
 * Brings the clone in line with the device (EVIOCGKEY/EVIOCGABS/EVIOCGSW;
 * EVIOCGMTSLOTS for multitouch slots: contacts gone are ended, live ones
 * written with their position, and the clone's slot set to the device's) and
 * writes that frame now. If the device cannot be queried, every key down and
 * every contact on the clone is ended instead. Returns 0 or a negative errno
 * (write).
 */
int forward_resync(struct forward *f);

/*
 * Drops the pending partial frame and ends every contact on the clone
 * (ABS_MT_SLOT n, ABS_MT_TRACKING_ID -1 for each slot with one), writes a
 * key-up for every key down on it (BTN_TOUCH, BTN_TOOL_* among them), then
 * SYN_REPORT, in one write (none if nothing is down); the same for the keys
 * this source holds down on the host device, in one write to it. Returns 0
 * or a negative errno.
 */
int forward_release(struct forward *f);

/*
 * Writes a key-up for every key this source holds down on the host device,
 * then SYN_REPORT, in one write to it (none if nothing is down there), and
 * leaves the clone alone: before the host device is replaced. Returns 0 or a
 * negative errno.
 */
int forward_release_host(struct forward *f);

/* 1 if the device reports keys down (EVIOCGKEY), 0 if none, or a negative errno. */
int forward_device_keys_down(const struct forward *f);
