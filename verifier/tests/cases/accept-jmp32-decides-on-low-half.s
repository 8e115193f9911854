# accept
lddw %r1, 0x100000005
mov %r0, 0
jeq32 %r1, 5, +1
ldxdw %r0, [%r9]
exit
