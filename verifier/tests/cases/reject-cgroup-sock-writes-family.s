# reject: invalid access to bpf_sock (off=4 size=4, write): `family` is read-only
# context: type cgroup_sock
stw [%r1+4], 10
mov %r0, 1
exit
