# accept
# checked: 2
jlt %r2, 4, +2
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
