# accept
# proven: 5
mov %r3, %r1
add %r3, %r2
mov %r4, %r1
add %r4, 16
jgt %r4, %r3, +2
ldxdw %r0, [%r1+8]
exit
mov %r0, 0
exit
