# hook/: libvirt's qemu hook, installed as the regular file
# $(libvirthooksdir)/qemu.d/vfio-kvm. A program, not a link to one: on Debian
# and Ubuntu AppArmor confines libvirtd, checks the path a link resolves to,
# and libvirtd's stock profile runs hooks only from under /etc/libvirt/hooks/
# (a link to $(libexecdir) makes every VM on the host fail to start).
# /etc/libvirt/hooks/qemu is never installed (it is often someone else's);
# README.md says how to use the hook as that.
noinst_PROGRAMS += vfio-kvm-hook
vfio_kvm_hook_SOURCES = hook/main.c hook/install-id.c
vfio_kvm_hook_CPPFLAGS = $(AM_CPPFLAGS) -DHELPER_PATH=\"$(libexecdir)/vfio-kvm-helper\" \
	-DHOOK_INSTALL_ID=\"$(vk_hook_id)\"
vfio_kvm_hook_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS) $(LIBXML_CFLAGS) $(LIBEVDEV_CFLAGS)
vfio_kvm_hook_LDADD = $(VKCOMMON_LIBS)

# A regular file that holds this string is our hook (hook/install-id.c).
# Never change it: an install would then take an older hook for someone else's.
vk_hook_id = vfio-kvm:libvirt-qemu-hook
vk_hook_file = $(DESTDIR)$(libvirthooksdir)/qemu.d/vfio-kvm
# Where older versions installed the hook, with qemu.d/vfio-kvm a link to it.
vk_hook_old_target = $(libexecdir)/vfio-kvm-hook

# Dependency-only hook rules, so other fragments can add theirs.
install-exec-hook: vk-hook-install
uninstall-hook: vk-hook-uninstall

# Ours: a regular file holding $(vk_hook_id), or the link older versions made
# (replaced). Anything else there is someone else's hook: left, with a warning.
vk-hook-install: vfio-kvm-hook$(EXEEXT)
	@$(MKDIR_P) '$(DESTDIR)$(libvirthooksdir)/qemu.d'
	@file='$(vk_hook_file)'; old='$(vk_hook_old_target)'; \
	if test -L "$$file" && test "`readlink "$$file"`" = "$$old"; then \
		echo "  RM       $$file (a link to $$old, from an older vfio-kvm)"; \
		rm -f "$$file"; \
	fi; \
	if test -L "$$file" || { test -e "$$file" && \
		! { test -f "$$file" && grep -q -a -F '$(vk_hook_id)' "$$file"; }; }; then \
		echo "warning: $$file exists and is not vfio-kvm's hook; left as it is," \
			"and vfio-kvm's hook is not installed" >&2; \
	else \
		echo "  INSTALL  $$file"; \
		$(INSTALL_PROGRAM) vfio-kvm-hook$(EXEEXT) "$$file" || exit 1; \
	fi; \
	if test -f '$(DESTDIR)'"$$old"; then \
		echo "note: $$old is an older vfio-kvm's hook and no longer used;" \
			"remove it once nothing links to it" >&2; \
	fi

vk-hook-uninstall:
	@file='$(vk_hook_file)'; old='$(vk_hook_old_target)'; \
	if { test -L "$$file" && test "`readlink "$$file"`" = "$$old"; } || \
		{ ! test -L "$$file" && test -f "$$file" && \
		  grep -q -a -F '$(vk_hook_id)' "$$file"; }; then \
		echo " rm -f '$$file'"; rm -f "$$file"; \
	fi

.PHONY: vk-hook-install vk-hook-uninstall
