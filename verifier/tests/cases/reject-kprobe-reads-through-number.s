# reject: is not a pointer
# context: type kprobe
# A kprobe's registers hold numbers it reads with bpf_probe_read_kernel, as in Linux.
ldxdw %r2, [%r1+112]
ldxdw %r0, [%r2+0]
exit
