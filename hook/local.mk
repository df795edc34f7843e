# hook/: libvirt's qemu hook. Installed as $(libexecdir)/vfio-kvm-hook, with a
# symlink $(libvirthooksdir)/qemu.d/vfio-kvm to it. /etc/libvirt/hooks/qemu is
# never installed (it is often someone else's); see README.md to use it as that.
libexec_PROGRAMS += vfio-kvm-hook
vfio_kvm_hook_SOURCES = hook/main.c
vfio_kvm_hook_CPPFLAGS = $(AM_CPPFLAGS) -DHELPER_PATH=\"$(libexecdir)/vfio-kvm-helper\"
vfio_kvm_hook_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS) $(LIBXML_CFLAGS) $(LIBEVDEV_CFLAGS)
vfio_kvm_hook_LDADD = $(VKCOMMON_LIBS)

vk_hook_link = $(DESTDIR)$(libvirthooksdir)/qemu.d/vfio-kvm
vk_hook_target = $(libexecdir)/vfio-kvm-hook

# Dependency-only hook rules, so other fragments can add theirs.
install-exec-hook: vk-hook-install-link
uninstall-hook: vk-hook-uninstall-link

# Never replaces a file that is not our link: it is someone else's hook.
vk-hook-install-link:
	@$(MKDIR_P) '$(DESTDIR)$(libvirthooksdir)/qemu.d'
	@link='$(vk_hook_link)'; target='$(vk_hook_target)'; \
	if test -L "$$link" && test "`readlink "$$link"`" = "$$target"; then :; \
	elif test -e "$$link" || test -L "$$link"; then \
		echo "warning: $$link exists and is not vfio-kvm's; left as it is" >&2; \
	else \
		echo "  LN       $$link -> $$target"; ln -s "$$target" "$$link"; \
	fi

vk-hook-uninstall-link:
	@link='$(vk_hook_link)'; target='$(vk_hook_target)'; \
	if test -L "$$link" && test "`readlink "$$link"`" = "$$target"; then \
		rm -f "$$link"; \
	fi

.PHONY: vk-hook-install-link vk-hook-uninstall-link
