# reject: insn 11: a helper reading part of the spilled fp0-8 at fp-16 would leak an address
# map: counts 1 8 8
# The value map_update_elem copies into the map may not hold a spilled pointer.
stdw [%r10-8], 0
mov %r3, %r10
add %r3, -8
stxdw [%r10-16], %r3
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -8
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 2
mov %r0, 0
exit
