# common/: code the hook, the helper and the CLI share. It does not log.
noinst_LIBRARIES += libvkcommon.a
libvkcommon_a_CFLAGS = $(AM_CFLAGS) $(LIBEVDEV_CFLAGS) $(LIBXML_CFLAGS) $(LIBSYSTEMD_CFLAGS)
libvkcommon_a_SOURCES = \
	common/macro.h \
	common/bounds.h \
	common/diag.c common/diag.h \
	common/names.c common/names.h \
	common/quote.c common/quote.h \
	common/keyset.c common/keyset.h \
	common/host-keys.c common/host-keys.h \
	common/settings.c common/settings.h \
	common/domain-xml.c common/domain-xml.h \
	common/domain-read.c common/domain-read.h \
	common/hotkey.c common/hotkey.h \
	common/small-file.c common/small-file.h \
	common/ring.c common/ring.h \
	common/focus-file.c common/focus-file.h \
	common/helper-argv.c common/helper-argv.h \
	common/unit.c common/unit.h \
	common/status-file.c common/status-file.h \
	common/devcache.c common/devcache.h
VKCOMMON_LIBS = libvkcommon.a $(LIBEVDEV_LIBS) $(LIBXML_LIBS) $(LIBSYSTEMD_LIBS)
