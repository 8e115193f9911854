# accept
# context: type cgroup_sock
# A cgroup socket program sets the bound device, mark and priority, and reads the family's low
# byte, part of an IPv6 address and the destination port as 16 bits and as 32.
ldxb %r2, [%r1+4]
ldxh %r3, [%r1+30]
ldxh %r4, [%r1+48]
ldxw %r5, [%r1+48]
ldxb %r6, [%r1+49]
stw [%r1+0], 2
stxw [%r1+16], %r2
stw [%r1+20], 6
mov %r0, 1
exit
