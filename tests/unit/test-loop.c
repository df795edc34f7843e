/* SPDX-License-Identifier: MIT */
/*
 * The helper's main loop (helper/loop.c) with pipes for devices and a real
 * sd-event: input goes to the handler, an input that is switched off or
 * taken out is not read, sd-event's own sources run beside it, a timer an
 * input handler arms fires (sd-event looked again before the loop slept),
 * and sd-event's exit code ends the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "source.h"
#include "test.h"

TEST_MAIN();

struct rig {
	sd_event *event;
	struct loop loop;
	int pipe[2][2];            /* two "devices": [i][1] written by the test */
	struct source src[2];
	unsigned reads[2];         /* on_input calls per source */
	bool arm_timer;            /* on_input arms a timer that ends the loop */
};

static struct rig rig;

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(es), 7);
}

static bool on_input(struct source *s)
{
	char buf[64];
	int i = s == &rig.src[0] ? 0 : 1;

	while (read(s->fd, buf, sizeof(buf)) > 0)
		;
	rig.reads[i]++;
	if (rig.arm_timer) {
		rig.arm_timer = false;
		/* A timer is armed in sd-event's prepare step: it must run before the loop sleeps. */
		if (sd_event_add_time_relative(rig.event, NULL, CLOCK_MONOTONIC, 1000, 0, on_timer,
					       NULL) < 0)
			abort();
		return true;
	}
	return false;
}

static void rig_open(void)
{
	memset(&rig, 0, sizeof(rig));
	if (sd_event_new(&rig.event) < 0 || loop_init(&rig.loop, rig.event) < 0)
		abort();
	for (int i = 0; i < 2; i++) {
		if (pipe2(rig.pipe[i], O_NONBLOCK | O_CLOEXEC) < 0)
			abort();
		rig.src[i].fd = rig.pipe[i][0];
	}
}

static void rig_close(void)
{
	for (int i = 0; i < 2; i++) {
		loop_input_remove(&rig.loop, &rig.src[i]);
		close(rig.pipe[i][0]);
		close(rig.pipe[i][1]);
	}
	loop_done(&rig.loop);
	rig.event = sd_event_unref(rig.event);
}

static void poke(int i)
{
	if (write(rig.pipe[i][1], "x", 1) != 1)
		abort();
}

TEST(input_read_timer_from_handler_ends_loop)
{
	rig_open();
	ASSERT_EQ(loop_input_add(&rig.loop, &rig.src[0], true), 0);
	ASSERT_EQ(loop_input_add(&rig.loop, &rig.src[1], false), 0);
	ASSERT_TRUE(rig.src[0].polled);
	ASSERT_FALSE(rig.src[1].polled);
	poke(0);
	poke(1);
	rig.arm_timer = true;
	/* Without sd-event looking again after the handler, this would sleep for ever. */
	alarm(10);
	ASSERT_EQ(loop_run(&rig.loop, on_input), 7);
	alarm(0);
	ASSERT_EQ(rig.reads[0], 1);
	/* Switched off: its data waits. */
	ASSERT_EQ(rig.reads[1], 0);
	rig_close();
}

static int other[2];          /* a pipe sd-event watches itself */
static unsigned other_reads;

static int on_other(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	other_reads++;
	return rig.reads[0] > 0 ? sd_event_exit(sd_event_source_get_event(es), 3) : 0;
}

static bool on_input_poke_other(struct source *s)
{
	on_input(s);
	/* Says "nothing but forwarding": sd-event must run because its fd is readable. */
	if (write(other[1], "y", 1) != 1)
		abort();
	return false;
}

TEST(sd_event_sources_run_beside_inputs)
{
	rig_open();
	other_reads = 0;
	ASSERT_EQ(loop_input_add(&rig.loop, &rig.src[0], true), 0);
	ASSERT_EQ(pipe2(other, O_NONBLOCK | O_CLOEXEC), 0);
	ASSERT_TRUE(sd_event_add_io(rig.event, NULL, other[0], EPOLLIN, on_other, NULL) >= 0);
	/* sd-event's first, before any input: not the end yet. */
	ASSERT_EQ(write(other[1], "y", 1), 1);
	poke(0);
	alarm(10);
	ASSERT_EQ(loop_run(&rig.loop, on_input_poke_other), 3);
	alarm(0);
	ASSERT_EQ(rig.reads[0], 1);
	ASSERT_EQ(other_reads, 2);
	close(other[0]);
	close(other[1]);
	rig_close();
}

TEST(enable_disable_and_remove)
{
	rig_open();
	/* Not in the loop: enabling is a no-op. */
	loop_input_enable(&rig.loop, &rig.src[0], true);
	ASSERT_FALSE(rig.src[0].polled);
	ASSERT_EQ(loop_input_add(&rig.loop, &rig.src[0], false), 0);
	ASSERT_TRUE(rig.src[0].in_loop);
	loop_input_enable(&rig.loop, &rig.src[0], true);
	ASSERT_TRUE(rig.src[0].polled);
	loop_input_enable(&rig.loop, &rig.src[0], true);
	ASSERT_TRUE(rig.src[0].polled);
	loop_input_remove(&rig.loop, &rig.src[0]);
	ASSERT_FALSE(rig.src[0].polled);
	ASSERT_FALSE(rig.src[0].in_loop);
	loop_input_enable(&rig.loop, &rig.src[0], true);
	ASSERT_FALSE(rig.src[0].polled);
	/* A bad fd is refused and leaves the source out. */
	rig.src[1].fd = -1;
	ASSERT_EQ(loop_input_add(&rig.loop, &rig.src[1], true), -EBADF);
	ASSERT_FALSE(rig.src[1].in_loop);
	rig.src[1].fd = rig.pipe[1][0];
	rig_close();
}
