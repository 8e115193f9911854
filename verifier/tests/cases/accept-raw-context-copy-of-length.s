# accept
# proven: 3
mov %r0, 0
mov %r6, %r2
jlt %r6, 2, +1
ldxh %r0, [%r1]
exit
