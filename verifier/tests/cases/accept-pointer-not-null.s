# accept
mov %r0, 1
jeq %r10, 0, +1
exit
ldxdw %r0, [%r9]
exit
