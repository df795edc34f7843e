/* SPDX-License-Identifier: MIT */
/*
 * The host device: one uinput keyboard per helper that takes the host keys
 * (--host-keys: volume, mute, media keys) while the VM has a source, so that
 * they keep working on the host. It is named "vfio-kvm host keys (<vm>)",
 * has EV_KEY for exactly those codes, and no phys: it is no clone, so the
 * udev rules leave it alone (no by-id link of ours, no LIBINPUT_IGNORE_DEVICE)
 * and the host's libinput takes it like any keyboard. The forwarders write
 * to it (forward.h: struct forward_host); it lives as long as the helper,
 * and the kernel releases whatever is still down on it when it goes away,
 * a crash included.
 */
#pragma once

#include "diag.h"
#include "forward.h"
#include "keylist.h"

/* What uinput keeps of a device name, NUL included. */
#define HOST_KEYS_NAME_MAX 80

struct libevdev_uinput;

struct host_keys {
	struct forward_host fwd;    /* what the forwarders write to (fwd.fd -1: no device) */
	struct libevdev_uinput *ui; /* owned */
	struct keylist caps;        /* the keys the device has */
};

/*
 * Creates the host device for vm with the keys of list (not empty) in *h
 * (zeroed, or as host_keys_close() left it). Returns 0, or a negative errno
 * with diag ("cannot create the host keys device …"); nothing is left
 * behind.
 */
int host_keys_open(struct host_keys *h, const char *vm, const struct keylist *list,
		   struct diag *diag);

/* Destroys the device (the kernel sends key-ups for keys still down); h->fwd.fd becomes -1.
 * Accepts an h without a device. */
void host_keys_close(struct host_keys *h);
