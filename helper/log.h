/* SPDX-License-Identifier: MIT */
/*
 * The helper logs to stderr, which systemd puts in the journal: one line per
 * real event (never per input event), with an sd-daemon priority prefix and
 * the VM name, e.g. "<3>vm1: '/dev/input/by-id/usb-kbd': No such file or directory".
 */
#pragma once

#include <stdio.h>
#include <systemd/sd-daemon.h>

#define log_full(prio, vm, fmt, ...) fprintf(stderr, prio "%s: " fmt "\n", vm, ##__VA_ARGS__)
#define log_error(vm, fmt, ...) log_full(SD_ERR, vm, fmt, ##__VA_ARGS__)
#define log_warning(vm, fmt, ...) log_full(SD_WARNING, vm, fmt, ##__VA_ARGS__)
#define log_info(vm, fmt, ...) log_full(SD_INFO, vm, fmt, ##__VA_ARGS__)
