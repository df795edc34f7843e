# helper/: vfio-kvm-helper, the program each VM's transient unit runs.
libexec_PROGRAMS += vfio-kvm-helper
vfio_kvm_helper_SOURCES = \
	helper/main.c \
	helper/log.h \
	helper/source.c helper/source.h \
	helper/forward.c helper/forward.h \
	helper/focus.c helper/focus.h \
	helper/host-keys.c helper/host-keys.h \
	helper/announce.c helper/announce.h \
	helper/ring-follow.c helper/ring-follow.h \
	helper/reload.c helper/reload.h \
	helper/bus.c helper/bus.h \
	helper/polkit.c helper/polkit.h \
	helper/fdstore.c helper/fdstore.h \
	helper/device.c helper/device.h \
	helper/inotify-read.c helper/inotify-read.h \
	helper/loop.c helper/loop.h
vfio_kvm_helper_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS) $(LIBSYSTEMD_CFLAGS)
vfio_kvm_helper_LDADD = $(VKCOMMON_LIBS) $(LIBSYSTEMD_LIBS)
