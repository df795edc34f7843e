/* SPDX-License-Identifier: MIT */
/*
 * Why raw read() and not libevdev_next_event(): libevdev reads one more time
 * per batch to learn the queue is empty (a read returning EAGAIN); a read
 * shorter than our buffer already says so. For the same reason libevdev's own
 * SYN_DROPPED sync cannot be used: it needs every event to pass through
 * libevdev_next_event() so that its copy of the device state is current.
 * After SYN_DROPPED we ask the kernel for the state ourselves (EVIOCGKEY,
 * EVIOCGABS, EVIOCGSW) and write the difference to the clone.
 *
 * Key repeat: a uinput clone of a device with EV_REP gets the input core's
 * software repeat (the kernel starts it for any device registered without
 * repeat values; the helper copies the physical delay and period onto the
 * clone). Forwarding the physical device's own value-2 repeats as well would
 * double them, so they are dropped when drop_repeats is set; the clone
 * repeats every key held on it, at the physical rate, and stops at key-up.
 *
 * The clone's key state (clone_keys) is exactly what was written: a key-down
 * for a key already down on the clone, or a key-up for a key not down on it,
 * is not written (the kernel would ignore it anyway). That keeps key-ups
 * balanced whatever the hotkey machine or a focus change did, and lets a frame
 * that held only a swallowed key end up empty and be dropped.
 *
 * Multitouch (type B): the clone's contacts are followed the same way, from
 * each frame as it is committed (its ABS_MT_SLOT and ABS_MT_TRACKING_ID), so
 * that leaving the target ends every one (a contact left live is a finger
 * the guest sees on the pad for ever), and a resync ends those the drop hid
 * the end of. The device's current slot is followed from every event read:
 * after our own slot switches the clone is put back in the device's slot,
 * because the device sends ABS_MT_SLOT only when its slot changes.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "forward.h"

static int forward_ioctl(int fd, unsigned long request, void *arg)
{
	int r = ioctl(fd, request, arg);

	return r < 0 ? -errno : r;
}

void forward_init(struct forward *f, int src_fd, int dst_fd, struct hotkey *hk)
{
	memset(f, 0, sizeof(*f));
	f->src_fd = src_fd;
	f->dst_fd = dst_fd;
	f->hotkey = hk;
	f->mode = FORWARD_OFF;
	f->query = forward_ioctl;
	f->src_slot = f->clone_slot = -1;
	for (size_t i = 0; i < ARRAY_SIZE(f->clone_tracking); i++)
		f->clone_tracking[i] = -1;
}

static bool forward_is_mt(const struct forward *f)
{
	return bit_test(f->abs_axes, ABS_MT_SLOT);
}

/* The clone's slots after out[from, to) is written: its slot switches and contacts. */
static void forward_follow_mt(struct forward *f, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct input_event *ev = &f->out[i];

		if (ev->type != EV_ABS)
			continue;
		if (ev->code == ABS_MT_SLOT)
			f->clone_slot = ev->value;
		else if (ev->code == ABS_MT_TRACKING_ID && f->clone_slot >= 0 &&
			 f->clone_slot < FORWARD_MT_SLOTS_MAX)
			f->clone_tracking[f->clone_slot] = ev->value < 0 ? -1 : ev->value;
	}
}

/* Writes the first n events of out[] in one write(). */
static void forward_write(struct forward *f, size_t n)
{
	ssize_t r;

	do
		r = write(f->dst_fd, f->out, n * sizeof(f->out[0]));
	while (r < 0 && errno == EINTR);
	f->n_writes++;
	if (r < 0)
		f->write_error = -errno;
	else if ((size_t)r != n * sizeof(f->out[0]))
		f->write_error = -EIO;
}

static void forward_host_flush(struct forward *f);

/* Writes the committed frames; a partial frame moves to the front and waits. */
static void forward_flush(struct forward *f)
{
	if (_unlikely_(f->n_host_committed > 0))
		forward_host_flush(f);
	if (f->n_committed == 0)
		return;
	forward_write(f, f->n_committed);
	memmove(f->out, f->out + f->n_committed, (f->n_out - f->n_committed) * sizeof(f->out[0]));
	f->n_out -= f->n_committed;
	f->n_committed = 0;
}

/* Writes the first n events of host_out[] in one write() to the host device. */
static void forward_host_write(struct forward *f, size_t n)
{
	ssize_t r;

	do
		r = write(f->host->fd, f->host_out, n * sizeof(f->host_out[0]));
	while (r < 0 && errno == EINTR);
	f->n_host_writes++;
	if (r < 0)
		f->write_error = -errno;
	else if ((size_t)r != n * sizeof(f->host_out[0]))
		f->write_error = -EIO;
}

