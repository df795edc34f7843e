/* SPDX-License-Identifier: MIT */
/*
 * How `make install` and `make uninstall` tell vfio-kvm's hook from someone
 * else's file at <libvirt hooks>/qemu.d/vfio-kvm (hook/local.mk): a regular
 * file that holds this string is ours, to be replaced or removed; any other
 * file there is left alone. hook/local.mk defines the string; it stays the
 * same across versions, so an install recognises an older hook as ours.
 */
__attribute__((used)) static const char hook_install_id[] = HOOK_INSTALL_ID;
