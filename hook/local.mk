# hook
