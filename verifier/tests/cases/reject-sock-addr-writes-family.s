# reject: invalid access to bpf_sock_addr (off=0 size=4, write): `user_family` is read-only
# context: type cgroup_sock_addr
stw [%r1+0], 2
mov %r0, 1
exit
