# Data files: udev rules, tmpfiles.d entry, D-Bus policy, polkit action, sample config.
dist_udevrules_DATA = udev/60-vfio-kvm.rules
dbuspolicy_DATA = config/vfio.kvm.conf
dist_polkitactions_DATA = config/vfio.kvm.policy
examplesdir = $(docdir)/examples
dist_examples_DATA = config/vfio-kvm.conf examples/README.md examples/win10.xml \
	examples/waybar-config.jsonc examples/waybar-style.css \
	examples/vfio-kvm-notify.service examples/vfio-kvm-ddcutil.service
dist_examples_SCRIPTS = examples/ddcutil-switch examples/vfio-kvm-notify
# The D-Bus interface, where D-Bus tools and documentation look for it.
dbusinterfacesdir = $(datadir)/dbus-1/interfaces
dist_dbusinterfaces_DATA = config/vfio.kvm.xml
EXTRA_DIST += config/vfio.kvm.conf config/tmpfiles-vfio-kvm.conf scripts/test .ci/run \
	scripts/demo scripts/demo-guest

# tmpfiles.d wants the file named after the package.
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(tmpfilesdir)'
	$(INSTALL_DATA) $(srcdir)/config/tmpfiles-vfio-kvm.conf '$(DESTDIR)$(tmpfilesdir)/vfio-kvm.conf'

uninstall-local:
	rm -f '$(DESTDIR)$(tmpfilesdir)/vfio-kvm.conf'

# Packaging: the Debian package and the script that builds every package from
# this tarball (the licence and the other recipes: packaging/local.mk).
EXTRA_DIST += scripts/package \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format \
	debian/vfio-kvm.lintian-overrides debian/vfio-kvm.postinst debian/vfio-kvm.postrm