static void forward_host_flush(struct forward *f)
{
	if (f->n_host_committed == 0)
		return;
	forward_host_write(f, f->n_host_committed);
	memmove(f->host_out, f->host_out + f->n_host_committed,
		(f->n_host_out - f->n_host_committed) * sizeof(f->host_out[0]));
	f->n_host_out -= f->n_host_committed;
	f->n_host_committed = 0;
}

static void forward_host_put(struct forward *f, uint16_t type, uint16_t code, int32_t value)
{
	if (_unlikely_(f->n_host_out == FORWARD_HOST_OUT_MAX)) {
		if (f->n_host_committed > 0)
			forward_host_flush(f);
		else {
			forward_host_write(f, f->n_host_out);
			f->n_host_out = 0;
		}
	}
	f->host_out[f->n_host_out++] =
		(struct input_event){.type = type, .code = code, .value = value};
}

/* Ends the pending host frame: SYN_REPORT after its keys, if it has any. */
static void forward_host_commit(struct forward *f)
{
	if (f->n_host_out == f->n_host_committed)
		return;
	forward_host_put(f, EV_SYN, SYN_REPORT, 0);
	f->n_host_committed = f->n_host_out;
}

/*
 * Sends a key event to the host device if it belongs there (forward.h): a
 * key-down of a host key not down on the clone, a key-up or repeat of a key
 * down on the host device. Returns true if the event is taken (written, or
 * dropped as a duplicate), false if it is the clone's.
 */
static bool forward_host_key(struct forward *f, unsigned code, int value)
{
	bool on_host = bit_test(f->host_down, code);

	switch (value) {
	case 1:
		if (on_host)
			return true;
		if (!bit_test(f->host->keys, code) || bit_test(f->clone_keys, code))
			return false;
		bit_set(f->host_down, code);
		break;
	case 0:
		if (!on_host)
			return false;
		bit_clear(f->host_down, code);
		break;
	case 2:
		if (!on_host)
			return false;
		break;
	default:
		return on_host;
	}
	forward_host_put(f, EV_KEY, (uint16_t)code, value);
	return true;
}

static void forward_put(struct forward *f, uint16_t type, uint16_t code, int32_t value,
			bool payload)
{
	if (_unlikely_(f->n_out == FORWARD_OUT_MAX)) {
		if (f->n_committed > 0)
			forward_flush(f);
		else {
			/* One frame longer than the buffer: write it in pieces. */
			if (forward_is_mt(f))
				forward_follow_mt(f, 0, f->n_out);
			forward_write(f, f->n_out);
			f->n_out = 0;
		}
	}
	f->out[f->n_out++] = (struct input_event){.type = type, .code = code, .value = value};
	f->frame_payload |= payload;
}

/* Drops the pending partial frame; its keys return to their state before it. */
static void forward_discard_frame(struct forward *f)
{
	for (size_t i = f->n_host_committed; i < f->n_host_out; i++) {
		const struct input_event *ev = &f->host_out[i];

		/* Each host key event written flipped exactly one bit (forward_host_key). */
		if (ev->type == EV_KEY && ev->value == 1)
			bit_clear(f->host_down, ev->code);
		else if (ev->type == EV_KEY && ev->value == 0)
			bit_set(f->host_down, ev->code);
	}
	f->n_host_out = f->n_host_committed;
	for (size_t i = f->n_committed; i < f->n_out; i++) {
		const struct input_event *ev = &f->out[i];

		/* Each key event written flipped exactly one bit (see forward_key). */
		if (ev->type == EV_KEY && ev->code <= KEY_MAX && (ev->value == 0 || ev->value == 1)) {
			if (ev->value)
				bit_clear(f->clone_keys, ev->code);
			else
				bit_set(f->clone_keys, ev->code);
		}
	}
	f->n_out = f->n_committed;
	f->frame_payload = false;
}

static void forward_commit(struct forward *f)
{
	if (_unlikely_(f->n_host_out > f->n_host_committed))
		forward_host_commit(f);
	if (!f->frame_payload) {
		/* Nothing but SYN/MSC (e.g. a swallowed hotkey key): drop the frame. */
		f->n_out = f->n_committed;
		return;
	}
	if (forward_is_mt(f))
		forward_follow_mt(f, f->n_committed, f->n_out);
	forward_put(f, EV_SYN, SYN_REPORT, 0, true);
	f->n_committed = f->n_out;
	f->frame_payload = false;
}

