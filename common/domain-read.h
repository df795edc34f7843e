/* SPDX-License-Identifier: MIT */
/*
 * Reading a domain XML from a file descriptor, and deciding cheaply whether a
 * domain is ours before any limit applies.
 *
 * libvirt runs the hook for every VM on the host, so most documents the hook
 * reads are not ours, and those must never be refused, whatever they hold.
 * A domain is ours when its XML names a path that starts with
 * BY_ID_DIR "/<vm>-" anywhere (an attribute, text or a comment), <vm> being
 * the name the caller was given (libvirt's argv). The scan runs over the
 * stream as it is read, with XML character and entity references (&amp;
 * &lt; &gt; &apos; &quot; &#N; &#xN;) decoded, so a name that libvirt
 * escapes ("a&b" written as "a&amp;b") is found as well. It keeps a few
 * bytes of state, not a window of the text. A path spelled otherwise
 * (BY_ID_DIR "//<vm>-…", "/dev/input/by-id/./<vm>-…") names no clone that
 * vfio-kvm makes, so it does not make a domain ours.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "domain-xml.h"

struct domain_scan;

/*
 * A new scanner looking for BY_ID_DIR "/<vm>-" (vm as given: any bytes, any
 * length). Returns 0 and *ret (free with domain_scan_free()), or -ENOMEM.
 */
int domain_scan_new(const char *vm, struct domain_scan **ret);

/* Frees a scanner; accepts NULL; returns NULL. */
struct domain_scan *domain_scan_free(struct domain_scan *scan);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct domain_scan *, domain_scan_free)

/*
 * Feeds the next len bytes of the document; the text may be split anywhere,
 * inside a reference too. Returns true once the path was seen (and from then
 * on, whatever is fed). No allocation.
 */
bool domain_scan_feed(struct domain_scan *scan, const char *buf, size_t len);

/*
 * The same decision for a whole document in memory: 1 when xml names
 * BY_ID_DIR "/<vm>-", 0 when not, -ENOMEM.
 */
int domain_xml_names_ours(const char *xml, size_t len, const char *vm);

/*
 * Reads a domain XML from fd until end of file (at most DOMAIN_XML_MAX bytes:
 * more is -EFBIG), parses it into *ret and, when vm is not NULL, checks that
 * its <name> is vm. what names the input in messages ("stdin", a file name).
 * Every diag line starts with vm, made printable, when vm is given (else with
 * what). Does not close fd. For vfio-kvm check and start, where the user named
 * the file. Returns 0 or a negative errno with diag; *ret is untouched on
 * failure.
 */
int domain_read(int fd, const char *what, const char *vm, struct domain *ret, struct diag *diag);

/*
 * The hook's read: what libvirt sends for every VM on the host. The document
 * is scanned while it is read (domain_scan_feed()) for BY_ID_DIR "/<vm>-".
 *
 * Not found: the domain is not ours. It is read to its end in bounded memory
 * and never parsed, whatever its size or content; returns 0, *ret untouched.
 *
 * Found: the domain is ours, and may be refused. vm must pass vm_name_check()
 * (else its error, "…: VM name longer than 64 bytes; vfio-kvm cannot clone
 * devices for this VM"), the document must fit DOMAIN_XML_MAX (else -EFBIG)
 * and parse, and its <name> must be vm (else -EINVAL, "vm2: the domain XML
 * from stdin is for 'vm1'"). Returns 1 with *ret filled (it may still have no
 * sources: the path was named somewhere else than an input), or a negative
 * errno with diag, whose line starts with vm made printable.
 */
int domain_read_if_ours(int fd, const char *what, const char *vm, struct domain *ret,
                        struct diag *diag);
