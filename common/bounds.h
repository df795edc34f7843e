/* SPDX-License-Identifier: MIT */
/*
 * Limits and well-known paths shared by the hook, the helper and the CLI.
 * Every input from outside is bounded by one of these; exceeding one is an
 * error that names the limit, never a silent truncation.
 */
#pragma once

/* Longest VM name we accept (libvirt allows more; our file and unit names do not). */
#define VM_NAME_MAX 64
/* Longest <dev> part of /dev/input/by-id/<dev>; <vm>-<dev> must fit NAME_MAX (255). */
#define DEVICE_NAME_MAX 190
/* Source devices one VM may clone. */
#define DOMAIN_SOURCES_MAX 32
/* VMs in the ring at once, and per-VM sections in the config. */
#define RING_VMS_MAX 64
/* Keys in one hotkey. */
#define KEYSET_MAX 8
/* Largest domain XML of ours that is parsed (one that is not ours is never held:
 * see common/domain-read.h). */
#define DOMAIN_XML_MAX (16 * 1024 * 1024)
/* Longest absolute path we build (by-id dir + NAME_MAX, with room to spare). */
#define VK_PATH_MAX 512

#define BY_ID_DIR "/dev/input/by-id"
#define RUN_DIR "/run/vfio-kvm"
#define CONFIG_PATH "/etc/vfio-kvm.conf"
#define CACHE_DIR "/var/lib/vfio-kvm"
/* uinput phys of every clone: "vfio-kvm:<vm>-<dev>"; udev/ rules match on the prefix. */
#define CLONE_PHYS_PREFIX "vfio-kvm:"
