# reject: insn 6: arithmetic on a pointer that may be null (r0 = map_value0_or_null); check it first
# map: counts 1 4 8
stw [%r10-4], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -4
call 1
add %r0, 4
mov %r0, 0
exit
