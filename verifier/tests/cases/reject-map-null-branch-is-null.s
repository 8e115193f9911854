# reject: insn 7: r0 = 0 is not a pointer
# map: counts 1 4 8
stw [%r10-4], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
jne %r0, 0, +2
ldxdw %r0, [%r0]
exit
mov %r0, 0
exit
