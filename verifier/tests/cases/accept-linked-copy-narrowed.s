# accept
# context: fixed 64
ldxb %r2, [%r1]
mov %r3, %r2
jgt %r3, 56, +3
add %r1, %r2
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
