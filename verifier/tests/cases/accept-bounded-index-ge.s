# accept
# context: fixed 64
ldxb %r2, [%r1]
jge %r2, 57, +3
add %r1, %r2
ldxdw %r0, [%r1]
exit
mov %r0, 0
exit
