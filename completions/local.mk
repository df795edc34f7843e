# completions/: bash, zsh and fish completion for vfio-kvm, each installed
# where its shell looks (configure.ac: --with-bashcompletiondir,
# --with-zshcompletiondir, --with-fishcompletiondir). bash-completion loads a
# command's completion from a file named after the command.
dist_bashcompletion_DATA = completions/vfio-kvm
dist_zshcompletion_DATA = completions/_vfio-kvm
dist_fishcompletion_DATA = completions/vfio-kvm.fish

# Each shell driven for real: tests/docs/completion-cases.
TESTS += tests/docs/test-completion-bash tests/docs/test-completion-zsh \
	tests/docs/test-completion-fish
EXTRA_DIST += tests/docs/test-completion-bash tests/docs/test-completion-zsh \
	tests/docs/test-completion-fish tests/docs/completion-lib.sh \
	tests/docs/completion-zsh.zsh tests/docs/completion-cases
