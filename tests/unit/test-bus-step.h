/* SPDX-License-Identifier: MIT */
/*
 * Waiting on a D-Bus connection in the uinput tests that use one, bounded by
 * the rig's deadline: loop on rig_bus_step() until what you wait for holds.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "test-uinput-rig.h"

/*
 * Processes one message of BUS, or waits for one until END (rig_now_ms()
 * time). Returns false on an error or once END has passed.
 */
static inline bool rig_bus_step(sd_bus *bus, int64_t end)
{
	int64_t left = end - rig_now_ms();
	int r = sd_bus_process(bus, NULL);

	if (r < 0 || left <= 0)
		return false;
	return r > 0 || sd_bus_wait(bus, (uint64_t)left * 1000) >= 0;
}
