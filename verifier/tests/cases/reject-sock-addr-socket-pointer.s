# reject: `sk` points to a kernel object, which programs here cannot reach
# context: type cgroup_sock_addr
# bpf_sock_addr's socket is not one oxbpf gives programs.
ldxdw %r2, [%r1+64]
mov %r0, 1
exit
