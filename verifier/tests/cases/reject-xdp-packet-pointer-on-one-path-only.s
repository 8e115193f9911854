# reject: the load reads a packet pointer of the context on one path and another field on another
# context: type xdp
# One load instruction reads `data` on one path and `ingress_ifindex` on the other: it cannot
# be rewritten for both.
ldxw %r3, [%r1+16]
mov %r6, %r1
jeq %r3, 0, +1
add %r6, 12
ldxw %r0, [%r6+0]
mov %r0, 2
exit
