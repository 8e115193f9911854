# reject: invalid access to bpf_sock_addr (off=24 size=2, write): `user_port` is accessed whole (4 bytes)
# context: type cgroup_sock_addr
mov %r2, 80
stxh [%r1+24], %r2
mov %r0, 1
exit
