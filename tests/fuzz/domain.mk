# domain: fuzz target of the libvirt domain XML parser (common/domain-xml.c).
# Seeds: tests/fuzz/corpus/domain-xml/ (shipped with the corpus directory).
if ENABLE_FUZZING
check_PROGRAMS += fuzz-domain-xml
endif
fuzz_domain_xml_SOURCES = tests/fuzz/fuzz-domain-xml.c
fuzz_domain_xml_CFLAGS = $(AM_CFLAGS) $(LIBXML_CFLAGS) $(LIBEVDEV_CFLAGS)
fuzz_domain_xml_LDFLAGS = $(FUZZER_FLAGS)
fuzz_domain_xml_LDADD = $(VKCOMMON_LIBS)
