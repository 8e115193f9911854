# reject: invalid access to bpf_sock_addr (off=64 size=8): `sk` points to a kernel object
# context: type cgroup_sock_addr
ldxdw %r2, [%r1+64]
mov %r0, 1
exit
