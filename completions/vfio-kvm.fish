# fish completion for vfio-kvm(1)
# SPDX-License-Identifier: MIT
#
# Verbs, their options, and names: `start` offers the VMs libvirt defines
# (/etc/libvirt/qemu/<vm>.xml), `stop` those and the running ones, `focus`
# the host and the running VMs (the ring: /run/vfio-kvm/ring/<vm>, or the
# --run-dir given on the command line). VFIO_KVM_COMPLETION_RUN_DIR and
# VFIO_KVM_COMPLETION_LIBVIRT_DIR move the two directories (for tests).

# The run directory in effect on the command line being completed.
function __vfio_kvm_run_dir
    set -l tokens (commandline -opc)
    set -l dir /run/vfio-kvm
    set -q VFIO_KVM_COMPLETION_RUN_DIR; and set dir $VFIO_KVM_COMPLETION_RUN_DIR
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case --run-dir
                if test $i -lt (count $tokens)
                    set dir $tokens[(math $i + 1)]
                end
            case '--run-dir=*'
                set dir (string replace -- --run-dir= '' $tokens[$i])
        end
    end
    echo $dir
end

function __vfio_kvm_ring_vms
    for f in (__vfio_kvm_run_dir)/ring/*
        test -f $f; or continue
        set -l name (string replace -r '.*/' '' -- $f)
        test "$name" = host; and continue
        echo $name
    end
end

function __vfio_kvm_defined_vms
    set -l dir /etc/libvirt/qemu
    set -q VFIO_KVM_COMPLETION_LIBVIRT_DIR; and set dir $VFIO_KVM_COMPLETION_LIBVIRT_DIR
    for f in $dir/*.xml
        test -f $f; and string replace -r '.*/(.*)\.xml$' '$1' -- $f
    end
end

# True when the verb on the command line is one of $argv and no name follows it yet.
function __vfio_kvm_wants_name
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l verb ''
    set -l skip 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case --xml --config --run-dir
                set skip 1
            case '-*'
            case '*'
                test -n "$verb"; and return 1
                set verb $t
        end
    end
    contains -- "$verb" $argv
end

set -l verbs start stop check status focus next release watch reload
complete -c vfio-kvm -f
complete -c vfio-kvm -n "not __fish_seen_subcommand_from $verbs" -l help -d 'Show the help'
complete -c vfio-kvm -n "not __fish_seen_subcommand_from $verbs" -l version -d 'Show the version'
complete -c vfio-kvm -n "not __fish_seen_subcommand_from $verbs" -a start -d "Start a VM's unit from its domain XML"
complete -c vfio-kvm -n "not __fish_seen_subcommand_from $verbs" -a stop -d "Stop a VM's unit"
complete -c vfio-kvm -n "not __fish_seen_subcommand_from $verbs" -a check -d 'Validate the config and a domain XML'
complete -c vfio-kvm -n "not __fish_seen_subcommand_from $verbs" -a status -d 'Show the ring and who has the focus'
complete -c vfio-kvm -n "not __fish_seen_subcommand_from $verbs" -a focus -d 'Move the focus to a target'
complete -c vfio-kvm -n "not __fish_seen_subcommand_from $verbs" -a next -d 'Move the focus to the next target'
complete -c vfio-kvm -n "not __fish_seen_subcommand_from $verbs" -a release -d 'Move the focus to the host'
complete -c vfio-kvm -n "not __fish_seen_subcommand_from $verbs" -a watch -d 'Print the focus target and every switch'
complete -c vfio-kvm -n "not __fish_seen_subcommand_from $verbs" -a reload -d 'Make the running VMs re-read the config'

complete -c vfio-kvm -n '__fish_seen_subcommand_from start check' -l xml -r -F -d 'Domain XML file (- for stdin)'
complete -c vfio-kvm -n '__fish_seen_subcommand_from start' -l focus -d 'Give the VM the focus when it joins'
complete -c vfio-kvm -n '__fish_seen_subcommand_from check status next' -l config -r -F -d 'Configuration file'
complete -c vfio-kvm -n '__fish_seen_subcommand_from status watch' -l json -d 'Print JSON'
complete -c vfio-kvm -n '__fish_seen_subcommand_from status focus next release watch' -l run-dir -r -a '(__fish_complete_directories)' -d 'Run directory'

complete -c vfio-kvm -n '__vfio_kvm_wants_name start' -a '(__vfio_kvm_defined_vms)' -d 'Defined VM'
complete -c vfio-kvm -n '__vfio_kvm_wants_name stop' -a '(__vfio_kvm_ring_vms; __vfio_kvm_defined_vms)' -d VM
complete -c vfio-kvm -n '__vfio_kvm_wants_name focus' -a host -d 'The host'
complete -c vfio-kvm -n '__vfio_kvm_wants_name focus' -a '(__vfio_kvm_ring_vms)' -d 'Running VM'
