# accept
ldxb %r2, [%r1]
mov %r0, 0
loop:
add %r0, 1
jlt %r0, %r2, loop
exit
