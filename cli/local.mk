# cli/: the vfio-kvm command.
bin_PROGRAMS += vfio-kvm
vfio_kvm_SOURCES = cli/cli.h cli/main.c cli/check.c cli/status.c cli/focus.c cli/reload.c \
	cli/watch.c cli/watch-line.c cli/watch-line.h
# libvirt keeps qemu:///system definitions beside its hooks directory.
vfio_kvm_CPPFLAGS = $(AM_CPPFLAGS) -DHELPER_PATH=\"$(libexecdir)/vfio-kvm-helper\" \
	-DLIBVIRT_QEMU_DIR=\"$(libvirthooksdir:%/hooks=%)/qemu\"
vfio_kvm_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS) $(LIBXML_CFLAGS) $(LIBEVDEV_CFLAGS)
vfio_kvm_LDADD = $(VKCOMMON_LIBS)
dist_man1_MANS = man/vfio-kvm.1