/*
 * ev is the event behind the key change, for its time; NULL for a change
 * synthesized from the device's state (after SYN_DROPPED or a grab). Such a
 * change may complete a hotkey's release, but it must not fire it: another
 * helper that read the real events fired it already, stamped with their
 * time, and ours would have another stamp and make a second switch. The
 * user presses again if nobody saw the press.
 */
static void forward_key(struct forward *f, unsigned code, int value, const struct input_event *ev)
{
	const struct hotkey_binding *fired;

	if (code > KEY_MAX) {
		if (f->mode == FORWARD_ON)
			forward_put(f, EV_KEY, (uint16_t)code, value, true);
		return;
	}
	if (value == 1)
		bit_set(f->src_keys, code);
	else if (value == 0)
		bit_clear(f->src_keys, code);

	if (f->hotkey) {
		bool pass = hotkey_feed(f->hotkey, code, value, &fired);
		if (fired && ev) {
			/* Every helper reading this device sees the same time: the focus
			 * file uses it to switch once per press (focus-file.h). */
			f->fired = fired;
			f->fired_sec = (uint64_t)ev->input_event_sec;
			f->fired_usec = (uint32_t)ev->input_event_usec;
		}
		if (!pass)
			return;
	}
	if (f->mode != FORWARD_ON)
		return;
	if (_unlikely_(f->host != NULL) && forward_host_key(f, code, value))
		return;

	switch (value) {
	case 0:
		if (!bit_test(f->clone_keys, code))
			return;
		bit_clear(f->clone_keys, code);
		break;
	case 1:
		if (bit_test(f->clone_keys, code))
			return;
		bit_set(f->clone_keys, code);
		break;
	case 2:
		if (f->drop_repeats || !bit_test(f->clone_keys, code))
			return;
		break;
	default:
		return;
	}
	forward_put(f, EV_KEY, (uint16_t)code, value, true);
}

/*
 * Puts the clone back in the device's slot after switches of ours (slot: the
 * clone's slot once the pending frame is written), when the device's is known.
 */
static void forward_restore_slot(struct forward *f, int slot)
{
	if (f->src_slot >= 0 && slot != f->src_slot)
		forward_put(f, EV_ABS, ABS_MT_SLOT, f->src_slot, true);
}

/* Ends every contact on the clone, in the pending frame. */
static void forward_end_contacts(struct forward *f)
{
	int slot = -1;

	for (int i = 0; i < FORWARD_MT_SLOTS_MAX; i++)
		if (f->clone_tracking[i] >= 0) {
			forward_put(f, EV_ABS, ABS_MT_SLOT, i, true);
			forward_put(f, EV_ABS, ABS_MT_TRACKING_ID, -1, true);
			slot = i;
		}
	/* Nothing ended: no frame of ours, the clone stays where it is. */
	if (slot >= 0)
		forward_restore_slot(f, slot);
}

/* One EVIOCGMTSLOTS request: an axis's value in each slot. */
struct forward_mt_values {
	uint32_t code;
	int32_t values[FORWARD_MT_SLOTS_MAX];
};

/*
 * The device's slots (EVIOCGMTSLOTS) onto the clone: contacts that are gone
 * are ended, live ones written with the device's axes, and the clone left in
 * the device's slot. A device that cannot say has every contact ended.
 */
