# domain: the libvirt domain XML parser (common/domain-xml.c) and the "is it
# ours" scan (common/domain-read.c); not-ours/ is also read by test-hook-cli.
check_PROGRAMS += test-domain-xml
TESTS += test-domain-xml
test_domain_xml_SOURCES = tests/unit/test-domain-xml.c tests/test.h
test_domain_xml_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests $(LIBXML_CFLAGS) $(LIBEVDEV_CFLAGS) \
	-DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/unit/data"'
test_domain_xml_LDADD = $(VKCOMMON_LIBS)
EXTRA_DIST += \
	tests/unit/data/domain-ours.xml \
	tests/unit/data/domain-not-ours.xml \
	tests/unit/data/not-ours/name-200-bytes.xml \
	tests/unit/data/not-ours/name-spaces.xml \
	tests/unit/data/not-ours/name-utf8.xml \
	tests/unit/data/not-ours/other-evdev.xml \
	tests/unit/data/not-ours/other-namespace-metadata.xml \
	tests/unit/data/not-ours/qemu-commandline.xml \
	tests/unit/data/not-ours/win11-virt-manager.xml
