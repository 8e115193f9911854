# reject: invalid access to bpf_sock_ops (off=192 size=8): `skb_data` points to a kernel object
# context: type sock_ops
# The TCP header a sock_ops callback may see is not built here: `skb_data` cannot be read.
ldxdw %r2, [%r1+192]
mov %r0, 1
exit
