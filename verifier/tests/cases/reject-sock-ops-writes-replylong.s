# reject: invalid access to bpf_sock_ops (off=8 size=4, write): `replylong` is read-only
# context: type sock_ops
# Only the union's first word (`reply`) is writable; `replylong[1]` is not.
mov %r2, 1
stxw [%r1+8], %r2
mov %r0, 1
exit
