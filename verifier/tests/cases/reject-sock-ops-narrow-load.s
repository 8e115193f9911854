# reject: invalid access to bpf_sock_ops (off=0 size=2): `op` is accessed whole (4 bytes)
# context: type sock_ops
# Linux's sock_ops numbers are loaded whole (only `skb_tcp_flags` allows narrow loads).
ldxh %r2, [%r1+0]
mov %r0, 1
exit