static void forward_sync_mt(struct forward *f)
{
	/* The MT axes after ABS_MT_SLOT; index code - ABS_MT_SLOT - 1. */
	struct forward_mt_values axes[ABS_MT_TOOL_Y - ABS_MT_SLOT];
	bool have[ABS_MT_TOOL_Y - ABS_MT_SLOT] = {false};
	struct forward_mt_values *ids = &axes[ABS_MT_TRACKING_ID - ABS_MT_SLOT - 1];
	struct input_absinfo slot_info;
	int n, slot;

	if (f->query(f->src_fd, EVIOCGABS(ABS_MT_SLOT), &slot_info) < 0 ||
	    slot_info.maximum < 0) {
		forward_end_contacts(f);
		return;
	}
	n = slot_info.maximum < FORWARD_MT_SLOTS_MAX ? slot_info.maximum + 1
						      : FORWARD_MT_SLOTS_MAX;
	for (unsigned code = ABS_MT_SLOT + 1; code <= ABS_MT_TOOL_Y; code++) {
		struct forward_mt_values *v = &axes[code - ABS_MT_SLOT - 1];

		if (!bit_test(f->abs_axes, code) && code != ABS_MT_TRACKING_ID)
			continue;
		v->code = code;
		have[code - ABS_MT_SLOT - 1] =
			f->query(f->src_fd,
				 EVIOCGMTSLOTS(sizeof(v->code) + (size_t)n * sizeof(v->values[0])),
				 v) >= 0;
	}
	if (!have[ABS_MT_TRACKING_ID - ABS_MT_SLOT - 1]) {
		forward_end_contacts(f);
		return;
	}
	f->src_slot = slot_info.value;

	slot = f->clone_slot;
	for (int i = 0; i < n; i++) {
		bool live = ids->values[i] >= 0;

		if (!live && f->clone_tracking[i] < 0)
			continue;
		forward_put(f, EV_ABS, ABS_MT_SLOT, i, true);
		slot = i;
		forward_put(f, EV_ABS, ABS_MT_TRACKING_ID, live ? ids->values[i] : -1, true);
		if (!live)
			continue;
		for (unsigned code = ABS_MT_SLOT + 1; code <= ABS_MT_TOOL_Y; code++)
			if (code != ABS_MT_TRACKING_ID && have[code - ABS_MT_SLOT - 1])
				forward_put(f, EV_ABS, (uint16_t)code,
					    axes[code - ABS_MT_SLOT - 1].values[i], true);
	}
	forward_restore_slot(f, slot);
}

/*
 * The sync point after SYN_DROPPED (or a grab): the pending frame is empty.
 * Key changes the drop hid go through forward_key like real events, so the
 * hotkey machine and the clone both follow; then the clone is reconciled
 * with the device directly, and axes and switches are restored.
 */
static void forward_sync(struct forward *f)
{
	unsigned long phys[BITSET_LONGS(KEY_CNT)] = {0};
	bool known = f->query(f->src_fd, EVIOCGKEY(sizeof(phys)), phys) >= 0;

	/* Unknown state (not an evdev fd): treat every key as released, the safe side. */
	if (!known)
		memset(phys, 0, sizeof(phys));

	for (size_t w = 0; w < ARRAY_SIZE(phys); w++) {
		unsigned long diff = phys[w] ^ f->src_keys[w];

		while (diff) {
			unsigned bit = (unsigned)__builtin_ctzl(diff);
			unsigned code = (unsigned)(w * BITS_PER_LONG + bit);

			diff &= diff - 1;
			forward_key(f, code, bit_test(phys, code) ? 1 : 0, NULL);
		}
	}

	if (f->mode != FORWARD_ON)
		return;

	if (forward_is_mt(f)) {
		if (known)
			forward_sync_mt(f);
		else
			forward_end_contacts(f);
	}

	for (unsigned code = 0; code <= KEY_MAX; code++) {
		bool down = bit_test(phys, code);

		/* A host key is down on the host device or the clone, never on both. */
		if (f->host && bit_test(f->host_down, code)) {
			if (!down)
				(void)forward_host_key(f, code, 0);
			continue;
		}
		if (bit_test(f->clone_keys, code) == down)
			continue;
		if (down && f->hotkey && hotkey_is_swallowed(f->hotkey, code))
			continue;
		if (down && f->host && forward_host_key(f, code, 1))
			continue;
		if (down)
			bit_set(f->clone_keys, code);
		else
			bit_clear(f->clone_keys, code);
		forward_put(f, EV_KEY, (uint16_t)code, down, true);
	}

	if (known) {
		/* The slots' axes came above: EVIOCGABS sees only the current slot. */
		for (unsigned code = 0; code < ABS_MT_SLOT; code++) {
			struct input_absinfo abs;

			if (bit_test(f->abs_axes, code) &&
			    f->query(f->src_fd, EVIOCGABS(code), &abs) >= 0)
				forward_put(f, EV_ABS, (uint16_t)code, abs.value, true);
		}
		if (f->switches[0]) {
			unsigned long sw[BITSET_LONGS(SW_CNT)] = {0};

			if (f->query(f->src_fd, EVIOCGSW(sizeof(sw)), sw) >= 0)
				for (unsigned code = 0; code <= SW_MAX; code++)
					if (bit_test(f->switches, code))
						forward_put(f, EV_SW, (uint16_t)code,
							    bit_test(sw, code), true);
		}
	}
	forward_commit(f);
}

