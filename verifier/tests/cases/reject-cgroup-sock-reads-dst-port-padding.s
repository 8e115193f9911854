# reject: invalid access to bpf_sock (off=50 size=2): `dst_port` is accessed whole (4 bytes)
# context: type cgroup_sock
# The 16 bits after `dst_port` are padding: read only with the port, as one 32-bit load.
ldxh %r2, [%r1+50]
mov %r0, 1
exit
