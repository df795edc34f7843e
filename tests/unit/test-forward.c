/* SPDX-License-Identifier: MIT */
/*
 * The forwarding hot path fed through pipes: a pipe stands in for the
 * physical device (ioctls fail on it, so SYN_DROPPED takes the "release
 * everything" branch) and another for the clone's uinput fd. What reaches
 * the clone is written as text: "+A" key down, "-A" up, "=A" repeat, "R0:5"
 * EV_REL code 0 value 5, "M4:30" EV_MSC, "A0:7" EV_ABS, "." SYN_REPORT.
 * Buttons go without BTN_: "+TOUCH". Multitouch codes: A47 ABS_MT_SLOT, A53/A54
 * ABS_MT_POSITION_X/Y, A57 ABS_MT_TRACKING_ID. The multitouch tests answer the
 * device state queries from a fake touchpad (fake_query).
 */
#include <fcntl.h>
#include <signal.h>
#include <libevdev/libevdev.h>
#include <unistd.h>

#include "../test.h"
#include "forward.h"

TEST_MAIN();

struct rig {
	int src[2]; /* [1]: the test writes "device" events; [0]: forward reads */
	int dst[2]; /* [1]: forward writes; [0]: the test reads the "clone" */
	struct hotkey hk;
	struct forward f;
};

