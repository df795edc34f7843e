# Data files: udev rules, tmpfiles.d entry, D-Bus policy, sample config.
dist_udevrules_DATA = udev/60-vfio-kvm.rules
dbuspolicy_DATA = config/vfio.kvm.conf
examplesdir = $(docdir)/examples
dist_examples_DATA = config/vfio-kvm.conf
EXTRA_DIST += config/vfio.kvm.conf config/tmpfiles-vfio-kvm.conf scripts/test .ci/run

# tmpfiles.d wants the file named after the package.
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(tmpfilesdir)'
	$(INSTALL_DATA) $(srcdir)/config/tmpfiles-vfio-kvm.conf '$(DESTDIR)$(tmpfilesdir)/vfio-kvm.conf'

uninstall-local:
	rm -f '$(DESTDIR)$(tmpfilesdir)/vfio-kvm.conf'
