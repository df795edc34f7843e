# SPDX-License-Identifier: MIT
# Sourced by test-completion-*: a fake ring and libvirt directory, the cases
# of completion-cases, and the comparison. The test defines complete_lines: it
# reads command lines on stdin and prints, for each, one line with the words
# its shell offers, separated by blanks.
set -u
# Absolute: the cases run in a temporary directory.
srcdir=$(cd "${srcdir:-.}" && pwd) || exit 1
builddir=$(cd "${VK_BUILDDIR:-.}" && pwd) || exit 1
cases=$srcdir/tests/docs/completion-cases
completions=$srcdir/completions

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/run/ring" "$tmp/other/ring" "$tmp/qemu/autostart"
: >"$tmp/run/ring/vm1"
: >"$tmp/run/ring/vm2"
: >"$tmp/run/ring/.vm3.new"
: >"$tmp/other/ring/far"
: >"$tmp/qemu/win10.xml"
: >"$tmp/qemu/vm1.xml"
VFIO_KVM_COMPLETION_RUN_DIR=$tmp/run
VFIO_KVM_COMPLETION_LIBVIRT_DIR=$tmp/qemu
export VFIO_KVM_COMPLETION_RUN_DIR VFIO_KVM_COMPLETION_LIBVIRT_DIR
# No user's or system's shell setup may change what is offered.
HOME=$tmp/home
XDG_CONFIG_HOME=$tmp/home/.config
XDG_DATA_HOME=$tmp/home/.local/share
export HOME XDG_CONFIG_HOME XDG_DATA_HOME
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME"
cd "$tmp" || exit 1

# Skips every case with the reason $1.
skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

n=0
failed=0

# Runs the cases through complete_lines, one test point each, named by $1.
run_cases() {
	grep -v '^#' "$cases" | sed -e "s|@RUN@|$tmp/run|g" -e "s|@OTHER@|$tmp/other|g" \
		-e "s|@QEMU@|$tmp/qemu|g" >"$tmp/cases"
	cut -d'|' -f1 "$tmp/cases" >"$tmp/lines"
	complete_lines <"$tmp/lines" >"$tmp/got" 2>"$tmp/stderr"
	i=0
	while IFS= read -r case; do
		i=$((i + 1))
		n=$((n + 1))
		line=${case%%|*}
		want=${case#*|}
		got=$(sed -n "${i}p" "$tmp/got" | tr ' ' '\n' | sed 's|.*/||' | grep -v '^$' |
			LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//')
		if [ "$got" = "$want" ]; then
			echo "ok $n - $1: '$line' offers: $want"
		else
			echo "not ok $n - $1: '$line' offers '$got', not '$want'"
			failed=1
		fi
	done <"$tmp/cases"
	if [ -s "$tmp/stderr" ]; then
		sed 's/^/# stderr: /' "$tmp/stderr"
	fi
}

# Prints the plan (TAP allows it last) and exits with the verdict.
finish_cases() {
	echo "1..$n"
	exit $failed
}
