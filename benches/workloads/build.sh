#!/bin/sh
# Rebuilds the eBPF bytecode of every workload from its C source. The outputs (*.bin) are checked
# in, so neither the tests nor the benches need clang. Built with Debian clang 14:
#   clang -O2 -target bpf -fno-builtin -fno-jump-tables -c NAME.c -o NAME.o
#   llvm-objcopy -O binary --only-section=.text NAME.o NAME.bin
set -eu
cd "$(dirname "$0")"
for c in log2 switch prime copy strcmp const sum2; do
    clang -O2 -target bpf -fno-builtin -fno-jump-tables -c "$c.c" -o "/tmp/oxbpf-$c.o"
    if llvm-readelf -r "/tmp/oxbpf-$c.o" | grep -q 'Relocation section'; then
        echo "$c.c: the object has relocations; workloads must be self-contained" >&2
        exit 1
    fi
    llvm-objcopy -O binary --only-section=.text "/tmp/oxbpf-$c.o" "$c.bin"
    rm -f "/tmp/oxbpf-$c.o"
done
clang --version | head -1
