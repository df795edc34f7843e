#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# fwd-evdev.py DEVICE: a forwarder written the way Python tools do it with
# python3-evdev: read_loop(), one UInput.write() per event, syn() per frame.
import sys

import evdev
from evdev import ecodes

dev = evdev.InputDevice(sys.argv[1])
ui = evdev.UInput.from_device(dev, name=dev.name)
dev.grab()
for ev in dev.read_loop():
    if ev.type == ecodes.EV_SYN:
        if ev.code == ecodes.SYN_REPORT:
            ui.syn()
    else:
        ui.write(ev.type, ev.code, ev.value)
