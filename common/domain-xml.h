/* SPDX-License-Identifier: MIT */
/*
 * Reads a libvirt domain XML and finds the input devices that are ours: those
 * whose source path is /dev/input/by-id/<vm>-<dev>, meaning "clone the physical
 * device /dev/input/by-id/<dev> for this VM". Three forms are understood:
 *
 *   <input type='passthrough' bus='virtio'><source evdev='…'/></input>
 *   <input type='evdev'><source dev='…' grab='all' grabToggle='ctrl-ctrl'/></input>
 *   <qemu:commandline><qemu:arg value='-object'/>
 *     <qemu:arg value='input-linux,id=…,evdev=…[,grab-toggle=…]'/></qemu:commandline>
 *
 plus per-VM settings in <metadata>, in one top element of our namespace
 * (libvirt's rule, and the original vfio-kvm's documented form):
 *   <vfiokvm:settings xmlns:vfiokvm='https://kvm.vfio/xmlns/libvirt/domain/1.0'>
 *     <vfiokvm:hotkey><vfiokvm:key value='KEY_LEFTCTRL'/>…</vfiokvm:hotkey>
 *     <vfiokvm:host-keys><vfiokvm:key value='KEY_VOLUMEUP'/>…</vfiokvm:host-keys>
 *     <vfiokvm:device name='usb-Xbox_Controller-event-joystick' focus='always'/>
 *     <vfiokvm:focus-on-start value='yes'/>
 *     <vfiokvm:on-stop value='host'/>
 *   </vfiokvm:settings>
 * Each element at most once (<vfiokvm:device> once per device); an empty
 * <vfiokvm:host-keys/> means none, whatever the config says. A device's name
 * must be the <dev> of one of the domain's sources of ours.
 * A bare <vfiokvm:hotkey> directly under <metadata> is accepted too. Anything
 * else of our namespace in <metadata> is an error naming it and its line.
 *
 * The parser never touches the network, never loads or expands a DTD or
 * entity, and refuses documents over DOMAIN_XML_MAX.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "bounds.h"
#include "diag.h"
#include "focus-file.h"
#include "keylist.h"
#include "keyset.h"

#define VFIOKVM_XML_NS "https://kvm.vfio/xmlns/libvirt/domain/1.0"

enum source_kind {
	SOURCE_PASSTHROUGH,  /* virtio-input-host: QEMU grabs, forwards all event types */
	SOURCE_EVDEV,        /* <input type='evdev'>: QEMU input-linux via libvirt */
	SOURCE_INPUT_LINUX,  /* -object input-linux on the qemu:commandline */
};

struct domain_source {
	enum source_kind kind;
	char device[DEVICE_NAME_MAX + 1];  /* <dev>: physical is BY_ID_DIR/<dev> */
	/* input-linux kinds: the combo QEMU toggles its grab on (QEMU's default,
	 * ctrl-ctrl, when the XML names none); empty for passthrough. */
	struct keyset grab_toggle;
	bool pinned;  /* <vfiokvm:device focus='always'>: forwarded whatever has focus */
};

/* Bits of domain.given: the settings the XML sets (and so wins with). */
enum {
	DOMAIN_GIVEN_HOTKEY = 1U << 0,
	DOMAIN_GIVEN_HOST_KEYS = 1U << 1,
	DOMAIN_GIVEN_FOCUS_ON_START = 1U << 2,
	DOMAIN_GIVEN_ON_STOP = 1U << 3,
};

struct domain {
	char name[VM_NAME_MAX + 1];
	bool name_cut;  /* <name> was longer than VM_NAME_MAX (only with no sources) */
	size_t n_sources;
	struct domain_source sources[DOMAIN_SOURCES_MAX];
	struct keyset hotkey;  /* direct hotkey from metadata; n == 0 if none */
	unsigned given;        /* DOMAIN_GIVEN_*: which of these the metadata sets */
	struct keylist host_keys;
	bool focus_on_start;
	enum focus_on_stop on_stop;
};

/*
 * Parses len bytes of XML into *ret. Returns 0 (n_sources may be 0: no inputs
 * of ours, a silent no-op for the caller), or a negative errno with diag
 * naming the VM and the offending element or path. *ret is untouched on
 * failure.
 *
 * Errors: not well-formed, a DTD, over DOMAIN_XML_MAX (-EFBIG), no <name>, a
 * VM name that vm_name_check() refuses while the domain has sources of ours,
 * a source path under /dev/input/ that is not canonical ("//", "/./",
 * "/../"), a <dev> that device_name_check() refuses, the same <dev> twice,
 * more than DOMAIN_SOURCES_MAX sources, an unknown grabToggle, bad hotkey
 * metadata, an unknown element or attribute of our namespace in <metadata>
 * ("vm1: domain XML line 42: unknown element <vfiokvm:foo> in vfio-kvm
 * settings"), a second <vfiokvm:settings>, a setting given twice, a bad
 * value, a <vfiokvm:device> that names no source of ours.
 */
int domain_xml_parse(const char *xml, size_t len, struct domain *ret, struct diag *diag);

/* Writes BY_ID_DIR "/<dev>" (physical) or BY_ID_DIR "/<vm>-<dev>" (clone) into
 * buf. Returns 0 or -ENAMETOOLONG. */
int domain_source_physical_path(const struct domain_source *source, char *buf, size_t size);
int domain_source_clone_path(const struct domain *domain, const struct domain_source *source,
			     char *buf, size_t size);

const char *source_kind_to_string(enum source_kind kind);
