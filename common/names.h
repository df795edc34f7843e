/* SPDX-License-Identifier: MIT */
/*
 * Validation of the names that become file names: a VM name becomes
 * /run/vfio-kvm/ring/<vm> and part of a unit name; a device name <dev> becomes
 * /dev/input/by-id/<dev> and /dev/input/by-id/<vm>-<dev>. A name that could
 * leave those directories or confuse a parser is refused.
 *
 * Accepted: 1..max bytes of printable ASCII (0x21-0x7e) except '/', '=', ','
 * and '\\'; not "." or "..", not starting with '.' or '-'.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* 0 if name is a valid VM name, else -EINVAL (bad character or form) or
 * -ENAMETOOLONG, with diag saying which: "VM name '…': …". */
int vm_name_check(const char *name, struct diag *diag);

/* Same for the <dev> part of a by-id path; what says where it came from
 * (e.g. the full source path) and is used in the message. */
int device_name_check(const char *name, const char *what, struct diag *diag);

/*
 * The by-path twin of a device path: for "<dir>/by-id/<name>" (as
 * /dev/input/by-id/<dev>), "<dir>/by-path/<name>" into buf. A device without
 * a by-id link is looked for there (by-id first), so <dev> may be a by-path
 * link's name. Returns 1, 0 when path is not in a by-id directory (buf then
 * holds "" when size > 0), or -ENAMETOOLONG.
 */
int device_by_path(const char *path, char *buf, size_t size);
