# accept
# proven: 3
mov %r0, 0
jlt %r2, 8, out
ldxdw %r0, [%r1]
ldxdw %r0, [%r1]
out:
exit
