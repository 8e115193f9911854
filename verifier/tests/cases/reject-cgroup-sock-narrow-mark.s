# reject: invalid access to bpf_sock (off=16 size=2): `mark` is accessed whole (4 bytes)
# context: type cgroup_sock
ldxh %r2, [%r1+16]
mov %r0, 1
exit