static void rig_open(struct rig *r, bool hotkeys, enum forward_mode mode)
{
	struct hotkey_binding b = {.action = HOTKEY_CYCLE};

	if (pipe2(r->src, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(r->dst, O_CLOEXEC | O_NONBLOCK) < 0)
		abort();
	if (keyset_parse("KEY_LEFTCTRL+KEY_RIGHTCTRL", 26, &b.keys, NULL) < 0 ||
	    hotkey_init(&r->hk, &b, 1) < 0)
		abort();
	forward_init(&r->f, r->src[0], r->dst[1], hotkeys ? &r->hk : NULL);
	r->f.mode = mode;
	r->f.drop_repeats = true;
}

static void rig_close(struct rig *r)
{
	for (int i = 0; i < 2; i++) {
		safe_close(r->src[i]);
		safe_close(r->dst[i]);
	}
}

/* Writes events to the "device" in one write (the kernel hands them over the same way). */
static void rig_send(struct rig *r, const char *script)
{
	struct input_event evs[512];
	size_t n = 0;
	char buf[4096], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", script);
	for (char *t = strtok_r(buf, " ", &save); t && n < ARRAY_SIZE(evs);
	     t = strtok_r(NULL, " ", &save)) {
		struct input_event *ev = &evs[n++];
		char name[64];

		*ev = (struct input_event){0};
		if (strcmp(t, ".") == 0) {
			ev->type = EV_SYN;
			ev->code = SYN_REPORT;
		} else if (strcmp(t, "DROP") == 0) {
			ev->type = EV_SYN;
			ev->code = SYN_DROPPED;
		} else if (t[0] == '+' || t[0] == '-' || t[0] == '=') {
			int code;

			snprintf(name, sizeof(name), "KEY_%s", t + 1);
			code = libevdev_event_code_from_name(EV_KEY, name);
			if (code < 0) {
				snprintf(name, sizeof(name), "BTN_%s", t + 1);
				code = libevdev_event_code_from_name(EV_KEY, name);
			}
			if (code < 0)
				abort();
			ev->type = EV_KEY;
			ev->code = (uint16_t)code;
			ev->value = t[0] == '+' ? 1 : t[0] == '-' ? 0 : 2;
		} else {
			unsigned code;
			int value;

			if (sscanf(t + 1, "%u:%d", &code, &value) != 2)
				abort();
			ev->type = t[0] == 'R' ? EV_REL : t[0] == 'A' ? EV_ABS : t[0] == 'L' ? EV_LED
											: EV_MSC;
			ev->code = (uint16_t)code;
			ev->value = value;
		}
	}
	if (write(r->src[1], evs, n * sizeof(evs[0])) != (ssize_t)(n * sizeof(evs[0])))
		abort();
}

/* Everything the fd (the "clone", or the "host device") received so far, as text. */
static void rig_recv_fd(int fd, char *out, size_t size)
{
	struct input_event evs[1024];
	ssize_t n = read(fd, evs, sizeof(evs));
	size_t used = 0;

	out[0] = '\0';
	for (ssize_t i = 0; i < n / (ssize_t)sizeof(evs[0]); i++) {
		const struct input_event *ev = &evs[i];
		const char *sep = used ? " " : "";
		const char *name;

		if (ev->type == EV_SYN && ev->code == SYN_REPORT)
			used += (size_t)snprintf(out + used, size - used, "%s.", sep);
		else if (ev->type == EV_KEY) {
			name = libevdev_event_code_get_name(EV_KEY, ev->code);
			used += (size_t)snprintf(out + used, size - used, "%s%c%s", sep,
						 ev->value == 1 ? '+' : ev->value == 0 ? '-' : '=',
						 name ? name + 4 : "?");
		} else
			used += (size_t)snprintf(out + used, size - used, "%s%c%u:%d", sep,
						 ev->type == EV_REL ? 'R' : ev->type == EV_ABS ? 'A'
						 : ev->type == EV_MSC ? 'M' : '?',
						 ev->code, ev->value);
		if (used >= size)
			abort();
	}
}

static void rig_recv(struct rig *r, char *out, size_t size)
{
	rig_recv_fd(r->dst[0], out, size);
}

#define EXPECT_CLONE(r, expected)                                                                  \
	do {                                                                                       \
		char _out[16384];                                                                  \
		rig_recv(r, _out, sizeof(_out));                                                   \
		ASSERT_STREQ(_out, expected);                                                      \
	} while (0)

/* A host device (a pipe) for the rig's forwarder, taking the keys named (without KEY_). */
struct host_rig {
	int pipe[2]; /* [1]: forward writes; [0]: the test reads the "host device" */
	struct forward_host host;
};

static void host_rig_open(struct host_rig *h, struct rig *r, const char *const *keys)
{
	if (pipe2(h->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		abort();
	h->host = (struct forward_host){.fd = h->pipe[1]};
	for (; *keys; keys++) {
		char name[64];
		int code;

		snprintf(name, sizeof(name), "KEY_%s", *keys);
		code = libevdev_event_code_from_name(EV_KEY, name);
		if (code < 0)
			abort();
		bit_set(h->host.keys, (unsigned)code);
	}
	r->f.host = &h->host;
}

static void host_rig_close(struct host_rig *h)
{
	safe_close(h->pipe[0]);
	safe_close(h->pipe[1]);
}

#define EXPECT_HOST(h, expected)                                                                   \
	do {                                                                                       \
		char _out[16384];                                                                  \
		rig_recv_fd((h)->pipe[0], _out, sizeof(_out));                                     \
		ASSERT_STREQ(_out, expected);                                                      \
	} while (0)

TEST(frames_arrive_whole_and_in_order_one_write)
{
	struct rig r;

	rig_open(&r, false, FORWARD_ON);
	rig_send(&r, "+A . -A . R0:5 R1:-3 . M4:30 +B .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "+A . -A . R0:5 R1:-3 . M4:30 +B .");
	ASSERT_EQ(r.f.n_writes, 1);
	/* Nothing new: no write at all. */
	ASSERT_EQ(forward_read(&r.f), 0);
	ASSERT_EQ(r.f.n_writes, 1);
	rig_close(&r);
}

TEST(partial_frame_held_back_until_syn_report)
{
	struct rig r;

	rig_open(&r, false, FORWARD_ON);
	rig_send(&r, "R0:1 . +A R0:2");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "R0:1 .");
	ASSERT_EQ(r.f.n_writes, 1);
	rig_send(&r, "R1:3");
	ASSERT_EQ(forward_read(&r.f), 0);
	ASSERT_EQ(r.f.n_writes, 1);
	rig_send(&r, ". -A .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "+A R0:2 R1:3 . -A .");
	ASSERT_EQ(r.f.n_writes, 2);
	rig_close(&r);
}

TEST(hotkey_frame_dropped_and_fires)
{
	struct rig r;

	rig_open(&r, true, FORWARD_ON);
	rig_send(&r, "M4:29 +LEFTCTRL . M4:97 +RIGHTCTRL . =RIGHTCTRL . M4:97 -RIGHTCTRL .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "M4:29 +LEFTCTRL .");
	ASSERT_TRUE(r.f.fired == NULL);
	rig_send(&r, "M4:29 -LEFTCTRL .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "M4:29 -LEFTCTRL .");
	ASSERT_TRUE(r.f.fired != NULL);
	ASSERT_EQ(r.f.fired->action, HOTKEY_CYCLE);
	rig_close(&r);
}

TEST(swallowed_key_in_a_frame_with_others)
{
	struct rig r;

	rig_open(&r, true, FORWARD_ON);
	/* Both ctrls in one frame: the frame stays, without the completing key. */
	rig_send(&r, "+LEFTCTRL +RIGHTCTRL . -LEFTCTRL -RIGHTCTRL .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "+LEFTCTRL . -LEFTCTRL .");
	ASSERT_TRUE(r.f.fired != NULL);
	rig_close(&r);
}

TEST(repeats_dropped_when_clone_repeats_itself)
{
	struct rig r;

	rig_open(&r, false, FORWARD_ON);
	rig_send(&r, "+A . =A . =A . -A .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "+A . -A .");
	r.f.drop_repeats = false;
	rig_send(&r, "+A . =A . -A . =A .");
	ASSERT_EQ(forward_read(&r.f), 0);
	/* A repeat of a key not down on the clone is never written. */
	EXPECT_CLONE(&r, "+A . =A . -A .");
	rig_close(&r);
}

TEST(clone_key_state_filters_unbalanced_events)
{
	struct rig r;

	rig_open(&r, false, FORWARD_ON);
	rig_send(&r, "-Z . +A . +A . -A . -A .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "+A . -A .");
	rig_close(&r);
}

TEST(syn_dropped_discards_and_releases_keys)
{
	struct rig r;

	rig_open(&r, false, FORWARD_ON);
	rig_send(&r, "+A . +B . +C DROP +D R0:1 . R0:2 .");
	ASSERT_EQ(forward_read(&r.f), 0);
	/* C's partial frame and everything up to the SYN_REPORT are gone; a pipe
	 * cannot say which keys are down, so every key down on the clone is released. */
	EXPECT_CLONE(&r, "+A . +B . -A -B . R0:2 .");
	ASSERT_EQ(r.f.n_writes, 1);
	rig_send(&r, "-A . -B . -C . +E .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "+E .");
	rig_close(&r);
}

TEST(syn_dropped_resets_hotkey_state)
{
	struct rig r;

	rig_open(&r, true, FORWARD_ON);
	rig_send(&r, "+LEFTCTRL . DROP . +RIGHTCTRL . -RIGHTCTRL .");
	ASSERT_EQ(forward_read(&r.f), 0);
	/* LEFTCTRL counts as released after the drop: RIGHTCTRL alone is plain typing. */
	EXPECT_CLONE(&r, "+LEFTCTRL . -LEFTCTRL . +RIGHTCTRL . -RIGHTCTRL .");
	ASSERT_EQ(r.hk.n_held, 0);
	ASSERT_TRUE(r.f.fired == NULL);
	rig_close(&r);
}

TEST(unfocused_writes_nothing_but_sees_hotkeys)
{
	struct rig r;

	rig_open(&r, true, FORWARD_OFF);
	rig_send(&r, "+A . -A . R0:1 . +LEFTCTRL . +RIGHTCTRL . -LEFTCTRL . -RIGHTCTRL .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "");
	ASSERT_EQ(r.f.n_writes, 0);
	ASSERT_TRUE(r.f.fired != NULL);
	r.f.mode = FORWARD_WAIT;
	r.f.fired = NULL;
	rig_send(&r, "+A . -A .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "");
	ASSERT_EQ(r.f.n_writes, 0);
	rig_close(&r);
}

TEST(release_on_focus_loss)
{
	struct rig r;

	rig_open(&r, false, FORWARD_ON);
	rig_send(&r, "+A . +LEFTSHIFT . -A . +B R0:1");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "+A . +LEFTSHIFT . -A .");
	/* The partial frame (+B) is dropped, LEFTSHIFT released, in one write. */
	ASSERT_EQ(forward_release(&r.f), 0);
	EXPECT_CLONE(&r, "-LEFTSHIFT .");
	ASSERT_EQ(r.f.n_writes, 2);
	/* Nothing down: no write. */
	ASSERT_EQ(forward_release(&r.f), 0);
	ASSERT_EQ(r.f.n_writes, 2);
	rig_close(&r);
}

TEST(drain_discards_queued_events)
{
	struct rig r;

	rig_open(&r, false, FORWARD_ON);
	rig_send(&r, "+A . R0:1 . -A .");
	ASSERT_EQ(forward_drain(&r.f), 0);
	ASSERT_EQ(r.f.mode, FORWARD_ON);
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "");
	ASSERT_EQ(r.f.n_writes, 0);
	rig_close(&r);
}

TEST(frame_longer_than_buffer_is_flushed)
{
	struct rig r;
	char script[4096], expected[4096];
	size_t a = 0, b = 0;

	rig_open(&r, false, FORWARD_ON);
	for (int i = 0; i < 300; i++) {
		a += (size_t)snprintf(script + a, sizeof(script) - a, "R0:%d ", i);
		b += (size_t)snprintf(expected + b, sizeof(expected) - b, "R0:%d ", i);
	}
	snprintf(script + a, sizeof(script) - a, ".");
	snprintf(expected + b, sizeof(expected) - b, ".");
	rig_send(&r, script);
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, expected);
	ASSERT_EQ(r.f.n_writes, 2);
	rig_close(&r);
}

TEST(many_frames_in_one_wakeup)
{
	struct rig r;
	char script[4096];
	size_t a = 0;

	rig_open(&r, false, FORWARD_ON);
	for (int i = 0; i < 200; i++)
		a += (size_t)snprintf(script + a, sizeof(script) - a, "%sR1:%d .", i ? " " : "", i);
	rig_send(&r, script);
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, script);
	/* 400 events through a 256-event buffer: two writes, frames never split. */
	ASSERT_EQ(r.f.n_writes, 2);
	rig_close(&r);
}

TEST(leds_and_abs)
{
	struct rig r;

	rig_open(&r, false, FORWARD_ON);
	rig_send(&r, "L0:1 . A0:100 A1:-7 .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "A0:100 A1:-7 .");
	rig_close(&r);
}

/* The caller reads the clone's fd after a write that holds EV_MSC (uinput echoes it). */
TEST(msc_written_marks_an_echo_to_read)
{
	struct rig r;

	rig_open(&r, false, FORWARD_ON);
	rig_send(&r, "R0:1 R1:2 .");
	ASSERT_EQ(forward_read(&r.f), 0);
	ASSERT_FALSE(r.f.echo_pending);
	rig_send(&r, "M4:30 +A .");
	ASSERT_EQ(forward_read(&r.f), 0);
	ASSERT_TRUE(r.f.echo_pending);
	EXPECT_CLONE(&r, "R0:1 R1:2 . M4:30 +A .");
	rig_close(&r);

	/* Without focus nothing is written, so nothing comes back. */
	rig_open(&r, false, FORWARD_OFF);
	rig_send(&r, "M4:30 +A .");
	ASSERT_EQ(forward_read(&r.f), 0);
	ASSERT_FALSE(r.f.echo_pending);
	rig_close(&r);
}

TEST(resync_without_device_releases)
{
	struct rig r;

	rig_open(&r, false, FORWARD_ON);
	rig_send(&r, "+A . +B");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "+A .");
	ASSERT_EQ(forward_resync(&r.f), 0);
	EXPECT_CLONE(&r, "-A .");
	ASSERT_EQ(forward_device_keys_down(&r.f), -ENOTTY);
	rig_close(&r);
}

TEST(eof_and_write_errors)
{
	struct rig r;

	rig_open(&r, false, FORWARD_ON);
	rig_send(&r, "+A .");
	r.dst[0] = safe_close(r.dst[0]); /* the clone is gone: EPIPE */
	r.src[1] = safe_close(r.src[1]);
	signal(SIGPIPE, SIG_IGN);
	/* A short read means "drained": the EOF shows on the next wakeup. */
	ASSERT_EQ(forward_read(&r.f), 0);
	ASSERT_EQ(r.f.write_error, -EPIPE);
	ASSERT_EQ(forward_read(&r.f), -ENODEV);
	rig_close(&r);
}

/* A touchpad's state for the device queries (EVIOCG*) of the multitouch tests. */
static struct {
	unsigned long keys[BITSET_LONGS(KEY_CNT)];
	int slot, n_slots;
	int32_t tracking[8], x[8], y[8];
	int32_t abs_x, abs_y;
} touchpad;

static int fake_query(int fd, unsigned long request, void *arg)
{
	unsigned nr = _IOC_NR(request);
	size_t len = _IOC_SIZE(request);

	if (_IOC_TYPE(request) != 'E')
		return -ENOTTY;
	if (nr == _IOC_NR(EVIOCGKEY(0))) {
		memset(arg, 0, len);
		memcpy(arg, touchpad.keys, len < sizeof(touchpad.keys) ? len : sizeof(touchpad.keys));
		return (int)len;
	}
	if (nr == _IOC_NR(EVIOCGMTSLOTS(0))) {
		struct {
			uint32_t code;
			int32_t values[];
		} *req = arg;
		const int32_t *v = req->code == ABS_MT_TRACKING_ID   ? touchpad.tracking
				   : req->code == ABS_MT_POSITION_X ? touchpad.x
				   : req->code == ABS_MT_POSITION_Y ? touchpad.y
								    : NULL;

		if (!v)
			return -EINVAL;
		for (size_t i = 0; i < (size_t)touchpad.n_slots && i < (len - 4) / 4; i++)
			req->values[i] = v[i];
		return 0;
	}
	if (nr >= _IOC_NR(EVIOCGABS(0)) && nr <= _IOC_NR(EVIOCGABS(ABS_MAX))) {
		struct input_absinfo *abs = arg;
		unsigned code = nr - _IOC_NR(EVIOCGABS(0));

		*abs = (struct input_absinfo){0};
		if (code == ABS_MT_SLOT) {
			abs->value = touchpad.slot;
			abs->maximum = touchpad.n_slots - 1;
		} else if (code == ABS_X)
			abs->value = touchpad.abs_x;
		else if (code == ABS_Y)
			abs->value = touchpad.abs_y;
		else
			return -EINVAL;
		return 0;
	}
	return -ENOTTY;
}

/* A touchpad's rig: five slots, tracking id and position per slot, ABS_X/Y. */
static void rig_open_touchpad(struct rig *r)
{
	static const unsigned axes[] = {ABS_X, ABS_Y, ABS_MT_SLOT, ABS_MT_POSITION_X,
					ABS_MT_POSITION_Y, ABS_MT_TRACKING_ID};

	rig_open(r, false, FORWARD_ON);
	for (size_t i = 0; i < ARRAY_SIZE(axes); i++)
		bit_set(r->f.abs_axes, axes[i]);
	memset(&touchpad, 0, sizeof(touchpad));
	touchpad.n_slots = 5;
	for (int i = 0; i < 8; i++)
		touchpad.tracking[i] = -1;
}

/* Two fingers down, the second in slot 1 with the doubletap tool. */
#define TWO_FINGERS                                                                                \
	"A47:0 A57:10 A53:100 A54:200 +TOUCH +TOOL_FINGER A0:100 A1:200 . "                      \
	"A47:1 A57:11 A53:300 A54:400 -TOOL_FINGER +TOOL_DOUBLETAP ."

TEST(mt_focus_loss_ends_every_contact)
{
	struct rig r;

	rig_open_touchpad(&r);
	rig_send(&r, TWO_FINGERS " A47:0 A53:150");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, TWO_FINGERS);
	/*
	 * Both contacts end, with the tool and touch key-ups, in one write; the
	 * partial frame (slot 0 again) is dropped, but the device is in slot 0
	 * now: the clone is put back there, or the next frame's X would land in
	 * slot 1.
	 */
	ASSERT_EQ(forward_release(&r.f), 0);
	EXPECT_CLONE(&r, "A47:0 A57:-1 A47:1 A57:-1 A47:0 -TOUCH -TOOL_DOUBLETAP .");
	ASSERT_EQ(r.f.n_writes, 2);
	/* Nothing left: no write. */
	ASSERT_EQ(forward_release(&r.f), 0);
	ASSERT_EQ(r.f.n_writes, 2);
	rig_close(&r);
}

TEST(mt_syn_dropped_ends_a_contact_that_ended_in_the_gap)
{
	struct rig r;

	rig_open_touchpad(&r);
	r.f.query = fake_query;
	rig_send(&r, TWO_FINGERS);
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, TWO_FINGERS);
	/* In the gap the first finger lifted and the second moved. */
	touchpad.slot = 1;
	touchpad.tracking[1] = 11;
	touchpad.x[1] = 310;
	touchpad.y[1] = 410;
	touchpad.abs_x = 310;
	touchpad.abs_y = 410;
	bit_set(touchpad.keys, BTN_TOUCH);
	bit_set(touchpad.keys, BTN_TOOL_FINGER);
	rig_send(&r, "A47:0 A57:-1 DROP -TOOL_DOUBLETAP . A53:320 .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "+TOOL_FINGER -TOOL_DOUBLETAP A47:0 A57:-1 A47:1 A57:11 A53:310 A54:410 "
			 "A0:310 A1:410 . A53:320 .");
	ASSERT_EQ(r.f.n_writes, 2);
	/* The live contact is still followed: leaving ends it. */
	ASSERT_EQ(forward_release(&r.f), 0);
	EXPECT_CLONE(&r, "A47:1 A57:-1 -TOOL_FINGER -TOUCH .");
	rig_close(&r);
}

TEST(mt_resync_at_grab_puts_the_clone_in_the_device_slot)
{
	struct rig r;

	rig_open_touchpad(&r);
	r.f.query = fake_query;
	r.f.mode = FORWARD_OFF;
	/* Read without focus: the device's slot is followed, nothing written. */
	rig_send(&r, "A47:0 A57:10 +TOUCH . A47:2 A57:12 . A47:0 A57:-1 .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "");
	touchpad.slot = 2;
	touchpad.tracking[2] = 12;
	touchpad.x[2] = 5;
	touchpad.y[2] = 6;
	bit_set(touchpad.keys, BTN_TOUCH);
	r.f.mode = FORWARD_ON;
	ASSERT_EQ(forward_resync(&r.f), 0);
	EXPECT_CLONE(&r, "A47:2 A57:12 A53:5 A54:6 +TOUCH A0:0 A1:0 .");
	rig_close(&r);
}

TEST(mt_device_without_state_ends_contacts_and_slots_beyond_bound_are_safe)
{
	struct rig r;

	rig_open_touchpad(&r);
	/* A pipe cannot say which contacts are live: each ends, the safe side. */
	rig_send(&r, "A47:3 A57:7 +TOUCH . A47:100 A57:8 . A47:-5 A57:9 .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "A47:3 A57:7 +TOUCH . A47:100 A57:8 . A47:-5 A57:9 .");
	ASSERT_EQ(forward_resync(&r.f), 0);
	/* Slots outside the followed range pass through but are not followed; a
	 * slot the device cannot have is not restored. */
	EXPECT_CLONE(&r, "-TOUCH A47:3 A57:-1 .");
	ASSERT_EQ(forward_release(&r.f), 0);
	EXPECT_CLONE(&r, "");
	rig_close(&r);
}

static const char *const volume_keys[] = {"VOLUMEUP", "VOLUMEDOWN", "MUTE", NULL};

TEST(host_keys_go_to_the_host_device_others_to_the_clone)
{
	struct rig r;
	struct host_rig h;

	rig_open(&r, true, FORWARD_ON);
	host_rig_open(&h, &r, volume_keys);
	/* A frame of both, a frame of a host key alone (its MSC_SCAN stays with the clone's
	 * frame, which then holds no payload and is dropped), and a frame of the clone's. */
	rig_send(&r, "M4:30 +A +VOLUMEUP . M4:31 -VOLUMEUP . -A . +MUTE . -MUTE .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "M4:30 +A . -A .");
	EXPECT_HOST(&h, "+VOLUMEUP . -VOLUMEUP . +MUTE . -MUTE .");
	/* One write per device for the whole batch. */
	ASSERT_EQ(r.f.n_writes, 1);
	ASSERT_EQ(r.f.n_host_writes, 1);
	host_rig_close(&h);
	rig_close(&r);
}

TEST(host_keys_untouched_without_focus)
{
	struct rig r;
	struct host_rig h;

	/* The host reads the device itself then: nothing is written anywhere. */
	rig_open(&r, true, FORWARD_OFF);
	host_rig_open(&h, &r, volume_keys);
	rig_send(&r, "+VOLUMEUP . -VOLUMEUP . +A . -A .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_CLONE(&r, "");
	EXPECT_HOST(&h, "");
	ASSERT_EQ(r.f.n_host_writes, 0);
	host_rig_close(&h);
	rig_close(&r);
}

TEST(host_key_repeats_go_where_the_key_is_down)
{
	struct rig r;
	struct host_rig h;

	rig_open(&r, true, FORWARD_ON);
	host_rig_open(&h, &r, volume_keys);
	/* The host device has no repeat of its own: the device's repeats pass; the clone's are
	 * dropped (it repeats itself). A repeat of a key down nowhere goes nowhere. */
	rig_send(&r, "+VOLUMEDOWN . =VOLUMEDOWN . =VOLUMEDOWN . +A . =A . -A . -VOLUMEDOWN . "
		     "=MUTE .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_HOST(&h, "+VOLUMEDOWN . =VOLUMEDOWN . =VOLUMEDOWN . -VOLUMEDOWN .");
	EXPECT_CLONE(&r, "+A . -A .");
	host_rig_close(&h);
	rig_close(&r);
}

TEST(key_up_follows_its_key_down_when_host_keys_change)
{
	struct rig r;
	struct host_rig h;

	rig_open(&r, true, FORWARD_ON);
	host_rig_open(&h, &r, volume_keys);
	rig_send(&r, "+VOLUMEUP . +B .");
	ASSERT_EQ(forward_read(&r.f), 0);
	/* The lists swap (a reload): each key-up still goes where its key-down went. */
	bit_clear(h.host.keys, KEY_VOLUMEUP);
	bit_set(h.host.keys, KEY_B);
	rig_send(&r, "=VOLUMEUP . -VOLUMEUP . -B . +B . -B .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_HOST(&h, "+VOLUMEUP . =VOLUMEUP . -VOLUMEUP . +B . -B .");
	EXPECT_CLONE(&r, "+B . -B .");
	host_rig_close(&h);
	rig_close(&r);
}

TEST(focus_loss_releases_host_keys_on_the_host_device)
{
	struct rig r;
	struct host_rig h;

	rig_open(&r, true, FORWARD_ON);
	host_rig_open(&h, &r, volume_keys);
	rig_send(&r, "+VOLUMEUP . +A . +MUTE");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_HOST(&h, "+VOLUMEUP .");
	EXPECT_CLONE(&r, "+A .");
	/* The pending +MUTE is dropped; each device gets the key-ups of what it holds. */
	ASSERT_EQ(forward_release(&r.f), 0);
	EXPECT_HOST(&h, "-VOLUMEUP .");
	EXPECT_CLONE(&r, "-A .");
	ASSERT_EQ(r.f.n_host_writes, 2);
	/* Released after the switch: nothing more, on either. */
	r.f.mode = FORWARD_OFF;
	rig_send(&r, "-VOLUMEUP . -A . -MUTE .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_HOST(&h, "");
	EXPECT_CLONE(&r, "");
	ASSERT_EQ(forward_release(&r.f), 0);
	ASSERT_EQ(r.f.n_host_writes, 2);
	host_rig_close(&h);
	rig_close(&r);
}

TEST(host_key_held_before_focus_is_released_to_the_host)
{
	struct rig r;
	struct host_rig h;

	/* Pressed while the host read the device: its key-up is the host's, not ours. */
	rig_open(&r, true, FORWARD_OFF);
	host_rig_open(&h, &r, volume_keys);
	rig_send(&r, "+VOLUMEUP .");
	ASSERT_EQ(forward_read(&r.f), 0);
	r.f.mode = FORWARD_ON;
	rig_send(&r, "-VOLUMEUP . +VOLUMEUP . -VOLUMEUP .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_HOST(&h, "+VOLUMEUP . -VOLUMEUP .");
	EXPECT_CLONE(&r, "");
	host_rig_close(&h);
	rig_close(&r);
}

TEST(syn_dropped_releases_host_keys_and_drops_the_partial_frame)
{
	struct rig r;
	struct host_rig h;

	rig_open(&r, true, FORWARD_ON);
	host_rig_open(&h, &r, volume_keys);
	/* The pipe has no state to ask for: after the drop every key counts as released. */
	rig_send(&r, "+VOLUMEUP . +A . +MUTE DROP +VOLUMEDOWN . =VOLUMEUP .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_HOST(&h, "+VOLUMEUP . -VOLUMEUP .");
	EXPECT_CLONE(&r, "+A . -A .");
	ASSERT_EQ(forward_release(&r.f), 0);
	EXPECT_HOST(&h, "");
	host_rig_close(&h);
	rig_close(&r);
}

TEST(hotkey_keys_are_swallowed_before_routing)
{
	struct rig r;
	struct host_rig h;
	const char *const ctrl[] = {"LEFTCTRL", "VOLUMEUP", NULL};

	/* A host key may be part of a hotkey: the completing key is swallowed, the other
	 * goes to the host device, balanced. */
	rig_open(&r, true, FORWARD_ON);
	host_rig_open(&h, &r, ctrl);
	rig_send(&r, "+LEFTCTRL . +RIGHTCTRL . -RIGHTCTRL . -LEFTCTRL .");
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_HOST(&h, "+LEFTCTRL . -LEFTCTRL .");
	EXPECT_CLONE(&r, "");
	ASSERT_TRUE(r.f.fired != NULL);
	host_rig_close(&h);
	rig_close(&r);
}

TEST(host_frame_longer_than_its_buffer_is_written_in_pieces)
{
	struct rig r;
	struct host_rig h;
	char script[8192] = "", expect[8192] = "";
	size_t n = 0, m = 0;

	rig_open(&r, false, FORWARD_ON);
	host_rig_open(&h, &r, volume_keys);
	for (int i = 0; i < FORWARD_HOST_OUT_MAX; i++) {
		n += (size_t)snprintf(script + n, sizeof(script) - n, "+MUTE -MUTE ");
		m += (size_t)snprintf(expect + m, sizeof(expect) - m, "%s+MUTE -MUTE",
				      i ? " " : "");
	}
	snprintf(script + n, sizeof(script) - n, ".");
	snprintf(expect + m, sizeof(expect) - m, " .");
	rig_send(&r, script);
	ASSERT_EQ(forward_read(&r.f), 0);
	EXPECT_HOST(&h, expect);
	ASSERT_EQ(r.f.n_host_writes, 3);
	host_rig_close(&h);
	rig_close(&r);
}
