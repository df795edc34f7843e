# domain: fuzz targets of the libvirt domain XML parser (common/domain-xml.c)
# and the hook's scan (common/domain-read.c).
# Seeds: tests/fuzz/corpus/domain-xml/ (shipped with the corpus directory).
if ENABLE_FUZZING
check_PROGRAMS += fuzz-domain-xml
endif
fuzz_domain_xml_SOURCES = tests/fuzz/fuzz-domain-xml.c
fuzz_domain_xml_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS) $(LIBEVDEV_CFLAGS)
fuzz_domain_xml_LDFLAGS = $(FUZZER_FLAGS)
fuzz_domain_xml_LDADD = $(VKCOMMON_LIBS)

# The hook's "is it ours" scan (common/domain-read.c), checked against a plain
# reference. Seeds: tests/fuzz/corpus/domain-scan/.
if ENABLE_FUZZING
check_PROGRAMS += fuzz-domain-scan
endif
fuzz_domain_scan_SOURCES = tests/fuzz/fuzz-domain-scan.c
fuzz_domain_scan_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS) $(LIBEVDEV_CFLAGS)
fuzz_domain_scan_LDFLAGS = $(FUZZER_FLAGS)
fuzz_domain_scan_LDADD = $(VKCOMMON_LIBS)