static void forward_event(struct forward *f, const struct input_event *ev)
{
	if (_unlikely_(f->discarding)) {
		/* Kernel semantics: after SYN_DROPPED, ignore up to the next SYN_REPORT. */
		if (ev->type == EV_SYN && ev->code == SYN_REPORT) {
			f->discarding = false;
			forward_sync(f);
		}
		return;
	}

	switch (ev->type) {
	case EV_SYN:
		if (ev->code == SYN_REPORT) {
			if (f->mode == FORWARD_ON)
				forward_commit(f);
		} else if (ev->code == SYN_DROPPED) {
			forward_discard_frame(f);
			f->discarding = true;
		} else if (ev->code == SYN_MT_REPORT && f->mode == FORWARD_ON) {
			/* An empty type-A MT frame means "all contacts lifted": payload. */
			forward_put(f, EV_SYN, SYN_MT_REPORT, 0, true);
		}
		return;
	case EV_KEY:
		forward_key(f, ev->code, ev->value, ev);
		return;
	case EV_MSC:
		if (f->mode == FORWARD_ON) {
			forward_put(f, ev->type, ev->code, ev->value, false);
			f->echo_pending = true;
		}
		return;
	case EV_ABS:
		/* Followed without focus too: the clone is put back in it after a resync. */
		if (ev->code == ABS_MT_SLOT)
			f->src_slot = ev->value;
		if (f->mode == FORWARD_ON)
			forward_put(f, ev->type, ev->code, ev->value, true);
		return;
	case EV_REL:
	case EV_SW:
		if (f->mode == FORWARD_ON)
			forward_put(f, ev->type, ev->code, ev->value, true);
		return;
	default:
		/*
		 * EV_LED, EV_SND, EV_REP, EV_FF…: state the target owns and writes
		 * to its clone, or settings; echoing the host's would fight it.
		 */
		return;
	}
}

/* Reads at most max_reads batches; stops early at a short read (queue drained). */
static int forward_batch(struct forward *f, unsigned max_reads)
{
	struct input_event in[FORWARD_READ_MAX];

	for (unsigned i = 0; i < max_reads; i++) {
		ssize_t n = read(f->src_fd, in, sizeof(in));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		if (n == 0)
			return -ENODEV;
		for (size_t k = 0; k < (size_t)n / sizeof(in[0]); k++)
			forward_event(f, &in[k]);
		if ((size_t)n % sizeof(in[0]) != 0)
			return -EIO;
		if ((size_t)n < sizeof(in))
			return 0;
	}
	return 0;
}

int forward_read(struct forward *f)
{
	int r = forward_batch(f, FORWARD_READS_MAX);

	forward_flush(f);
	return r;
}

int forward_drain(struct forward *f)
{
	enum forward_mode mode = f->mode;
	int r;

	f->mode = FORWARD_OFF;
	/* Bounded: a person cannot outpace these reads; a broken device must not hang us. */
	r = forward_batch(f, 1024);
	f->mode = mode;
	f->fired = NULL;
	return r;
}

int forward_resync(struct forward *f)
{
	f->write_error = 0;
	forward_discard_frame(f);
	forward_sync(f);
	forward_flush(f);
	return f->write_error;
}

int forward_release(struct forward *f)
{
	f->write_error = 0;
	forward_discard_frame(f);
	if (forward_is_mt(f))
		forward_end_contacts(f);
	for (unsigned code = 0; code <= KEY_MAX; code++) {
		if (bit_test(f->clone_keys, code)) {
			bit_clear(f->clone_keys, code);
			forward_put(f, EV_KEY, (uint16_t)code, 0, true);
		}
		if (f->host && bit_test(f->host_down, code))
			(void)forward_host_key(f, code, 0);
	}
	if (f->frame_payload || f->n_host_out > f->n_host_committed)
		forward_commit(f);
	forward_flush(f);
	return f->write_error;
}

int forward_release_host(struct forward *f)
{
	if (!f->host)
		return 0;
	f->write_error = 0;
	for (unsigned code = 0; code <= KEY_MAX; code++)
		if (bit_test(f->host_down, code))
			(void)forward_host_key(f, code, 0);
	if (f->n_host_out > f->n_host_committed)
		forward_host_commit(f);
	if (f->n_host_committed > 0)
		forward_host_flush(f);
	return f->write_error;
}

int forward_device_keys_down(const struct forward *f)
{
	unsigned long keys[BITSET_LONGS(KEY_CNT)] = {0};

	int r = f->query(f->src_fd, EVIOCGKEY(sizeof(keys)), keys);

	if (r < 0)
		return r;
	for (size_t w = 0; w < ARRAY_SIZE(keys); w++)
		if (keys[w])
			return 1;
	return 0;
}
