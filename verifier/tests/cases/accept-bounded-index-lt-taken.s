# accept
# context: fixed 64
ldxb %r2, [%r1]
jlt %r2, 57, +2
mov %r0, 0
exit
add %r1, %r2
ldxdw %r0, [%r1]
exit
