# accept
# context: fixed 64
# proven: 3
ldxb %r2, [%r1]
jgt %r2, 56, +3
add %r1, %r2
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
