# reject: insn 4: reads fp0-4, a stack byte not written on this path
# map: counts 1 4 8
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
mov %r0, 0
exit
