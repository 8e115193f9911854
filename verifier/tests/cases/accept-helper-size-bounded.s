# accept
ldxb %r2, [%r1]
and %r2, 15
mov %r1, %r10
add %r1, -16
call 16
mov %r0, 0
exit
