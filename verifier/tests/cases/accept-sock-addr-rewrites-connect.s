# accept
# context: type cgroup_sock_addr
# A connect hook reads the family and the port's low half, and rewrites the IPv4 address,
# the port, and two words of the IPv6 address in one 8-byte store.
ldxw %r2, [%r1+0]
ldxh %r3, [%r1+24]
stw [%r1+4], 0x0100007f
stw [%r1+24], 0x5000
mov %r4, 0
stxdw [%r1+16], %r4
ldxdw %r5, [%r1+8]
mov %r0, 1
exit
