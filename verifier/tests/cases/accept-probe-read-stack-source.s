# accept
# probe_read from stack bytes holding a number.
stdw [%r10-16], 42
mov %r1, %r10
add %r1, -8
mov %r2, 8
mov %r3, %r10
add %r3, -16
call 4
ldxdw %r0, [%r10-8]
exit
