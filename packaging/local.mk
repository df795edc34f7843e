# packaging/: the Arch and Fedora recipes ride in the tarball they build from
# (rpmbuild -ta reads the spec out of it).
EXTRA_DIST += LICENSE packaging/arch/PKGBUILD packaging/arch/vfio-kvm.install \
	packaging/arch/.SRCINFO packaging/rpm/vfio-kvm.spec tests/pkg/compare-file-lists
