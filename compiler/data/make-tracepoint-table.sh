#!/bin/sh
# Regenerate compiler/data/tracepoints.txt: the list of tracepoints, and the formats
# BTF does not describe, that tracec uses when it cannot read tracefs (offline
# compilation with --btf, and `tracec -l` as an unprivileged user).
#
# Run as root (tracefs must be readable) on the kernel the table should describe,
# from the repository root:
#
#     sudo compiler/data/make-tracepoint-table.sh [TRACEFS [BTF]]
#
# TRACEFS defaults to /sys/kernel/tracing, BTF to /sys/kernel/btf/vmlinux (the BTF
# of the same kernel). Every tracepoint of `available_events` gets a line; formats
# are stored for the `syscalls` category (BTF only has the generic sys_enter record)
# and for events whose BTF-derived fields differ from tracefs on that kernel
# (non-char dynamic arrays, event classes BTF cannot tell apart). Set TABLE_DEBUG=1
# to see why each non-syscall format was stored.
set -eu
cd "$(dirname "$0")/../.."
cargo run -q -p tracec --example make_tracepoint_table -- \
    "${1:-/sys/kernel/tracing}" "${2:-/sys/kernel/btf/vmlinux}" compiler/data/tracepoints.txt
