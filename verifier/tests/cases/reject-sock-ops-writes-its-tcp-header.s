# reject: the packet is read-only to programs over a bpf_sock_ops
# context: type sock_ops
# The TCP header a callback sees may be read once checked, never written.
ldxdw %r2, [%r1+192]
ldxdw %r3, [%r1+200]
mov %r4, %r2
add %r4, 20
jgt %r4, %r3, out
ldxb %r5, [%r2+13]
stxb [%r2+13], %r5
out:
mov %r0, 1
exit
