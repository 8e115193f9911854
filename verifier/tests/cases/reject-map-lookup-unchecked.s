# reject: insn 6: r0 = map_value0_or_null may be null; compare it with 0 before the access
# map: counts 1 4 8
stw [%r10-4], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
ldxdw %r0, [%r0]
exit
