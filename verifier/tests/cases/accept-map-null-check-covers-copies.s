# accept
# map: counts 1 4 8
stw [%r10-4], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
mov %r6, %r0
jne %r0, 0, +2
mov %r0, 0
exit
ldxdw %r0, [%r6]
exit
